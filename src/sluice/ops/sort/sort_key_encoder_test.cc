#include "sluice/ops/sort/sort_key_encoder.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>

#include "sluice/base/error.h"
#include "sluice/table/builder.h"

namespace sluice {
namespace {

// The order DuckDB gives by default (checked against DuckDB 1.5 by hand): nulls last in both
// directions, NaN above +inf, -0.0 equal to +0.0, strings and blobs bytewise.
template <typename T>
int CompareValues(T a, T b) {
  if constexpr (std::is_floating_point_v<T>) {
    if (std::isnan(a) || std::isnan(b)) return std::isnan(a) - std::isnan(b);
  }
  return a < b ? -1 : (b < a ? 1 : 0);
}

int CompareRows(const Array& a, int64_t i, int64_t j, bool descending) {
  if (a.IsNull(i) || a.IsNull(j)) return a.IsNull(i) - a.IsNull(j);
  int c = 0;
  switch (a.type().id()) {
    case TypeId::kBool:
      c = CompareValues(a.BoolValue(i), a.BoolValue(j));
      break;
    case TypeId::kInt8:
      c = CompareValues(a.Value<int8_t>(i), a.Value<int8_t>(j));
      break;
    case TypeId::kInt32:
    case TypeId::kDate32:
      c = CompareValues(a.Value<int32_t>(i), a.Value<int32_t>(j));
      break;
    case TypeId::kInt64:
    case TypeId::kTimestamp:
      c = CompareValues(a.Value<int64_t>(i), a.Value<int64_t>(j));
      break;
    case TypeId::kUInt64:
      c = CompareValues(a.Value<uint64_t>(i), a.Value<uint64_t>(j));
      break;
    case TypeId::kFloat32:
      c = CompareValues(a.Value<float>(i), a.Value<float>(j));
      break;
    case TypeId::kFloat64:
      c = CompareValues(a.Value<double>(i), a.Value<double>(j));
      break;
    case TypeId::kDecimal128:
      c = CompareValues(a.Value<Decimal128>(i).ToInt128(), a.Value<Decimal128>(j).ToInt128());
      break;
    default:
      c = a.BinaryValue(i).compare(a.BinaryValue(j));
      c = c < 0 ? -1 : (c > 0 ? 1 : 0);
  }
  return descending ? -c : c;
}

// Sorts the rows by their encoded keys and checks each neighbour pair against the typed order,
// and that equal keys keep their positions' order.
void ExpectKeyOrder(const RecordBatch& batch, const std::vector<bool>& descending) {
  std::vector<int> columns;
  for (int c = 0; c < batch.num_columns(); ++c) columns.push_back(c);
  SortKeyEncoder encoder(batch.schema(), columns, descending);
  const Array keys = encoder.Encode(batch, /*with_positions=*/true, 1000);
  std::vector<int64_t> order(static_cast<size_t>(batch.num_rows()));
  for (size_t i = 0; i < order.size(); ++i) order[i] = static_cast<int64_t>(i);
  std::sort(order.begin(), order.end(),
            [&](int64_t x, int64_t y) { return keys.BinaryValue(x) < keys.BinaryValue(y); });
  for (size_t k = 1; k < order.size(); ++k) {
    const int64_t x = order[k - 1];
    const int64_t y = order[k];
    int c = 0;
    for (int col = 0; col < batch.num_columns() && c == 0; ++col) {
      c = CompareRows(batch.column(col), x, y, descending[static_cast<size_t>(col)]);
    }
    ASSERT_LE(c, 0) << "rows " << x << " and " << y;
    if (c == 0) {
      ASSERT_LT(x, y) << "equal keys out of stream order";
    }
  }
}

RecordBatch OneColumn(DataType type,
                      const std::function<void(ArrayBuilder&, std::mt19937_64&)>& append) {
  std::unique_ptr<ArrayBuilder> builder = MakeBuilder(type);
  std::mt19937_64 rng(42);
  for (int i = 0; i < 2000; ++i) {
    if (rng() % 10 == 0) {
      builder->AppendNull();
    } else {
      append(*builder, rng);
    }
  }
  return RecordBatch::Make(Schema({Field{"c", type}}), {builder->Finish()});
}

template <typename T>
void AppendFrom(ArrayBuilder& b, T value) {
  static_cast<FixedWidthBuilder<T>&>(b).Append(value);
}

TEST(SortKeyEncoderTest, EveryTypeOrdersAsDuckDbInBothDirections) {
  std::vector<RecordBatch> batches;
  batches.push_back(OneColumn(DataType::Bool(), [](ArrayBuilder& b, std::mt19937_64& r) {
    static_cast<BoolBuilder&>(b).Append(r() % 2);
  }));
  batches.push_back(OneColumn(DataType::Int8(), [](ArrayBuilder& b, std::mt19937_64& r) {
    AppendFrom<int8_t>(b, static_cast<int8_t>(r()));
  }));
  batches.push_back(OneColumn(DataType::Int32(), [](ArrayBuilder& b, std::mt19937_64& r) {
    AppendFrom<int32_t>(b, static_cast<int32_t>(r() % 200) - 100);
  }));
  batches.push_back(OneColumn(DataType::Int64(), [](ArrayBuilder& b, std::mt19937_64& r) {
    const int64_t edge[] = {std::numeric_limits<int64_t>::min(), -1, 0,
                            std::numeric_limits<int64_t>::max()};
    AppendFrom<int64_t>(b, r() % 4 == 0 ? edge[r() % 4] : static_cast<int64_t>(r()));
  }));
  batches.push_back(OneColumn(DataType::UInt64(), [](ArrayBuilder& b, std::mt19937_64& r) {
    AppendFrom<uint64_t>(b, r() % 3 == 0 ? ~uint64_t{0} - r() % 3 : r() % 1000);
  }));
  batches.push_back(OneColumn(DataType::Float32(), [](ArrayBuilder& b, std::mt19937_64& r) {
    const float special[] = {-0.0f,
                             0.0f,
                             std::numeric_limits<float>::infinity(),
                             -std::numeric_limits<float>::infinity(),
                             std::nanf(""),
                             -std::nanf("")};
    AppendFrom<float>(b, r() % 3 == 0 ? special[r() % 6] : static_cast<float>(r() % 100) - 50.5f);
  }));
  batches.push_back(OneColumn(DataType::Float64(), [](ArrayBuilder& b, std::mt19937_64& r) {
    const double special[] = {-0.0,
                              0.0,
                              std::numeric_limits<double>::infinity(),
                              -std::numeric_limits<double>::infinity(),
                              std::nan(""),
                              -std::nan(""),
                              std::numeric_limits<double>::denorm_min()};
    AppendFrom<double>(
        b, r() % 3 == 0 ? special[r() % 7] : (static_cast<double>(r() % 1000) - 500) / 7);
  }));
  batches.push_back(OneColumn(DataType::String(), [](ArrayBuilder& b, std::mt19937_64& r) {
    // Short strings over a tiny alphabet with zero bytes and 0xFF: prefixes and escapes.
    std::string s(r() % 4, 'a');
    for (char& ch : s)
      ch = "\0\x01"
           "ab\xff"[r() % 5];
    static_cast<BinaryBuilder&>(b).Append(s);
  }));
  batches.push_back(OneColumn(DataType::Date32(), [](ArrayBuilder& b, std::mt19937_64& r) {
    AppendFrom<int32_t>(b, static_cast<int32_t>(r() % 40000) - 20000);
  }));
  batches.push_back(OneColumn(DataType::Timestamp(TimeUnit::kMicro, "UTC"),
                              [](ArrayBuilder& b, std::mt19937_64& r) {
                                AppendFrom<int64_t>(b, static_cast<int64_t>(r() % 5) - 2);
                              }));
  batches.push_back(OneColumn(DataType::Decimal128(30, 2), [](ArrayBuilder& b, std::mt19937_64& r) {
    const __int128 v = (static_cast<__int128>(static_cast<int64_t>(r())) << (r() % 60)) / 3;
    AppendFrom<Decimal128>(b, Decimal128::FromInt128(v));
  }));
  batches.push_back(
      OneColumn(DataType::FixedSizeBinary(3), [](ArrayBuilder& b, std::mt19937_64& r) {
        std::string s(3, '\0');
        for (char& ch : s) ch = "\0a\xff"[r() % 3];
        static_cast<FixedSizeBinaryBuilder&>(b).Append(s);
      }));
  for (const RecordBatch& batch : batches) {
    SCOPED_TRACE(batch.schema().field(0).type.ToString());
    ExpectKeyOrder(batch, {false});
    ExpectKeyOrder(batch, {true});
  }
}

TEST(SortKeyEncoderTest, SeveralColumnsMixDirections) {
  std::mt19937_64 rng(7);
  StringBuilder s;
  Int64Builder i;
  Float64Builder d;
  for (int r = 0; r < 3000; ++r) {
    if (rng() % 8 == 0) {
      s.AppendNull();
    } else {
      s.Append(std::string(1 + rng() % 2, static_cast<char>('a' + rng() % 3)));
    }
    if (rng() % 8 == 0) {
      i.AppendNull();
    } else {
      i.Append(static_cast<int64_t>(rng() % 5) - 2);
    }
    d.Append(rng() % 5 == 0 ? std::nan("") : static_cast<double>(rng() % 3));
  }
  RecordBatch batch =
      RecordBatch::Make(Schema({Field{"s", DataType::String()}, Field{"i", DataType::Int64()},
                                Field{"d", DataType::Float64()}}),
                        {s.Finish(), i.Finish(), d.Finish()});
  ExpectKeyOrder(batch, {true, false, true});
  ExpectKeyOrder(batch, {false, true, false});
}

TEST(SortKeyEncoderTest, MaxEncodedBytesBoundsTheKeysOfEveryBatch) {
  std::mt19937_64 rng(11);
  for (int trial = 0; trial < 20; ++trial) {
    StringBuilder s;
    Int32Builder i;
    const int rows = 1 + static_cast<int>(rng() % 500);
    const bool zeros = trial % 2 == 0;  // strings of 0x00 bytes escape to twice their length
    for (int r = 0; r < rows; ++r) {
      if (rng() % 7 == 0) {
        s.AppendNull();
      } else {
        s.Append(std::string(rng() % 20, zeros ? '\0' : 'x'));
      }
      i.Append(static_cast<int32_t>(rng()));
    }
    RecordBatch batch =
        RecordBatch::Make(Schema({Field{"s", DataType::String()}, Field{"i", DataType::Int32()}}),
                          {s.Finish(), i.Finish()});
    if (trial % 3 == 0) batch = batch.Slice(rows / 3, rows - rows / 3);
    for (bool positions : {false, true}) {
      const SortKeyEncoder encoder(batch.schema(), {0, 1}, {trial % 2 == 1, false});
      const Array keys = encoder.Encode(batch, positions);
      const int64_t key_bytes = keys.raw_offsets()[keys.length()] + 4 * (keys.length() + 1);
      // The bound covers the keys and the row starts Encode works with (8 bytes a row).
      EXPECT_GE(encoder.MaxEncodedBytes(batch, positions), key_bytes + 8 * batch.num_rows());
      EXPECT_LE(encoder.MaxEncodedBytes(batch, positions),
                2 * key_bytes + 16 * batch.num_rows() + 64)
          << "a loose bound reserves memory the sort does not use";
    }
  }
}

TEST(SortKeyTest, ParsesDirectionsAndNamesBadEntries) {
  EXPECT_EQ(ParseSortKeys("v3:desc, id1 ,id2:asc"),
            (std::vector<SortKey>{{"v3", true}, {"id1", false}, {"id2", false}}));
  try {
    ParseSortKeys("a:down");
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("down"), std::string::npos) << e.what();
  }
  EXPECT_THROW(ParseSortKeys("a,,b"), Error);
  EXPECT_THROW(ParseSortKeys(""), Error);
  Schema schema({Field{"a", DataType::Int32()}});
  try {
    ResolveSortKeys(schema, {{"nope", false}});
    FAIL();
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("nope"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace sluice
