// Tests for reader_compat.h: which chunks each reader family can read as they are, which output
// codecs are refused, and the names --compat takes.
#include "sluice/jobs/compact/reader_compat.h"

#include <gtest/gtest.h>

#include "sluice/base/error.h"

namespace sluice::compact {
namespace {

using parquet::CompressionCodec;
using parquet::Encoding;
using parquet::PhysicalType;

bool Readable(ReaderCompat compat, PhysicalType type, Encoding encoding) {
  parquet::ColumnDescriptor column;
  column.physical_type = type;
  parquet::ColumnMetaData meta;
  meta.type = type;
  meta.encodings = {Encoding::kRle, encoding};
  return ChunkReadableBy(compat, column, meta);
}

TEST(ReaderCompatTest, ByteStreamSplitIsReadableOnlyWhereTheReadersReadIt) {
  const Encoding split = Encoding::kByteStreamSplit;
  for (ReaderCompat c : {ReaderCompat::kAny, ReaderCompat::kDuckDb, ReaderCompat::kSpark}) {
    EXPECT_FALSE(Readable(c, PhysicalType::kInt32, split)) << ReaderCompatName(c);
    EXPECT_FALSE(Readable(c, PhysicalType::kFixedLenByteArray, split)) << ReaderCompatName(c);
    EXPECT_TRUE(Readable(c, PhysicalType::kInt64, Encoding::kPlain)) << ReaderCompatName(c);
  }
  EXPECT_TRUE(Readable(ReaderCompat::kDuckDb, PhysicalType::kDouble, split));
  EXPECT_FALSE(Readable(ReaderCompat::kSpark, PhysicalType::kDouble, split));
  EXPECT_FALSE(Readable(ReaderCompat::kAny, PhysicalType::kFloat, split));
  EXPECT_TRUE(Readable(ReaderCompat::kNone, PhysicalType::kInt32, split));
}

TEST(ReaderCompatTest, CodecsSparkCannotReadAreRefusedUnlessSparkIsLeftOut) {
  EXPECT_THROW(CheckOutputCodec(ReaderCompat::kAny, CompressionCodec::kBrotli), Error);
  EXPECT_THROW(CheckOutputCodec(ReaderCompat::kSpark, CompressionCodec::kBrotli), Error);
  EXPECT_NO_THROW(CheckOutputCodec(ReaderCompat::kDuckDb, CompressionCodec::kBrotli));
  EXPECT_NO_THROW(CheckOutputCodec(ReaderCompat::kAny, CompressionCodec::kZstd));
  EXPECT_EQ(ParseReaderCompat("duckdb"), ReaderCompat::kDuckDb);
  EXPECT_THROW(ParseReaderCompat("presto"), Error);
}

}  // namespace
}  // namespace sluice::compact
