#include "sluice/io/parquet/page_index.h"

#include <algorithm>

#include "sluice/base/error.h"
#include "sluice/io/parquet/thrift_struct_reader_internal.h"

namespace sluice::parquet {
namespace {

using T = ThriftType;

std::vector<int64_t> ReadI64List(ThriftStructReader& s, const ThriftField& f, const char* name) {
  uint32_t size = s.List(f, name, T::kI64);
  std::vector<int64_t> out;
  out.reserve(std::min<uint32_t>(size, 4096));
  for (uint32_t i = 0; i < size; ++i) out.push_back(s.reader().ReadI64());
  return out;
}

PageLocation ReadPageLocation(ThriftCompactReader& reader) {
  static constexpr ThriftFieldSpec kPageLocationFields[] = {
      {1, T::kI64}, {2, T::kI32}, {3, T::kI64}};
  ThriftStructReader s(reader, "PageLocation", kPageLocationFields);
  PageLocation location;
  bool has[3] = {};
  ThriftField f;
  while (s.Next(&f)) {
    switch (f.id) {
      case 1:
        location.offset = s.I64(f, "offset");
        has[0] = true;
        break;
      case 2:
        location.compressed_page_size = s.I32(f, "compressed_page_size");
        has[1] = true;
        break;
      case 3:
        location.first_row_index = s.I64(f, "first_row_index");
        has[2] = true;
        break;
      default:
        s.Skip(f);
    }
  }
  s.Require(has[0], "offset");
  s.Require(has[1], "compressed_page_size");
  s.Require(has[2], "first_row_index");
  return location;
}

void RequireFullyConsumed(const ThriftCompactReader& reader, const char* name) {
  if (reader.remaining() != 0) {
    throw InvalidData("thrift: {} bytes follow the end of {}", reader.remaining(), name);
  }
}

void RequireSameLength(size_t pages, size_t size, const char* name) {
  if (size != 0 && size != pages) {
    throw InvalidData("page index: {} has {} entries for {} pages", name, size, pages);
  }
}

void WriteI64List(ThriftCompactWriter& w, int16_t id, const std::vector<int64_t>& values) {
  w.WriteFieldHeader(id, T::kList);
  w.WriteListHeader(T::kI64, static_cast<uint32_t>(values.size()));
  for (int64_t value : values) w.WriteI64(value);
}

void WriteBinaryList(ThriftCompactWriter& w, int16_t id, const std::vector<std::string>& values) {
  w.WriteFieldHeader(id, T::kList);
  w.WriteListHeader(T::kBinary, static_cast<uint32_t>(values.size()));
  for (const std::string& value : values) w.WriteBinary(value);
}

}  // namespace

OffsetIndex DecodeOffsetIndex(std::span<const uint8_t> data, ThriftLimits limits) {
  ThriftCompactReader reader(data, limits);
  OffsetIndex index;
  {
    static constexpr ThriftFieldSpec kOffsetIndexFields[] = {{1, T::kList}, {2, T::kList}};
    ThriftStructReader s(reader, "OffsetIndex", kOffsetIndexFields);
    bool has_locations = false;
    ThriftField f;
    while (s.Next(&f)) {
      switch (f.id) {
        case 1: {
          uint32_t size = s.List(f, "page_locations", T::kStruct);
          index.page_locations.reserve(std::min<uint32_t>(size, 4096));
          for (uint32_t i = 0; i < size; ++i) {
            index.page_locations.push_back(ReadPageLocation(reader));
          }
          has_locations = true;
          break;
        }
        case 2:
          index.unencoded_byte_array_data_bytes =
              ReadI64List(s, f, "unencoded_byte_array_data_bytes");
          break;
        default:
          s.Skip(f);
      }
    }
    s.Require(has_locations, "page_locations");
  }
  RequireFullyConsumed(reader, "OffsetIndex");
  RequireSameLength(index.page_locations.size(), index.unencoded_byte_array_data_bytes.size(),
                    "unencoded_byte_array_data_bytes");
  return index;
}

ColumnIndex DecodeColumnIndex(std::span<const uint8_t> data, ThriftLimits limits) {
  ThriftCompactReader reader(data, limits);
  ColumnIndex index;
  {
    static constexpr ThriftFieldSpec kColumnIndexFields[] = {
        {1, T::kList}, {2, T::kList}, {3, T::kList}, {4, T::kI32},
        {5, T::kList}, {6, T::kList}, {7, T::kList}, {8, T::kList}};
    ThriftStructReader s(reader, "ColumnIndex", kColumnIndexFields);
    bool has[4] = {};
    ThriftField f;
    while (s.Next(&f)) {
      switch (f.id) {
        case 1: {
          uint32_t size = s.List(f, "null_pages", T::kBoolTrue);
          for (uint32_t i = 0; i < size; ++i) index.null_pages.push_back(reader.ReadBool());
          has[0] = true;
          break;
        }
        case 2:
        case 3: {
          auto& values = f.id == 2 ? index.min_values : index.max_values;
          uint32_t size = s.List(f, f.id == 2 ? "min_values" : "max_values", T::kBinary);
          values.reserve(std::min<uint32_t>(size, 4096));
          for (uint32_t i = 0; i < size; ++i) values.emplace_back(reader.ReadBinary());
          has[f.id - 1] = true;
          break;
        }
        case 4:
          index.boundary_order = static_cast<BoundaryOrder>(s.I32(f, "boundary_order"));
          has[3] = true;
          break;
        case 5:
          index.null_counts = ReadI64List(s, f, "null_counts");
          break;
        case 6:
          index.repetition_level_histograms = ReadI64List(s, f, "repetition_level_histograms");
          break;
        case 7:
          index.definition_level_histograms = ReadI64List(s, f, "definition_level_histograms");
          break;
        case 8:
          index.nan_counts = ReadI64List(s, f, "nan_counts");
          break;
        default:
          s.Skip(f);
      }
    }
    s.Require(has[0], "null_pages");
    s.Require(has[1], "min_values");
    s.Require(has[2], "max_values");
    s.Require(has[3], "boundary_order");
  }
  RequireFullyConsumed(reader, "ColumnIndex");
  size_t pages = index.null_pages.size();
  if (index.min_values.size() != pages || index.max_values.size() != pages) {
    throw InvalidData("page index: {} null_pages but {} min_values and {} max_values", pages,
                      index.min_values.size(), index.max_values.size());
  }
  RequireSameLength(pages, index.null_counts.size(), "null_counts");
  RequireSameLength(pages, index.nan_counts.size(), "nan_counts");
  return index;
}

void EncodeOffsetIndex(const OffsetIndex& index, std::vector<uint8_t>* out) {
  ThriftCompactWriter w(out);
  w.BeginStruct();
  w.WriteFieldHeader(1, T::kList);
  w.WriteListHeader(T::kStruct, static_cast<uint32_t>(index.page_locations.size()));
  for (const PageLocation& location : index.page_locations) {
    w.BeginStruct();
    w.WriteFieldI64(1, location.offset);
    w.WriteFieldI32(2, location.compressed_page_size);
    w.WriteFieldI64(3, location.first_row_index);
    w.EndStruct();
  }
  if (!index.unencoded_byte_array_data_bytes.empty()) {
    WriteI64List(w, 2, index.unencoded_byte_array_data_bytes);
  }
  w.EndStruct();
}

void EncodeColumnIndex(const ColumnIndex& index, std::vector<uint8_t>* out) {
  ThriftCompactWriter w(out);
  w.BeginStruct();
  w.WriteFieldHeader(1, T::kList);
  w.WriteListHeader(T::kBoolTrue, static_cast<uint32_t>(index.null_pages.size()));
  for (bool null_page : index.null_pages) w.WriteBool(null_page);
  WriteBinaryList(w, 2, index.min_values);
  WriteBinaryList(w, 3, index.max_values);
  w.WriteFieldI32(4, static_cast<int32_t>(index.boundary_order));
  if (!index.null_counts.empty()) WriteI64List(w, 5, index.null_counts);
  if (!index.repetition_level_histograms.empty()) {
    WriteI64List(w, 6, index.repetition_level_histograms);
  }
  if (!index.definition_level_histograms.empty()) {
    WriteI64List(w, 7, index.definition_level_histograms);
  }
  if (!index.nan_counts.empty()) WriteI64List(w, 8, index.nan_counts);
  w.EndStruct();
}

namespace {

// The bytes of one part of a chunk's page index.
std::vector<uint8_t> ReadIndexPart(RandomAccessSource& source, const std::optional<int64_t>& offset,
                                   const std::optional<int32_t>& length, const char* part) {
  std::vector<uint8_t> bytes;
  if (!offset || !length || *offset < 0 || *length <= 0 || *offset > source.Size() - *length) {
    throw InvalidData("{} at offset {} with length {} lies outside the file of {} bytes", part,
                      offset.value_or(-1), length.value_or(-1), source.Size());
  }
  bytes.resize(static_cast<size_t>(*length));
  source.ReadAt(*offset, bytes);
  return bytes;
}

std::optional<OffsetIndex> ReadOffsetIndexPart(RandomAccessSource& source, const ColumnChunk& chunk,
                                               ThriftLimits limits) {
  if (!chunk.offset_index_offset && !chunk.offset_index_length) return std::nullopt;
  return DecodeOffsetIndex(
      ReadIndexPart(source, chunk.offset_index_offset, chunk.offset_index_length, "offset index"),
      limits);
}

}  // namespace

ColumnPageIndex ReadColumnPageIndex(RandomAccessSource& source, const ColumnChunk& chunk,
                                    ThriftLimits limits) {
  ColumnPageIndex index;
  try {
    index.offset_index = ReadOffsetIndexPart(source, chunk, limits);
    if (chunk.column_index_offset || chunk.column_index_length) {
      index.column_index =
          DecodeColumnIndex(ReadIndexPart(source, chunk.column_index_offset,
                                          chunk.column_index_length, "column index"),
                            limits);
    }
    if (index.offset_index && index.column_index &&
        index.offset_index->page_locations.size() != index.column_index->null_pages.size()) {
      throw InvalidData("the offset index lists {} pages, the column index {}",
                        index.offset_index->page_locations.size(),
                        index.column_index->null_pages.size());
    }
  } catch (Error& error) {
    throw std::move(error.With("stage", "page index").With("file", source.name()));
  }
  return index;
}

std::optional<OffsetIndex> ReadOffsetIndex(RandomAccessSource& source, const ColumnChunk& chunk,
                                           ThriftLimits limits) {
  try {
    return ReadOffsetIndexPart(source, chunk, limits);
  } catch (Error& error) {
    throw std::move(error.With("stage", "page index").With("file", source.name()));
  }
}

}  // namespace sluice::parquet
