// Dictionary merging for column-chunk concatenation. A dictionary page holds PLAIN-encoded values;
// concatenating dictionary-encoded chunks from different files needs one dictionary for the new
// chunk and, per input, a table that maps its old indices to indices in the merged dictionary.
//
// Values are compared by their PLAIN bytes (the length prefix and bytes of a BYTE_ARRAY, the
// fixed-width bytes otherwise), so merging never decodes to typed values: two floats are the same
// entry only when their bits are. Entries keep the order in which they were first seen, so the
// first input's indices map to themselves and its pages can be copied without remapping.
//
// Ownership: PlainDictionary owns a copy of the page's decompressed bytes; DictionaryMerger owns
// the merged entries' bytes. Thread safety: one thread per object.
#pragma once

#include <cstdint>
#include <span>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "sluice/io/parquet/format_enums.h"

namespace sluice::parquet {

// The entries of one decompressed dictionary page.
class PlainDictionary {
 public:
  // Splits `plain` (the page's decompressed bytes) into `count` entries of `type`
  // (`type_length` for FIXED_LEN_BYTE_ARRAY). InvalidData when the bytes do not hold them;
  // NotSupported for BOOLEAN, which has no dictionary encoding.
  PlainDictionary(std::vector<uint8_t> plain, int64_t count, PhysicalType type,
                  int32_t type_length);

  int64_t size() const { return static_cast<int64_t>(entries_.size()); }
  // The PLAIN bytes of entry i (with the length prefix for BYTE_ARRAY).
  std::string_view entry(int64_t i) const { return entries_[static_cast<size_t>(i)]; }
  int64_t plain_bytes() const { return static_cast<int64_t>(plain_.size()); }

 private:
  std::vector<uint8_t> plain_;
  std::vector<std::string_view> entries_;
};

class DictionaryMerger {
 public:
  // Adds a dictionary's entries and returns its remap table (old index -> merged index).
  std::vector<uint32_t> Add(const PlainDictionary& dictionary);

  int64_t size() const { return static_cast<int64_t>(offsets_.size()); }
  // The merged dictionary page's PLAIN bytes.
  const std::vector<uint8_t>& plain() const { return plain_; }
  int64_t plain_bytes() const { return static_cast<int64_t>(plain_.size()); }

 private:
  std::vector<uint8_t> plain_;
  std::vector<size_t> offsets_;  // where each merged entry starts in plain_
  // Keys view plain_, so it is reserved ahead and never reallocates under them; see Add.
  std::unordered_map<std::string_view, uint32_t> index_;
  std::vector<std::vector<uint8_t>> blocks_;  // earlier plain_ buffers the keys still view
};

// True when `remap` maps every index to itself.
bool IsIdentityRemap(std::span<const uint32_t> remap);

}  // namespace sluice::parquet
