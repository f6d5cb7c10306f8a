// `sluice cat` and `sluice inspect` on nested columns end to end: lists, structs, maps and lists
// of lists print as JSON in CSV cells and in JSON lines (nulls at every level, empty lists), and
// inspect shows the schema tree with each top-level field's sluice type.
#include <gtest/gtest.h>

#include <filesystem>
#include <nlohmann/json.hpp>

#include "command_output_test_support.h"
#include "sluice/io/parquet/file_writer.h"
#include "sluice/table/nested_builder.h"

namespace sluice {
namespace {

namespace fs = std::filesystem;

std::string RunSluice(const std::string& args, int* status) {
  return testing::CommandOutput(std::string(SLUICE_BINARY) + " " + args + " 2>/dev/null", status);
}

class ParquetNestedCliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() / ("sluice_nested_cli_" + std::to_string(getpid()));
    fs::create_directories(dir_);
    DataType point = DataType::Struct({{"x", DataType::Int32()}, {"y", DataType::Float64()}});
    auto schema = std::make_shared<const Schema>(
        std::vector<Field>{{"id", DataType::Int64(), false},
                           {"tags", DataType::List(DataType::String())},
                           {"point", point},
                           {"attrs", DataType::Map(DataType::String(), DataType::Int64())},
                           {"grid", DataType::List(DataType::List(DataType::Int32()))}});
    Int64Builder id;
    ListBuilder tags(schema->field(1).type);
    StructBuilder xy(point);
    ListBuilder attrs(schema->field(3).type);
    ListBuilder grid(schema->field(4).type);
    auto& tag = static_cast<StringBuilder&>(tags.values());
    auto& x = static_cast<Int32Builder&>(xy.child(0));
    auto& y = static_cast<Float64Builder&>(xy.child(1));
    auto& entries = static_cast<StructBuilder&>(attrs.values());
    auto& inner = static_cast<ListBuilder&>(grid.values());
    auto& cell = static_cast<Int32Builder&>(inner.values());
    // 1, ["a", null, "b,c"], {x: 1, y: 2.5}, {"k": 1}, [[1, 2], []]
    id.Append(1);
    tags.Append(), tag.Append("a"), tag.AppendNull(), tag.Append("b,c");
    xy.Append(), x.Append(1), y.Append(2.5);
    attrs.Append(), entries.Append();
    static_cast<StringBuilder&>(entries.child(0)).Append("k");
    static_cast<Int64Builder&>(entries.child(1)).Append(1);
    grid.Append(), inner.Append(), cell.Append(1), cell.Append(2), inner.Append();
    // 2, [], null, {}, null
    id.Append(2);
    tags.Append();
    xy.AppendNull();
    attrs.Append();
    grid.AppendNull();
    // 3, null, {x: null, y: -1}, null, [null, [3]]
    id.Append(3);
    tags.AppendNull();
    xy.Append(), x.AppendNull(), y.Append(-1);
    attrs.AppendNull();
    grid.Append(), inner.AppendNull(), inner.Append(), cell.Append(3);
    path_ = (dir_ / "nested.parquet").string();
    parquet::WriteParquetFile(path_, schema,
                              {RecordBatch::Make(schema, {id.Finish(), tags.Finish(), xy.Finish(),
                                                          attrs.Finish(), grid.Finish()})});
  }
  void TearDown() override { fs::remove_all(dir_); }
  fs::path dir_;
  std::string path_;
};

TEST_F(ParquetNestedCliTest, CatPrintsNestedValuesAsJson) {
  int status = 0;
  EXPECT_EQ(RunSluice("cat " + path_, &status),
            "id,tags,point,attrs,grid\r\n"
            "1,\"[\"\"a\"\",null,\"\"b,c\"\"]\",\"{\"\"x\"\":1,\"\"y\"\":2.5}\","
            "\"{\"\"k\"\":1}\",\"[[1,2],[]]\"\r\n"
            "2,[],,{},\r\n"
            "3,,\"{\"\"x\"\":null,\"\"y\"\":-1.0}\",,\"[null,[3]]\"\r\n");
  EXPECT_EQ(status, 0);
  EXPECT_EQ(RunSluice("cat --format jsonl " + path_, &status),
            "{\"id\":1,\"tags\":[\"a\",null,\"b,c\"],\"point\":{\"x\":1,\"y\":2.5},"
            "\"attrs\":{\"k\":1},\"grid\":[[1,2],[]]}\n"
            "{\"id\":2,\"tags\":[],\"point\":null,\"attrs\":{},\"grid\":null}\n"
            "{\"id\":3,\"tags\":null,\"point\":{\"x\":null,\"y\":-1.0},\"attrs\":null,"
            "\"grid\":[null,[3]]}\n");
  EXPECT_EQ(status, 0);
  EXPECT_EQ(RunSluice("cat --format jsonl --columns grid --limit 1 " + path_, &status),
            "{\"grid\":[[1,2],[]]}\n");
  // A leaf inside a nested column is not a column of its own.
  EXPECT_EQ(RunSluice("cat --columns tags.list.element " + path_, &status), "");
  EXPECT_NE(status, 0);
}

TEST_F(ParquetNestedCliTest, InspectShowsTheSchemaTree) {
  int status = 0;
  std::string text = RunSluice("inspect " + path_, &status);
  EXPECT_EQ(status, 0);
  for (const char* line :
       {"\n  tags: OPTIONAL group (LIST) -> list<string>\n    list: REPEATED group\n"
        "      element: OPTIONAL BYTE_ARRAY",
        "\n  point: OPTIONAL group -> struct<x: int32, y: float64>\n    x: OPTIONAL INT32",
        "\n  attrs: OPTIONAL group (MAP) -> map<string, int64>\n    key_value: REPEATED group\n"
        "      key: REQUIRED BYTE_ARRAY",
        "\n  grid: OPTIONAL group (LIST) -> list<list<int32>>\n", "\n  id: REQUIRED INT64"}) {
    EXPECT_NE(text.find(line), std::string::npos) << line << "\nin\n" << text;
  }
  nlohmann::json d = nlohmann::json::parse(RunSluice("inspect --json " + path_, &status));
  EXPECT_EQ(d["fields"][3]["name"], "attrs");
  EXPECT_EQ(d["fields"][3]["type"], "map<string, int64>");
  EXPECT_EQ(d["columns"][1]["path"], "tags.list.element");
  EXPECT_EQ(d["columns"][1]["type"], "string");
}

}  // namespace
}  // namespace sluice
