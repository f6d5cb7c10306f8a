#include "sluice/io/parquet/reference_column_decoder_test_support.h"

#include <fmt/format.h>

#include <cstring>

#include "sluice/base/error.h"
#include "sluice/io/parquet/byte_stream_split.h"
#include "sluice/io/parquet/crc32.h"
#include "sluice/io/parquet/delta_binary_packed.h"
#include "sluice/io/parquet/delta_byte_array.h"
#include "sluice/io/parquet/levels.h"
#include "sluice/io/parquet/page_iterator.h"
#include "sluice/io/parquet/plain.h"
#include "sluice/io/parquet/rle.h"

namespace sluice::parquet::testing {
namespace {

template <typename T>
std::vector<std::string> Render(const std::vector<T>& values) {
  std::vector<std::string> out;
  for (const T& v : values) out.push_back(fmt::format("{}", v));
  return out;
}

std::vector<std::string> RenderFixedBytes(const std::vector<uint8_t>& bytes, int width) {
  std::vector<std::string> out;
  for (size_t i = 0; i + width <= bytes.size(); i += width) {
    out.emplace_back(reinterpret_cast<const char*>(bytes.data() + i), width);
  }
  return out;
}

std::vector<std::string> RenderFixedWidth(PhysicalType type, const std::vector<uint8_t>& bytes,
                                          int width) {
  switch (type) {
    case PhysicalType::kInt32: {
      std::vector<int32_t> v(bytes.size() / 4);
      if (!v.empty()) std::memcpy(v.data(), bytes.data(), v.size() * 4);
      return Render(v);
    }
    case PhysicalType::kInt64: {
      std::vector<int64_t> v(bytes.size() / 8);
      if (!v.empty()) std::memcpy(v.data(), bytes.data(), v.size() * 8);
      return Render(v);
    }
    case PhysicalType::kFloat: {
      std::vector<float> v(bytes.size() / 4);
      if (!v.empty()) std::memcpy(v.data(), bytes.data(), v.size() * 4);
      return Render(v);
    }
    case PhysicalType::kDouble: {
      std::vector<double> v(bytes.size() / 8);
      if (!v.empty()) std::memcpy(v.data(), bytes.data(), v.size() * 8);
      return Render(v);
    }
    default:
      return RenderFixedBytes(bytes, width);
  }
}

// Decodes `count` values of a page (or dictionary) section in `encoding`.
std::vector<std::string> DecodeValues(const ColumnDescriptor& column, Encoding encoding,
                                      std::span<const uint8_t> data, int64_t count,
                                      const std::vector<std::string>* dictionary) {
  PhysicalType type = column.physical_type;
  int width = type == PhysicalType::kFixedLenByteArray ? column.type_length : FixedWidthOf(type);
  std::vector<std::string> out;
  auto expect = [&](int64_t got) {
    if (got != count) {
      throw InvalidData("{} section holds {} values, expected {}", EncodingName(encoding), got,
                        count);
    }
  };
  switch (encoding) {
    case Encoding::kPlain: {
      PlainDecoder decoder(data);
      if (type == PhysicalType::kBoolean) {
        std::vector<uint8_t> v(count);
        expect(decoder.DecodeBooleans(v.data(), count));
        for (uint8_t b : v) out.push_back(b ? "true" : "false");
      } else if (type == PhysicalType::kByteArray) {
        ByteArrayBuffer buffer;
        expect(decoder.DecodeByteArrays(&buffer, count));
        for (size_t i = 0; i < buffer.size(); ++i) out.emplace_back(buffer[i]);
      } else if (type == PhysicalType::kInt96) {
        std::vector<Int96> v(count);
        expect(decoder.DecodeFixed(v.data(), count));
        for (const Int96& x : v) {
          out.push_back(fmt::format("{:08x}{:08x}{:08x}", x.value[2], x.value[1], x.value[0]));
        }
      } else {
        std::vector<uint8_t> bytes(count * width);
        expect(decoder.DecodeFixedLenByteArrays(width, bytes.data(), count));
        out = RenderFixedWidth(type, bytes, width);
      }
      return out;
    }
    case Encoding::kPlainDictionary:
    case Encoding::kRleDictionary: {
      if (dictionary == nullptr) throw InvalidData("dictionary-encoded page without a dictionary");
      RleBitPackedDecoder decoder = RleBitPackedDecoder::ForDictionaryIndices(data);
      std::vector<uint32_t> indices(count);
      expect(decoder.GetIndices(indices.data(), count, dictionary->size()));
      for (uint32_t i : indices) out.push_back((*dictionary)[i]);
      return out;
    }
    case Encoding::kRle: {
      if (type != PhysicalType::kBoolean) throw InvalidData("RLE values for a non-boolean column");
      RleBitPackedDecoder decoder = RleBitPackedDecoder::ForBooleans(data);
      std::vector<uint32_t> v(count);
      expect(decoder.GetBatch(v.data(), count));
      for (uint32_t b : v) out.push_back(b ? "true" : "false");
      return out;
    }
    case Encoding::kDeltaBinaryPacked: {
      if (type == PhysicalType::kInt32) {
        DeltaBinaryPackedDecoder<int32_t> decoder(data);
        std::vector<int32_t> v(count);
        expect(decoder.Decode(v.data(), count));
        return Render(v);
      }
      if (type == PhysicalType::kInt64) {
        DeltaBinaryPackedDecoder<int64_t> decoder(data);
        std::vector<int64_t> v(count);
        expect(decoder.Decode(v.data(), count));
        return Render(v);
      }
      throw InvalidData("DELTA_BINARY_PACKED for {}", PhysicalTypeName(type));
    }
    case Encoding::kDeltaLengthByteArray:
    case Encoding::kDeltaByteArray: {
      ByteArrayBuffer buffer;
      if (encoding == Encoding::kDeltaLengthByteArray) {
        DeltaLengthByteArrayDecoder decoder(data);
        expect(decoder.Decode(&buffer, count));
      } else {
        DeltaByteArrayDecoder decoder(data);
        expect(decoder.Decode(&buffer, count));
      }
      for (size_t i = 0; i < buffer.size(); ++i) out.emplace_back(buffer[i]);
      return out;
    }
    case Encoding::kByteStreamSplit: {
      if (width <= 0) throw InvalidData("BYTE_STREAM_SPLIT for {}", PhysicalTypeName(type));
      ByteStreamSplitDecoder decoder(data, width);
      std::vector<uint8_t> bytes(count * width);
      expect(decoder.Decode(bytes.data(), count));
      return RenderFixedWidth(type, bytes, width);
    }
    default:
      throw NotSupported("encoding {}", EncodingName(encoding));
  }
}

}  // namespace

DecodedColumn DecodeColumnChunk(RandomAccessSource& source, const ParquetFooter& footer,
                                int row_group, int column_index, bool verify_crc,
                                int64_t max_page_size) {
  const ColumnDescriptor& column = footer.schema.columns()[column_index];
  const ColumnMetaData& meta =
      *footer.metadata.row_groups[row_group].columns[column_index].meta_data;
  ColumnChunkRange range = ColumnChunkReadRange(meta, footer.metadata, footer.metadata_offset);
  std::vector<uint8_t> chunk(range.length);
  source.ReadAt(range.start, chunk);
  std::unique_ptr<Codec> codec = Codec::Make(meta.codec);
  PageIterator pages(chunk, range.start, meta.num_values);
  DecodedColumn result;
  std::optional<std::vector<std::string>> dictionary;
  std::vector<uint8_t> page_bytes;
  RawPage page;
  int64_t levels_seen = 0;
  bool skipped = false;
  while (pages.Next(&page)) {
    ++result.pages;
    if (verify_crc) VerifyPageCrc(page.header, page.data);
    // Pages after a skipped one may need what it held (a dictionary): skip them too.
    if (skipped || page.header.uncompressed_page_size > max_page_size) {
      skipped = true;
      continue;
    }
    DecompressPage(page.header, page.data, *codec, &page_bytes);
    std::span<const uint8_t> bytes(page_bytes);
    const PageHeader& h = page.header;
    if (h.type == PageType::kDictionaryPage) {
      const DictionaryPageHeader& d = *h.dictionary_page_header;
      dictionary = DecodeValues(column, Encoding::kPlain, bytes, d.num_values, nullptr);
      continue;
    }
    if (h.type != PageType::kDataPage && h.type != PageType::kDataPageV2) continue;
    int64_t num_values;
    Encoding encoding;
    LevelDecoder rep_levels;
    LevelDecoder def_levels;
    std::span<const uint8_t> values;
    if (h.data_page_header) {
      const DataPageHeader& d = *h.data_page_header;
      num_values = d.num_values;
      encoding = d.encoding;
      rep_levels = LevelDecoder::ForDataPageV1(d.repetition_level_encoding,
                                               column.max_repetition_level, d.num_values, bytes);
      bytes = bytes.subspan(rep_levels.encoded_size());
      def_levels = LevelDecoder::ForDataPageV1(d.definition_level_encoding,
                                               column.max_definition_level, d.num_values, bytes);
      values = bytes.subspan(def_levels.encoded_size());
    } else {
      const DataPageHeaderV2& d = *h.data_page_header_v2;
      num_values = d.num_values;
      encoding = d.encoding;
      size_t rep = d.repetition_levels_byte_length;
      size_t def = d.definition_levels_byte_length;
      rep_levels = LevelDecoder::ForDataPageV2(column.max_repetition_level, bytes.subspan(0, rep));
      def_levels =
          LevelDecoder::ForDataPageV2(column.max_definition_level, bytes.subspan(rep, def));
      values = bytes.subspan(rep + def);
    }
    std::vector<int16_t> reps(num_values);
    std::vector<int16_t> defs(num_values);
    if (rep_levels.Decode(reps.data(), num_values) != num_values ||
        def_levels.Decode(defs.data(), num_values) != num_values) {
      throw InvalidData("page {} has fewer levels than its {} values", page.index, num_values);
    }
    if (levels_seen == 0 && num_values > 0 && reps[0] != 0) {
      throw InvalidData("the first repetition level of the column chunk is {}", reps[0]);
    }
    int64_t present = 0;
    for (int16_t d : defs) present += d == column.max_definition_level;
    if (h.data_page_header_v2 && num_values - present != h.data_page_header_v2->num_nulls &&
        column.max_repetition_level == 0) {
      throw InvalidData("page {} says {} nulls, its levels say {}", page.index,
                        h.data_page_header_v2->num_nulls, num_values - present);
    }
    std::vector<std::string> decoded =
        DecodeValues(column, encoding, values, present, dictionary ? &*dictionary : nullptr);
    size_t next = 0;
    for (int16_t d : defs) {
      if (d == column.max_definition_level) {
        result.values.emplace_back(std::move(decoded[next++]));
      } else {
        result.values.emplace_back(std::nullopt);
      }
    }
    levels_seen += num_values;
  }
  if (!skipped && levels_seen != meta.num_values) {
    throw InvalidData("the pages hold {} values, the column chunk says {}", levels_seen,
                      meta.num_values);
  }
  return result;
}

}  // namespace sluice::parquet::testing
