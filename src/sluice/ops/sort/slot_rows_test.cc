#include "sluice/ops/sort/slot_rows.h"

#include <gtest/gtest.h>

#include <optional>
#include <random>

#include "sluice/ops/sort/row_gather.h"
#include "sluice/table/builder.h"
#include "sluice/table/equal.h"
#include "sluice/table/printer.h"

namespace sluice {
namespace {

std::shared_ptr<const Schema> AllLayouts() {
  return std::make_shared<const Schema>(std::vector<Field>{
      {"b", DataType::Bool()},
      {"i8", DataType::Int8()},
      {"i32", DataType::Int32()},
      {"f64", DataType::Float64()},
      {"dec", DataType::Decimal128(20, 2)},
      {"fsb", DataType::FixedSizeBinary(3)},
      {"s", DataType::String()},
      {"bin", DataType::Binary()},
  });
}

// Random rows with nulls in every column; strings from empty to 1000 bytes (inline and arena).
RecordBatch RandomBatch(const std::shared_ptr<const Schema>& schema, int rows,
                        std::mt19937_64& rng) {
  BoolBuilder b;
  Int8Builder i8;
  Int32Builder i32;
  Float64Builder f64;
  Decimal128Builder dec(DataType::Decimal128(20, 2));
  FixedSizeBinaryBuilder fsb(DataType::FixedSizeBinary(3));
  StringBuilder s;
  BinaryBuilder bin(DataType::Binary());
  auto text = [&] {
    const size_t lengths[] = {0, 1, 5, 12, 13, 40, 1000};
    std::string out(lengths[rng() % 7], 'a');
    for (char& ch : out) ch = static_cast<char>('a' + rng() % 26);
    return out;
  };
  for (int r = 0; r < rows; ++r) {
    const bool null = rng() % 6 == 0;
    if (null) {
      b.AppendNull();
      i8.AppendNull();
      i32.AppendNull();
      f64.AppendNull();
      dec.AppendNull();
      fsb.AppendNull();
      s.AppendNull();
      bin.AppendNull();
      continue;
    }
    b.Append(rng() % 2 == 0);
    i8.Append(static_cast<int8_t>(rng()));
    i32.Append(static_cast<int32_t>(rng()));
    f64.Append(static_cast<double>(rng() % 1000) / 7);
    dec.Append(Decimal128::FromInt128(static_cast<__int128>(rng()) * 1000));
    const std::string three = text() + "xyz";
    fsb.Append(std::string_view(three).substr(0, 3));
    s.Append(text());
    bin.Append(text());
  }
  return RecordBatch::Make(schema, {b.Finish(), i8.Finish(), i32.Finish(), f64.Finish(),
                                    dec.Finish(), fsb.Finish(), s.Finish(), bin.Finish()});
}

// Scatters random rows into random cells, batch after batch (some batches sliced, so offsets are
// not zero; a cell may be named twice in one scatter), and checks every cell against the row
// last written into it. Many long strings are overwritten, so the arena is compacted along the
// way.
TEST(SlotRowsTest, GatherGivesTheRowLastScatteredIntoEachCell) {
  const auto schema = AllLayouts();
  std::mt19937_64 rng(3);
  SlotRows rows(schema);
  rows.Resize(40);
  std::vector<RecordBatch> batches;
  std::vector<std::optional<RowRef>> last(300);
  for (int b = 0; b < 60; ++b) {
    RecordBatch batch = RandomBatch(schema, 500, rng);
    if (b % 3 == 1) batch = batch.Slice(17, 400);
    if (b == 30) rows.Resize(300);  // grows mid-way; the old cells keep their rows
    std::vector<uint32_t> picked_rows;
    std::vector<uint32_t> picked_cells;
    for (int k = 0; k < 200; ++k) {
      const uint32_t cell = static_cast<uint32_t>(rng() % static_cast<uint64_t>(rows.cells()));
      const uint32_t row = static_cast<uint32_t>(rng() % static_cast<uint64_t>(batch.num_rows()));
      picked_rows.push_back(row);
      picked_cells.push_back(cell);
      last[cell] = RowRef{static_cast<uint32_t>(batches.size()), row};
    }
    rows.Scatter(batch, picked_rows, picked_cells);
    batches.push_back(batch);
  }
  std::vector<uint32_t> cells;
  std::vector<RowRef> refs;
  for (uint32_t c = 0; c < last.size(); ++c) {
    if (!last[c]) continue;
    cells.push_back(c);
    refs.push_back(*last[c]);
  }
  ASSERT_GT(cells.size(), 250u);
  // In reverse, and some cells twice.
  std::reverse(cells.begin(), cells.end());
  std::reverse(refs.begin(), refs.end());
  cells.push_back(cells[0]);
  refs.push_back(refs[0]);
  const RecordBatch got = rows.Gather(cells);
  const RecordBatch expected = GatherRows(schema, batches, refs);
  EXPECT_TRUE(got == expected) << ToString(got) << "\n" << ToString(expected);
  EXPECT_GT(rows.ByteSize(), 300 * 16);
}

// Several SlotRows gathered into one batch, cells of each interleaved (long strings from each
// one's own arena).
TEST(SlotRowsTest, GatherFromSeveralSources) {
  const auto schema = AllLayouts();
  std::mt19937_64 rng(9);
  std::vector<RecordBatch> batches;
  SlotRows first(schema);
  SlotRows second(schema);
  std::vector<SlotRows::Ref> refs;
  std::vector<RowRef> expected_refs;
  for (uint32_t source = 0; source < 2; ++source) {
    SlotRows& rows = source == 0 ? first : second;
    rows.Resize(50);
    batches.push_back(RandomBatch(schema, 100, rng));
    std::vector<uint32_t> picked_rows;
    std::vector<uint32_t> picked_cells;
    for (uint32_t cell = 0; cell < 50; ++cell) {
      picked_rows.push_back((cell * 7 + source) % 100);
      picked_cells.push_back(cell);
    }
    rows.Scatter(batches.back(), picked_rows, picked_cells);
    for (uint32_t cell = 0; cell < 50; cell += 3) {
      refs.push_back(SlotRows::Ref{source, cell});
      expected_refs.push_back(RowRef{source, picked_rows[cell]});
    }
  }
  std::reverse(refs.begin(), refs.begin() + 10);  // second's cells among first's
  std::reverse(expected_refs.begin(), expected_refs.begin() + 10);
  std::swap(refs[0], refs.back());
  std::swap(expected_refs[0], expected_refs.back());
  const std::vector<const SlotRows*> sources = {&first, &second};
  const RecordBatch got = SlotRows::Gather(sources, refs);
  const RecordBatch expected = GatherRows(schema, batches, expected_refs);
  EXPECT_TRUE(got == expected) << ToString(got) << "\n" << ToString(expected);
}

TEST(SlotRowsTest, NewCellsAreNullAndGatherOfNoCellsIsEmpty) {
  const auto schema = AllLayouts();
  SlotRows rows(schema);
  rows.Resize(3);
  const RecordBatch nulls = rows.Gather(std::vector<uint32_t>{2, 0});
  ASSERT_EQ(nulls.num_rows(), 2);
  for (int c = 0; c < nulls.num_columns(); ++c) EXPECT_EQ(nulls.column(c).null_count(), 2);
  EXPECT_EQ(rows.Gather({}).num_rows(), 0);
}

}  // namespace
}  // namespace sluice
