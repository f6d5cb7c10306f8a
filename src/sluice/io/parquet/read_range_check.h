// CheckReadRange: the bounds check every RandomAccessSource makes before a read, so that a read
// past a file's end fails alike whichever source serves it.
//
// Thread safety: a pure function.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace sluice::parquet {

// InvalidData naming the file unless [offset, offset + length) lies within a file of `size` bytes.
void CheckReadRange(const std::string& name, int64_t offset, size_t length, int64_t size);

}  // namespace sluice::parquet
