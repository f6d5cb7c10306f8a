// The compaction plan from real footers: schema unification, row group order, and binning into
// output row groups and files.
#include "sluice/jobs/compact/compaction_plan.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>

#include "sluice/base/error.h"
#include "sluice/base/testing/scratch_dir.h"
#include "sluice/io/parquet/file_writer.h"
#include "sluice/table/builder.h"

namespace sluice::compact {
namespace {

namespace fs = std::filesystem;

class CompactionPlanTest : public ::testing::Test {
 protected:
  ScratchDir scratch_{"sluice-plan"};
  const fs::path& dir_ = scratch_.path();

  // A file of `rows` ids counting up from `first`, in row groups of `group_rows`; with `name`, a
  // string column before the id.
  InputFile Write(const std::string& file, int64_t first, int64_t rows, int64_t group_rows,
                  DataType id_type = DataType::Int64(), bool name = false) {
    std::vector<Field> fields;
    std::vector<Array> columns;
    if (name) {
      StringBuilder names;
      for (int64_t i = 0; i < rows; ++i) names.Append("n" + std::to_string(i));
      fields.push_back({"name", DataType::String(), false});
      columns.push_back(names.Finish());
    }
    fields.push_back({"id", id_type, false});
    if (id_type == DataType::Int64()) {
      Int64Builder ids;
      for (int64_t i = 0; i < rows; ++i) ids.Append(first + i);
      columns.push_back(ids.Finish());
    } else {
      Int32Builder ids;
      for (int64_t i = 0; i < rows; ++i) ids.Append(static_cast<int32_t>(first + i));
      columns.push_back(ids.Finish());
    }
    auto schema = std::make_shared<const Schema>(fields);
    parquet::ParquetWriteOptions options;
    options.row_group_rows = group_rows;
    const std::string path = (dir_ / file).string();
    parquet::WriteParquetFile(path, schema, {RecordBatch::Make(schema, std::move(columns))},
                              options);
    return {path, static_cast<int64_t>(fs::file_size(path)),
            std::make_shared<const parquet::ParquetFooter>(parquet::ReadFooter(path))};
  }

  static std::vector<int> Files(const OutputRowGroupPlan& group) {
    std::vector<int> files;
    for (const RowGroupRef& ref : group.inputs) files.push_back(ref.file);
    return files;
  }
};

TEST_F(CompactionPlanTest, RowGroupsAreBinnedByRowsAndOutputRowGroupsIntoFilesByBytes) {
  std::vector<InputFile> files = {Write("a", 0, 200, 100), Write("b", 200, 200, 100),
                                  Write("c", 400, 200, 100)};
  CompactOptions options;
  options.row_group_bytes = 0;
  options.row_group_rows = 250;  // closes before a third 100-row group
  PartitionPlan plan = PlanPartition(files, options);
  EXPECT_EQ(plan.rows, 600);
  EXPECT_EQ(plan.row_groups_in, 6);
  EXPECT_EQ(plan.row_groups_out, 3);
  EXPECT_EQ(plan.bytes_in, files[0].size + files[1].size + files[2].size);
  EXPECT_EQ(plan.column_map, (std::vector<std::vector<int>>{{0}, {0}, {0}}));
  ASSERT_EQ(plan.files.size(), 1u);
  EXPECT_EQ(plan.files[0].name, "part-00000.parquet");
  ASSERT_EQ(plan.files[0].row_groups.size(), 3u);
  for (const OutputRowGroupPlan& group : plan.files[0].row_groups) EXPECT_EQ(group.rows, 200);
  EXPECT_EQ(Files(plan.files[0].row_groups[1]), (std::vector<int>{1, 1}));

  // A file closes before the output row group that would take it past its target.
  options.target_file_bytes = plan.files[0].row_groups[0].bytes;
  plan = PlanPartition(files, options);
  ASSERT_EQ(plan.files.size(), 3u);
  EXPECT_EQ(plan.files[2].name, "part-00002.parquet");
  EXPECT_EQ(plan.files[2].rows, 200);
}

TEST_F(CompactionPlanTest, OrderByRanksRowGroupsByTheirMinimumStatistic) {
  std::vector<InputFile> files = {Write("a", 500, 100, 50), Write("b", 0, 100, 50),
                                  Write("c", 250, 100, 50)};
  CompactOptions options;
  options.row_group_bytes = 0;
  options.row_group_rows = 50;  // one input row group per output row group
  options.order_by = "id";
  PartitionPlan plan = PlanPartition(files, options);
  ASSERT_EQ(plan.files.size(), 1u);
  std::vector<int> order;
  for (const OutputRowGroupPlan& group : plan.files[0].row_groups) {
    order.push_back(group.inputs.at(0).file * 10 + group.inputs.at(0).row_group);
  }
  EXPECT_EQ(order, (std::vector<int>{10, 11, 20, 21, 0, 1}));

  options.order_by = "nope";
  try {
    PlanPartition(files, options);
    FAIL() << "ordered by a column that does not exist";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kNotFound);
  }
}

// By name (the default): the newest file's fields first (equal times: the later path), a column a
// file lacks maps to -1, a REQUIRED column made OPTIONAL for it and a narrower one re-encode.
TEST_F(CompactionPlanTest, SchemasUnifyByNameWideningAndFillingNulls) {
  InputFile first = Write("a", 0, 10, 10, DataType::Int64(), true);  // name, id
  InputFile fewer = Write("b", 0, 10, 10);                           // id
  InputFile narrower = Write("c", 0, 10, 10, DataType::Int32(), true);
  CompactOptions options;
  PartitionPlan plan = PlanPartition({first, fewer}, options);
  EXPECT_EQ(plan.columns->top_level_names(), (std::vector<std::string>{"id", "name"}));
  EXPECT_EQ(plan.column_map, (std::vector<std::vector<int>>{{1, 0}, {0, -1}}));
  EXPECT_EQ(plan.reencode, (std::vector<std::vector<bool>>{{false, true}, {false, false}}));
  EXPECT_EQ(plan.columns->columns()[1].repetition, parquet::Repetition::kOptional);
  fewer.modified_ns = 1;
  first.modified_ns = 2;  // now the newest
  EXPECT_EQ(PlanPartition({first, fewer}, options).columns->top_level_names(),
            (std::vector<std::string>{"name", "id"}));

  plan = PlanPartition({first, narrower}, options);
  EXPECT_EQ(plan.columns->columns()[1].physical_type, parquet::PhysicalType::kInt64);
  EXPECT_EQ(plan.reencode, (std::vector<std::vector<bool>>{{false, false}, {false, true}}));

  // --order-by compares a widened file's minimum as the output's type.
  InputFile late = Write("e", 100, 10, 10);
  InputFile negative = Write("f", -5, 10, 10, DataType::Int32());
  options.order_by = "id";
  plan = PlanPartition({late, negative}, options);
  ASSERT_EQ(plan.files.size(), 1u);
  EXPECT_EQ(Files(plan.files[0].row_groups[0]), (std::vector<int>{1, 0}));
}

TEST_F(CompactionPlanTest, SchemasUnifyByColumnPathAndDifferencesNameTheColumn) {
  InputFile first = Write("a", 0, 10, 10, DataType::Int64(), true);
  InputFile fewer = Write("b", 0, 10, 10);  // the id alone
  InputFile other_type = Write("c", 0, 10, 10, DataType::Int32(), true);
  CompactOptions options;
  options.union_by_name = false;
  EXPECT_EQ(PlanPartition({first, first}, options).column_map,
            (std::vector<std::vector<int>>{{0, 1}, {0, 1}}));
  try {
    PlanPartition({first, fewer}, options);
    FAIL() << "a file with a column fewer was planned";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kInvalidData);
    EXPECT_EQ(e.ContextValue("other_file"), fewer.path);
  }
  try {
    PlanPartition({first, other_type}, options);
    FAIL() << "a column of another type was planned";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kInvalidData);
    EXPECT_NE(std::string(e.what()).find("column id"), std::string::npos) << e.what();
  }
  EXPECT_TRUE(PlanPartition({}, options).files.empty());
}

// A footer of one row group of 10 rows over `schema` (a schema list), its chunks empty.
InputFile NestedFile(const std::string& path, std::vector<parquet::SchemaElement> schema) {
  auto footer = std::make_shared<parquet::ParquetFooter>();
  footer->schema = parquet::ParquetSchema::Build(schema);
  footer->metadata.schema = std::move(schema);
  parquet::RowGroup rg;
  rg.num_rows = 10;
  for (const parquet::ColumnDescriptor& c : footer->schema.columns()) {
    parquet::ColumnChunk chunk;
    chunk.meta_data = parquet::ColumnMetaData{};
    chunk.meta_data->type = c.physical_type;
    chunk.meta_data->path_in_schema = c.path;
    rg.columns.push_back(std::move(chunk));
  }
  footer->metadata.row_groups.push_back(std::move(rg));
  return {path, 100, footer};
}

parquet::SchemaElement Group(std::string name, parquet::Repetition r, int children,
                             std::optional<parquet::ConvertedType> converted = {}) {
  parquet::SchemaElement e;
  e.name = std::move(name);
  e.repetition_type = r;
  e.num_children = children;
  e.converted_type = converted;
  return e;
}

parquet::SchemaElement Leaf(std::string name, parquet::Repetition r) {
  parquet::SchemaElement e;
  e.name = std::move(name);
  e.repetition_type = r;
  e.type = parquet::PhysicalType::kInt64;
  return e;
}

// tags: a list of structs {a, b}; then a flat id.
std::vector<parquet::SchemaElement> ListOfStructs(parquet::Repetition element) {
  using R = parquet::Repetition;
  return {Group("schema", R::kRequired, 2),
          Group("tags", R::kOptional, 1, parquet::ConvertedType::kList),
          Group("list", R::kRepeated, 1),
          Group("element", element, 2),
          Leaf("a", R::kOptional),
          Leaf("b", R::kOptional),
          Leaf("id", R::kRequired)};
}

TEST(CompactionPlanNestedTest, NestedLeavesUnifyWhenTheGroupsAboveThemAgree) {
  using R = parquet::Repetition;
  InputFile a = NestedFile("a", ListOfStructs(R::kOptional));
  InputFile b = NestedFile("b", ListOfStructs(R::kOptional));
  CompactOptions options;
  PartitionPlan plan = PlanPartition({a, b}, options);
  EXPECT_EQ(plan.rows, 20);
  EXPECT_EQ(plan.column_map, (std::vector<std::vector<int>>{{0, 1, 2}, {0, 1, 2}}));

  // Same leaves and leaf types, but a required struct: its levels mean something else.
  InputFile required = NestedFile("c", ListOfStructs(R::kRequired));
  try {
    PlanPartition({a, required}, options);
    FAIL() << "a list of optional structs unified with a list of required ones";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kInvalidData);
    EXPECT_NE(std::string(e.what()).find("column tags.list.element.a lies in"), std::string::npos)
        << e.what();
    EXPECT_EQ(e.ContextValue("other_file"), "c");
  }

  // By name, a field that is a group in one file and a column in another does not unify.
  InputFile flat = NestedFile("d", {Group("schema", R::kRequired, 2), Leaf("tags", R::kOptional),
                                    Leaf("id", R::kRequired)});
  try {
    PlanPartition({a, flat}, options);
    FAIL() << "a list unified with a column";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kInvalidData);
    EXPECT_NE(std::string(e.what()).find("field tags is a column against a group of 2 columns"),
              std::string::npos)
        << e.what();
  }

  // A nested leaf's statistics cover all its elements: it orders no row groups.
  options.order_by = "tags.list.element.a";
  try {
    PlanPartition({a, b}, options);
    FAIL() << "ordered by a nested leaf";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kNotSupported);
  }
  options.order_by = "id";
  EXPECT_EQ(PlanPartition({a, b}, options).rows, 20);
}

}  // namespace
}  // namespace sluice::compact
