// ByteArrayBuffer: decoded BYTE_ARRAY (or FIXED_LEN_BYTE_ARRAY) values in Arrow's string layout,
// n+1 int32 offsets into one data buffer, so the column reader can hand both buffers to an array
// without re-copying. Decoders append to it.
//
// Ownership: owns its vectors. Thread safety: a value; one writer at a time.
#pragma once

#include <cstdint>
#include <limits>
#include <string_view>
#include <vector>

#include "sluice/base/error.h"

namespace sluice::parquet {

struct ByteArrayBuffer {
  std::vector<int32_t> offsets{0};
  std::vector<uint8_t> data;

  size_t size() const { return offsets.size() - 1; }
  std::string_view operator[](size_t i) const {
    return {reinterpret_cast<const char*>(data.data()) + offsets[i],
            static_cast<size_t>(offsets[i + 1] - offsets[i])};
  }

  // ResourceExhausted when the data would pass 2 GiB (int32 offsets): read smaller batches.
  void Append(const uint8_t* bytes, size_t length) {
    if (length > static_cast<size_t>(std::numeric_limits<int32_t>::max()) - data.size()) {
      throw ResourceExhausted("a batch of byte arrays passed 2 GiB; use smaller batches");
    }
    data.insert(data.end(), bytes, bytes + length);
    offsets.push_back(static_cast<int32_t>(data.size()));
  }
  void Append(std::string_view value) {
    Append(reinterpret_cast<const uint8_t*>(value.data()), value.size());
  }
  void Clear() {
    offsets.assign(1, 0);
    data.clear();
  }
};

}  // namespace sluice::parquet
