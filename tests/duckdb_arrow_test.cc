// Interop: sluice record batches cross into DuckDB and back through the Arrow C Data and Stream
// interfaces. DuckDB's shared library comes from the npm package @duckdb/node-api (installed by
// scripts/deps.sh into node_modules/); its C API is loaded with dlopen, so nothing links against
// it.
#include <dlfcn.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "sluice/base/error.h"
#include "sluice/base/testing/require_test_data.h"
#include "sluice/table/arrow_import.h"
#include "sluice/table/arrow_stream.h"
#include "sluice/table/builder.h"
#include "sluice/table/concat.h"
#include "sluice/table/equal.h"
#include "sluice/table/printer.h"
#include "sluice/table/sample_batch_test_support.h"

namespace sluice {
namespace {

// The subset of duckdb.h used here. Every duckdb_* handle is a pointer to a one-pointer struct, so
// void* stands in for all of them; duckdb_state is 0 on success.
struct DuckDb {
  int (*open)(const char* path, void** database);
  void (*close)(void** database);
  int (*connect)(void* database, void** connection);
  void (*disconnect)(void** connection);
  int (*arrow_scan)(void* connection, const char* table_name, void* arrow_array_stream);
  int (*query_arrow)(void* connection, const char* query, void** result);
  int (*query_arrow_schema)(void* result, void** arrow_schema);
  int (*query_arrow_array)(void* result, void** arrow_array);
  const char* (*query_arrow_error)(void* result);
  void (*destroy_arrow)(void** result);
  const char* (*library_version)();
};

template <typename F>
void Bind(void* library, const char* name, F** out) {
  *out = reinterpret_cast<F*>(dlsym(library, name));
  if (*out == nullptr) throw NotFound("{} not in libduckdb.so", name);
}

const DuckDb* LoadDuckDb() {
  static const DuckDb* duckdb = []() -> const DuckDb* {
    if (!std::filesystem::exists(SLUICE_DUCKDB_LIBRARY)) return nullptr;
    // Never closed: DuckDB's threads and atexit handlers may outlive any point we could pick.
    void* library = dlopen(SLUICE_DUCKDB_LIBRARY, RTLD_NOW | RTLD_LOCAL);
    if (library == nullptr) throw IoError("dlopen failed: {}", dlerror());
    auto* api = new DuckDb();
    Bind(library, "duckdb_open", &api->open);
    Bind(library, "duckdb_close", &api->close);
    Bind(library, "duckdb_connect", &api->connect);
    Bind(library, "duckdb_disconnect", &api->disconnect);
    Bind(library, "duckdb_arrow_scan", &api->arrow_scan);
    Bind(library, "duckdb_query_arrow", &api->query_arrow);
    Bind(library, "duckdb_query_arrow_schema", &api->query_arrow_schema);
    Bind(library, "duckdb_query_arrow_array", &api->query_arrow_array);
    Bind(library, "duckdb_query_arrow_error", &api->query_arrow_error);
    Bind(library, "duckdb_destroy_arrow", &api->destroy_arrow);
    Bind(library, "duckdb_library_version", &api->library_version);
    return api;
  }();
  return duckdb;
}

class DuckDbArrowTest : public ::testing::Test {
 protected:
  void SetUp() override {
    api_ = LoadDuckDb();
    SLUICE_REQUIRE_TEST_DATA(api_ != nullptr,
                             SLUICE_DUCKDB_LIBRARY << " is missing: run scripts/deps.sh (npm ci)");
    ASSERT_EQ(api_->open(nullptr, &database_), 0);
    ASSERT_EQ(api_->connect(database_, &connection_), 0);
    Query("SET TimeZone = 'UTC'");
  }

  void TearDown() override {
    if (connection_ != nullptr) api_->disconnect(&connection_);
    if (database_ != nullptr) api_->close(&database_);
  }

  // Hands DuckDB a stream of `batches` as the view `name`. DuckDB's C API scan pushes column
  // projection down to the producer and then reads the arrays it gets back as if projected, which
  // a plain ArrowArrayStream cannot do; and the stream is consumed by the first scan. So a view is
  // read once, with SELECT * (all columns, in order).
  void Register(const char* name, const RecordBatch& first, std::vector<RecordBatch> batches) {
    // DuckDB reads the stream while a query runs, so it must outlive this call; it is released
    // by DuckDB or, at the latest, by the fixture.
    streams_.push_back(std::make_unique<ArrowArrayStream>());
    ExportRecordBatchStream(first.shared_schema(), std::move(batches), streams_.back().get());
    ASSERT_EQ(api_->arrow_scan(connection_, name, streams_.back().get()), 0);
  }

  // Runs a query and imports its result as one batch.
  RecordBatch Query(const std::string& sql) {
    void* result = nullptr;
    if (api_->query_arrow(connection_, sql.c_str(), &result) != 0) {
      std::string message = api_->query_arrow_error(result);
      api_->destroy_arrow(&result);
      throw InvalidArgument("duckdb: {}", message).With("query", sql);
    }
    ArrowSchema arrow_schema;
    void* schema_out = &arrow_schema;
    EXPECT_EQ(api_->query_arrow_schema(result, &schema_out), 0);
    auto schema = std::make_shared<const Schema>(ImportSchema(&arrow_schema));
    std::vector<RecordBatch> batches;
    while (true) {
      ArrowArray array;
      array.release = nullptr;
      void* array_out = &array;
      EXPECT_EQ(api_->query_arrow_array(result, &array_out), 0);
      if (array.release == nullptr) break;  // no more chunks
      batches.push_back(ImportRecordBatch(&array, schema));
    }
    api_->destroy_arrow(&result);
    if (batches.empty()) {
      std::vector<Array> empty;
      for (const Field& field : schema->fields())
        empty.push_back(MakeBuilder(field.type)->Finish());
      return RecordBatch::Make(schema, std::move(empty), 0);
    }
    return Concat(batches);
  }

  const DuckDb* api_ = nullptr;
  void* database_ = nullptr;
  void* connection_ = nullptr;
  std::vector<std::unique_ptr<ArrowArrayStream>> streams_;

  ~DuckDbArrowTest() override {
    for (auto& stream : streams_) {
      if (stream->release != nullptr) stream->release(stream.get());
    }
  }
};

TEST_F(DuckDbArrowTest, EveryTypeRoundTripsThroughDuckDb) {
  RecordBatch batch = MakeSampleBatch(5000);
  Register("t", batch, {batch.Slice(0, 1234), batch.Slice(1234, 3766)});
  RecordBatch back = Query("SELECT * FROM t");
  ASSERT_EQ(back.num_rows(), batch.num_rows());
  ASSERT_EQ(back.num_columns(), batch.num_columns());
  for (int c = 0; c < batch.num_columns(); ++c) {
    const Field& sent = batch.schema().field(c);
    const Field& got = back.schema().field(c);
    EXPECT_EQ(got.name, sent.name);
    // DuckDB has no fixed-size binary type: it reads one as BLOB and returns binary.
    DataType expected = sent.type.id() == TypeId::kFixedSizeBinary ? DataType::Binary() : sent.type;
    EXPECT_EQ(got.type, expected) << sent.name << ": " << got.type.ToString();
    for (int64_t r = 0; r < batch.num_rows(); ++r) {
      ASSERT_EQ(FormatValue(back.column(c), r), FormatValue(batch.column(c), r))
          << sent.name << " row " << r;
    }
  }
}

TEST_F(DuckDbArrowTest, DuckDbComputesOverOurColumns) {
  RecordBatch batch = MakeSampleBatch(3000);
  Register("t", batch, {batch});
  Query("CREATE TABLE copied AS SELECT * FROM t");
  RecordBatch result = Query(
      "SELECT count(*)::BIGINT, count(i64)::BIGINT, sum(i64)::HUGEINT::VARCHAR, "
      "sum(length(name))::BIGINT, count(*) FILTER (WHERE flag)::BIGINT FROM copied");
  const Array& i64 = batch.column("i64");
  const Array& name = batch.column("name");
  const Array& flag = batch.column("flag");
  int64_t valid = 0;
  __int128 sum = 0;
  int64_t lengths = 0;
  int64_t flags = 0;
  for (int64_t r = 0; r < batch.num_rows(); ++r) {
    if (i64.IsValid(r)) {
      ++valid;
      sum += i64.Value<int64_t>(r);
    }
    if (name.IsValid(r)) lengths += static_cast<int64_t>(name.BinaryValue(r).size());
    if (flag.IsValid(r) && flag.BoolValue(r)) ++flags;
  }
  ASSERT_EQ(result.num_rows(), 1);
  EXPECT_EQ(result.column(0).Value<int64_t>(0), 3000);
  EXPECT_EQ(result.column(1).Value<int64_t>(0), valid);
  EXPECT_EQ(result.column(2).BinaryValue(0), FormatDecimal128(Decimal128::FromInt128(sum), 0));
  EXPECT_EQ(result.column(3).Value<int64_t>(0), lengths);
  EXPECT_EQ(result.column(4).Value<int64_t>(0), flags);
}

TEST_F(DuckDbArrowTest, ImportsWhatDuckDbProduces) {
  RecordBatch result = Query(
      "SELECT i::INTEGER AS i, 'v' || i AS s, DATE '2024-01-31' + i::INTEGER AS d, "
      "(i * 1.5)::DECIMAL(10,2) AS m FROM range(3) t(i)");
  EXPECT_EQ(ToString(result),
            "i: int32 | s: string | d: date32  | m: decimal128(10, 2)\n"
            "---------+-----------+------------+---------------------\n"
            "       0 | v0        | 2024-01-31 |                 0.00\n"
            "       1 | v1        | 2024-02-01 |                 1.50\n"
            "       2 | v2        | 2024-02-02 |                 3.00\n"
            "(3 rows)\n");
}

TEST_F(DuckDbArrowTest, NestedTypesRoundTripThroughDuckDb) {
  RecordBatch batch = MakeNestedSampleBatch(3000);
  Register("t", batch, {batch.Slice(0, 1111), batch.Slice(1111, 1889)});
  RecordBatch back = Query("SELECT * FROM t");
  ASSERT_EQ(back.num_rows(), batch.num_rows());
  ASSERT_EQ(back.num_columns(), batch.num_columns());
  for (int c = 0; c < batch.num_columns(); ++c) {
    const Field& sent = batch.schema().field(c);
    const Field& got = back.schema().field(c);
    EXPECT_EQ(got.name, sent.name);
    // DuckDB's LIST comes back with int32 offsets whatever the offsets it was given.
    TypeId expected = sent.type.id() == TypeId::kLargeList ? TypeId::kList : sent.type.id();
    EXPECT_EQ(got.type.id(), expected) << sent.name << ": " << got.type.ToString();
    for (int64_t r = 0; r < batch.num_rows(); ++r) {
      ASSERT_EQ(FormatValue(back.column(c), r), FormatValue(batch.column(c), r))
          << sent.name << " row " << r;
    }
  }
}

TEST_F(DuckDbArrowTest, DuckDbComputesOverNestedColumns) {
  RecordBatch batch = MakeNestedSampleBatch(2000);
  Register("t", batch, {batch});
  Query("CREATE TABLE copied AS SELECT * FROM t");
  RecordBatch result = Query(
      "SELECT sum(len(ints))::BIGINT, count(ints)::BIGINT, sum(point.x)::BIGINT, "
      "sum(len(points))::BIGINT, sum(cardinality(attrs))::BIGINT FROM copied");
  const Array& ints = batch.column("ints");
  const Array& point = batch.column("point");
  const Array& points = batch.column("points");
  const Array& attrs = batch.column("attrs");
  int64_t lengths = 0, lists = 0, xs = 0, point_counts = 0, entries = 0;
  for (int64_t r = 0; r < batch.num_rows(); ++r) {
    if (ints.IsValid(r)) {
      ++lists;
      lengths += ints.ValueLength(r);
    }
    if (point.IsValid(r) && point.child(0).IsValid(r)) xs += point.child(0).Value<int32_t>(r);
    if (points.IsValid(r)) point_counts += points.ValueLength(r);
    if (attrs.IsValid(r)) entries += attrs.ValueLength(r);
  }
  ASSERT_EQ(result.num_rows(), 1);
  EXPECT_EQ(result.column(0).Value<int64_t>(0), lengths);
  EXPECT_EQ(result.column(1).Value<int64_t>(0), lists);
  EXPECT_EQ(result.column(2).Value<int64_t>(0), xs);
  EXPECT_EQ(result.column(3).Value<int64_t>(0), point_counts);
  EXPECT_EQ(result.column(4).Value<int64_t>(0), entries);
}

TEST_F(DuckDbArrowTest, ImportsNestedValuesDuckDbMakes) {
  RecordBatch result = Query(
      "SELECT [1, NULL, 3] AS l, {'a': 1, 'b': 'x'} AS s, MAP {'k': 1, 'j': NULL} AS m, "
      "[[1], [], NULL] AS ll, NULL::INTEGER[] AS n, [{'p': [2]}] AS ls, "
      "[1.5, 2.5]::DOUBLE[2] AS a");
  ASSERT_EQ(result.num_rows(), 1);
  EXPECT_EQ(result.schema().field(0).type, DataType::List(DataType::Int32()));
  EXPECT_EQ(result.schema().field(2).type.id(), TypeId::kMap);
  EXPECT_EQ(result.schema().field(6).type.ToString(), "fixed_size_list<float64>[2]");
  EXPECT_EQ(FormatValue(result.column(0), 0), "[1, null, 3]");
  EXPECT_EQ(FormatValue(result.column(1), 0), "{a: 1, b: \"x\"}");
  EXPECT_EQ(FormatValue(result.column(2), 0), "{\"k\": 1, \"j\": null}");
  EXPECT_EQ(FormatValue(result.column(3), 0), "[[1], [], null]");
  EXPECT_EQ(FormatValue(result.column(4), 0), "null");
  EXPECT_EQ(FormatValue(result.column(5), 0), "[{p: [2]}]");
  EXPECT_EQ(FormatValue(result.column(6), 0), "[1.5, 2.5]");
}

}  // namespace
}  // namespace sluice

// DuckDB's C API (duckdb_arrow_scan and its schema factory) takes the schema of our stream and
// never releases it, so LeakSanitizer would blame those few bytes on the exporter.
extern "C" const char* __lsan_default_suppressions() { return "leak:sluice::ExportSchema\n"; }
