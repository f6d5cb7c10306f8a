#include "sluice/jobs/compact/reader_compat.h"

#include <algorithm>

#include "sluice/base/error.h"

namespace sluice::compact {
namespace {

using parquet::CompressionCodec;
using parquet::Encoding;
using parquet::PhysicalType;

bool ReadsDuckDb(ReaderCompat compat) {
  return compat == ReaderCompat::kAny || compat == ReaderCompat::kDuckDb;
}
bool ReadsSpark(ReaderCompat compat) {
  return compat == ReaderCompat::kAny || compat == ReaderCompat::kSpark;
}

}  // namespace

std::string_view ReaderCompatName(ReaderCompat compat) {
  switch (compat) {
    case ReaderCompat::kAny:
      return "any";
    case ReaderCompat::kDuckDb:
      return "duckdb";
    case ReaderCompat::kSpark:
      return "spark";
    case ReaderCompat::kNone:
      return "none";
  }
  return "any";
}

ReaderCompat ParseReaderCompat(std::string_view name) {
  for (ReaderCompat c :
       {ReaderCompat::kAny, ReaderCompat::kDuckDb, ReaderCompat::kSpark, ReaderCompat::kNone}) {
    if (ReaderCompatName(c) == name) return c;
  }
  throw InvalidArgument("--compat {} is not one of any, duckdb, spark, none", name);
}

bool ChunkReadableBy(ReaderCompat compat, const parquet::ColumnDescriptor& column,
                     const parquet::ColumnMetaData& meta) {
  const bool split = std::find(meta.encodings.begin(), meta.encodings.end(),
                               Encoding::kByteStreamSplit) != meta.encodings.end();
  if (!split) return true;
  const bool floating =
      column.physical_type == PhysicalType::kFloat || column.physical_type == PhysicalType::kDouble;
  if (ReadsSpark(compat)) return false;
  return !(ReadsDuckDb(compat) && !floating);
}

void CheckOutputCodec(ReaderCompat compat, CompressionCodec codec) {
  if (ReadsSpark(compat) &&
      (codec == CompressionCodec::kBrotli || codec == CompressionCodec::kLzo)) {
    throw InvalidArgument("Spark cannot read {} pages; choose another --codec, or --compat duckdb",
                          parquet::CompressionCodecName(codec));
  }
  if (codec == CompressionCodec::kLz4 && compat != ReaderCompat::kNone) {
    throw InvalidArgument("the legacy LZ4 framing is not read alike by all readers; use lz4_raw");
  }
}

}  // namespace sluice::compact
