#include "sluice/io/parquet/crc32.h"

#include <zlib.h>

#include <algorithm>
#include <limits>

#include "sluice/base/error.h"

namespace sluice::parquet {

uint32_t Crc32(std::span<const uint8_t> data, uint32_t crc) {
  uLong value = crc;
  // zlib takes 32-bit lengths; feed larger inputs in pieces.
  while (!data.empty()) {
    size_t n = std::min<size_t>(data.size(), std::numeric_limits<uInt>::max());
    value = crc32(value, data.data(), static_cast<uInt>(n));
    data = data.subspan(n);
  }
  return static_cast<uint32_t>(value);
}

void VerifyPageCrc(const PageHeader& header, std::span<const uint8_t> page) {
  if (!header.crc) return;
  uint32_t expected = static_cast<uint32_t>(*header.crc);
  uint32_t actual = Crc32(page);
  if (actual != expected) {
    throw InvalidData("page CRC mismatch: the header says {:08x}, the {} page bytes give {:08x}",
                      expected, page.size(), actual);
  }
}

}  // namespace sluice::parquet
