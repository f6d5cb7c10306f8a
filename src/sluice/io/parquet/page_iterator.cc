#include "sluice/io/parquet/page_iterator.h"

#include <cstring>

#include "sluice/base/error.h"

namespace sluice::parquet {

PageIterator::PageIterator(std::span<const uint8_t> chunk, int64_t chunk_file_offset,
                           int64_t num_values, ThriftLimits limits)
    : chunk_(chunk),
      chunk_file_offset_(chunk_file_offset),
      limits_(limits),
      num_values_(num_values) {}

bool PageIterator::Next(RawPage* page) {
  if (pos_ >= chunk_.size() || values_seen_ >= num_values_) return false;
  int64_t offset = chunk_file_offset_ + static_cast<int64_t>(pos_);
  try {
    size_t header_size = 0;
    page->header = DecodePageHeader(chunk_.subspan(pos_), &header_size, limits_);
    size_t size = static_cast<size_t>(page->header.compressed_page_size);
    if (size > chunk_.size() - pos_ - header_size) {
      throw InvalidData("the page's {} bytes pass the end of the column chunk ({} bytes left)",
                        size, chunk_.size() - pos_ - header_size);
    }
    page->index = index_++;
    page->file_offset = offset;
    page->data = chunk_.subspan(pos_ + header_size, size);
    pos_ += header_size + size;
    if (page->header.data_page_header) {
      values_seen_ += page->header.data_page_header->num_values;
    } else if (page->header.data_page_header_v2) {
      values_seen_ += page->header.data_page_header_v2->num_values;
    }
    return true;
  } catch (Error& error) {
    throw std::move(
        error.With("page", std::to_string(index_)).With("page_offset", std::to_string(offset)));
  }
}

void DecompressPage(const PageHeader& header, std::span<const uint8_t> data, Codec& codec,
                    std::vector<uint8_t>* out) {
  out->resize(static_cast<size_t>(header.uncompressed_page_size));
  DecompressPage(header, data, codec, std::span<uint8_t>(*out));
}

void DecompressPage(const PageHeader& header, std::span<const uint8_t> data, Codec& codec,
                    std::span<uint8_t> out) {
  size_t size = static_cast<size_t>(header.uncompressed_page_size);
  if (out.size() != size) {
    throw InvalidData("the page buffer holds {} bytes, the page {}", out.size(), size);
  }
  size_t prefix = 0;
  bool compressed = codec.codec() != CompressionCodec::kUncompressed;
  if (header.data_page_header_v2) {
    const DataPageHeaderV2& v2 = *header.data_page_header_v2;
    // DecodePageHeader checked that the level bytes fit both sizes.
    prefix = static_cast<size_t>(v2.definition_levels_byte_length) +
             static_cast<size_t>(v2.repetition_levels_byte_length);
    compressed = compressed && v2.IsCompressed();
    if (prefix > data.size() || prefix > size) {
      throw InvalidData("a v2 page's {} level bytes exceed the page", prefix);
    }
    if (prefix > 0) std::memcpy(out.data(), data.data(), prefix);
  }
  std::span<const uint8_t> values_in = data.subspan(prefix);
  std::span<uint8_t> values_out(out.data() + prefix, size - prefix);
  if (!compressed) {
    if (values_in.size() != values_out.size()) {
      throw InvalidData("an uncompressed page stores {} bytes but its header says {}",
                        values_in.size(), values_out.size());
    }
    if (!values_in.empty()) std::memcpy(values_out.data(), values_in.data(), values_in.size());
    return;
  }
  codec.Decompress(values_in, values_out);
}

}  // namespace sluice::parquet
