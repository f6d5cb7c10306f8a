#include "sluice/table/hash.h"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <set>
#include <string>

#include "sluice/base/error.h"
#include "sluice/table/builder.h"
#include "sluice/table/concat.h"
#include "sluice/table/sample_batch_test_support.h"
#include "sluice/table/take.h"
#include "sluice/table/xxhash64.h"

namespace sluice {
namespace {

uint64_t Hash(std::string_view text, uint64_t seed = 0) {
  return XxHash64(text.data(), text.size(), seed);
}

// Expected values from the reference implementation (`xxhsum -H64`).
TEST(XxHash64Test, MatchesReferenceVectors) {
  EXPECT_EQ(Hash(""), 0xEF46DB3751D8E999ULL);
  EXPECT_EQ(Hash("a"), 0xD24EC4F1A98C6E5BULL);
  EXPECT_EQ(Hash("abc"), 0x44BC2CF5AD770999ULL);
  EXPECT_EQ(Hash("hello"), 0x26C7827D889F6DA3ULL);
  EXPECT_EQ(Hash("The quick brown fox jumps over the lazy dog"), 0x0B242D361FDA71BCULL);
  EXPECT_EQ(Hash(std::string(100, 'x')), 0x92F0DE5A88A3C094ULL);
  EXPECT_NE(Hash("abc", 1), Hash("abc"));
}

TEST(XxHash64Test, StreamEqualsOneShotWhateverThePieces) {
  std::string data;
  for (int i = 0; i < 300; ++i) data.push_back(static_cast<char>(i * 37 + 11));
  for (size_t length : {0, 1, 7, 31, 32, 33, 64, 100, 300}) {
    for (size_t piece : {1, 3, 8, 31, 32, 45, 300}) {
      XxHash64Stream stream(42);
      for (size_t at = 0; at < length; at += piece) {
        stream.Update(data.data() + at, std::min(piece, length - at));
      }
      EXPECT_EQ(stream.Digest(), XxHash64(data.data(), length, 42))
          << "length " << length << " piece " << piece;
    }
  }
}

TEST(HashTest, ValueHashesAreXxHash64OfTheStorageBytes) {
  Int64Builder ints;
  ints.Append(42);
  Int32Builder small;
  small.Append(5);
  StringBuilder strings;
  strings.Append("abc");
  RecordBatch batch = RecordBatch::Make(
      Schema({{"s", DataType::String()}, {"i", DataType::Int64()}, {"n", DataType::Int32()}}),
      {strings.Finish(), ints.Finish(), small.Finish()});
  EXPECT_EQ(HashRows(batch, std::vector<int>{0})[0], 0x44BC2CF5AD770999ULL);
  EXPECT_EQ(HashRows(batch, std::vector<int>{1})[0], 0xB556806FB6D14353ULL);
  EXPECT_EQ(HashRows(batch, std::vector<int>{2})[0], 0xC3D48B2F79D2B939ULL);
  // Two columns: XXH64 of the 16 bytes le64(h("abc")) || le64(h(42)), from xxhsum.
  EXPECT_EQ(HashRows(batch, std::vector<std::string>{"s", "i"})[0], 0x41BBC4D665910891ULL);
}

TEST(HashTest, IndependentOfLayoutAndChunking) {
  RecordBatch batch = MakeSampleBatch(500);
  std::vector<int> columns(static_cast<size_t>(batch.num_columns()));
  for (int c = 0; c < batch.num_columns(); ++c) columns[static_cast<size_t>(c)] = c;
  std::vector<uint64_t> whole = HashRows(batch, columns);
  // Slices, a re-concatenation and a Take of the same rows hash the same.
  std::vector<uint64_t> sliced = HashRows(batch.Slice(123, 77), columns);
  for (size_t i = 0; i < sliced.size(); ++i) ASSERT_EQ(sliced[i], whole[123 + i]);
  RecordBatch rebuilt =
      Concat(std::vector<RecordBatch>{batch.Slice(0, 250), batch.Slice(250, 250)});
  EXPECT_EQ(HashRows(rebuilt, columns), whole);
  RecordBatch reversed = Take(batch, std::vector<int64_t>{499, 0});
  std::vector<uint64_t> two = HashRows(reversed, columns);
  EXPECT_EQ(two[0], whole[499]);
  EXPECT_EQ(two[1], whole[0]);
  // Distinct rows get distinct hashes.
  EXPECT_EQ(std::set<uint64_t>(whole.begin(), whole.end()).size(), whole.size());
}

TEST(HashTest, NullsAndSpecialFloats) {
  Float64Builder floats;
  floats.Append(0.0);
  floats.Append(-0.0);
  floats.Append(std::numeric_limits<double>::quiet_NaN());
  floats.Append(-std::numeric_limits<double>::quiet_NaN());
  floats.AppendNull();
  StringBuilder strings;
  for (int i = 0; i < 4; ++i) strings.Append("");
  strings.AppendNull();
  RecordBatch batch =
      RecordBatch::Make(Schema({{"f", DataType::Float64()}, {"s", DataType::String()}}),
                        {floats.Finish(), strings.Finish()});
  std::vector<uint64_t> f = HashRows(batch, std::vector<int>{0});
  EXPECT_EQ(f[0], f[1]);
  EXPECT_EQ(f[2], f[3]);
  EXPECT_NE(f[0], f[2]);
  EXPECT_EQ(f[4], kNullHash);
  std::vector<uint64_t> s = HashRows(batch, std::vector<int>{1});
  EXPECT_EQ(s[0], Hash(""));
  EXPECT_EQ(s[4], kNullHash);
  EXPECT_NE(s[0], s[4]);
  // Column order matters.
  EXPECT_NE(HashRows(batch, std::vector<int>{0, 1})[0], HashRows(batch, std::vector<int>{1, 0})[0]);
}

TEST(HashTest, RejectsBadColumns) {
  RecordBatch batch = MakeSampleBatch(3);
  EXPECT_THROW(HashRows(batch, std::vector<int>{}), Error);
  EXPECT_THROW(HashRows(batch, std::vector<int>{99}), Error);
  try {
    HashRows(batch, std::vector<std::string>{"nope"});
    FAIL();
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kNotFound);
    EXPECT_EQ(e.ContextValue("column"), "nope");
  }
}

}  // namespace
}  // namespace sluice
