#include "sluice/api/table.h"

#include <gtest/gtest.h>

#include <filesystem>
#include <map>

#include "sluice/base/error.h"
#include "sluice/table/builder.h"

namespace sluice {
namespace {

namespace fs = std::filesystem;

// orders: customer (string), amount (int64); customers: customer, city.
Table Orders() {
  auto schema = std::make_shared<const Schema>(
      std::vector<Field>{{"customer", DataType::String()}, {"amount", DataType::Int64()}});
  std::vector<RecordBatch> batches;
  for (int b = 0; b < 3; ++b) {
    StringBuilder c;
    Int64Builder a;
    for (int r = 0; r < 1000; ++r) {
      c.Append("c" + std::to_string((b * 1000 + r) % 50));
      a.Append(r % 7);
    }
    batches.push_back(RecordBatch::Make(schema, {c.Finish(), a.Finish()}));
  }
  return Table::FromBatches(schema, std::move(batches));
}

Table Customers() {
  auto schema = std::make_shared<const Schema>(
      std::vector<Field>{{"customer", DataType::String()}, {"city", DataType::String()}});
  StringBuilder c;
  StringBuilder city;
  for (int i = 0; i < 40; ++i) {  // c40..c49 have no city row
    c.Append("c" + std::to_string(i));
    city.Append(i % 2 == 0 ? "even" : "odd");
  }
  return Table::FromBatches(schema, {RecordBatch::Make(schema, {c.Finish(), city.Finish()})});
}

int64_t Rows(const std::vector<RecordBatch>& batches) {
  int64_t n = 0;
  for (const auto& b : batches) n += b.num_rows();
  return n;
}

TEST(TableApi, GroupJoinSortChainGivesTheExpectedRows) {
  std::map<std::string, int64_t> want;
  for (int i = 0; i < 3000; ++i) want["c" + std::to_string(i % 50)] += (i % 1000) % 7;

  std::shared_ptr<const Schema> schema;
  std::vector<RecordBatch> out = Orders()
                                     .GroupBy({"customer"})
                                     .Agg("sum(amount) as total, count(*) as n")
                                     .Join(Customers(), {"customer"})
                                     .Sort(ParseSortKeys("total:desc,customer"), 5)
                                     .Collect(&schema);
  ASSERT_EQ(Rows(out), 5);
  EXPECT_EQ(schema->num_fields(), 4);  // customer, total, n, city
  int64_t previous = INT64_MAX;
  for (const RecordBatch& b : out) {
    for (int64_t r = 0; r < b.num_rows(); ++r) {
      const std::string customer(b.column(0).BinaryValue(r));
      const int64_t total = b.column(1).Value<int64_t>(r);
      EXPECT_EQ(total, want.at(customer)) << customer;
      EXPECT_EQ(b.column(2).Value<int64_t>(r), 60);
      EXPECT_LE(total, previous);
      previous = total;
    }
  }
}

TEST(TableApi, DistinctTopNAndWriteThenScanRoundTrip) {
  EXPECT_EQ(Rows(Orders().Distinct().Collect()), 50 * 7);  // each customer meets every amount
  EXPECT_EQ(Rows(Orders().Distinct({"customer"}).Collect()), 50);
  EXPECT_EQ(Rows(Orders().TopN({"customer"}, ParseSortKeys("amount:desc"), 2).Collect()), 100);
  EXPECT_EQ(Rows(Orders().Join(Customers(), {"customer"}, JoinKind::kAnti).Collect()), 600);

  const fs::path dir = fs::temp_directory_path() / ("sluice_api_test_" + std::to_string(getpid()));
  fs::create_directories(dir);
  const std::string csv = (dir / "totals.csv").string();
  ExecOptions small;
  small.run.memory_budget = 4 << 20;
  Orders().With(small).GroupBy({"customer"}).Agg("sum(amount) as total").Write(csv);
  std::shared_ptr<const Schema> schema;
  EXPECT_EQ(Rows(Table::Scan({csv}).Collect(&schema)), 50);
  EXPECT_EQ(schema->field(1).name, "total");
  EXPECT_THROW(Orders().Write((dir / "out.txt").string()), Error);
  EXPECT_FALSE(fs::exists(dir / "out.txt"));
  fs::remove_all(dir);
}

TEST(TableApi, ErrorsSurfaceWhenTheTableRuns) {
  Table bad = Orders().GroupBy({"nope"}).Agg("count(*)");
  try {
    bad.Collect();
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("nope"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace sluice
