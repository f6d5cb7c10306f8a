#include "duckdb_query_test_support.h"

#include <dlfcn.h>
#include <fmt/format.h>

#include <algorithm>
#include <filesystem>
#include <string_view>
#include <vector>

#include "sluice/base/error.h"
#include "sluice/table/arrow_import.h"
#include "sluice/table/builder.h"
#include "sluice/table/concat.h"
#include "sluice/table/printer.h"

namespace sluice::testing {
namespace {

// The subset of duckdb.h used here. Every duckdb_* handle is a pointer to a one-pointer struct, so
// void* stands in for all of them; duckdb_state is 0 on success.
struct DuckDbApi {
  int (*open)(const char* path, void** database);
  void (*close)(void** database);
  int (*connect)(void* database, void** connection);
  void (*disconnect)(void** connection);
  int (*query_arrow)(void* connection, const char* query, void** result);
  int (*query_arrow_schema)(void* result, void** arrow_schema);
  int (*query_arrow_array)(void* result, void** arrow_array);
  const char* (*query_arrow_error)(void* result);
  void (*destroy_arrow)(void** result);
};

template <typename F>
void Bind(void* library, const char* name, F** out) {
  *out = reinterpret_cast<F*>(dlsym(library, name));
  if (*out == nullptr) throw NotFound("{} not in libduckdb.so", name);
}

const DuckDbApi* LoadApi(const std::string& path) {
  static const DuckDbApi* api = [&]() -> const DuckDbApi* {
    if (!std::filesystem::exists(path)) return nullptr;
    // Never closed: DuckDB's threads and atexit handlers may outlive any point we could pick.
    void* library = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (library == nullptr) throw IoError("dlopen failed: {}", dlerror());
    auto* loaded = new DuckDbApi();
    Bind(library, "duckdb_open", &loaded->open);
    Bind(library, "duckdb_close", &loaded->close);
    Bind(library, "duckdb_connect", &loaded->connect);
    Bind(library, "duckdb_disconnect", &loaded->disconnect);
    Bind(library, "duckdb_query_arrow", &loaded->query_arrow);
    Bind(library, "duckdb_query_arrow_schema", &loaded->query_arrow_schema);
    Bind(library, "duckdb_query_arrow_array", &loaded->query_arrow_array);
    Bind(library, "duckdb_query_arrow_error", &loaded->query_arrow_error);
    Bind(library, "duckdb_destroy_arrow", &loaded->destroy_arrow);
    return loaded;
  }();
  return api;
}

const DuckDbApi* g_api = nullptr;

int64_t UnitsPerSecond(TimeUnit unit) {
  switch (unit) {
    case TimeUnit::kSecond:
      return 1;
    case TimeUnit::kMilli:
      return 1000;
    case TimeUnit::kMicro:
      return 1000 * 1000;
    case TimeUnit::kNano:
      return 1000 * 1000 * 1000;
  }
  return 1;
}

std::string Uuid(std::string_view bytes) {
  std::string out;
  for (size_t i = 0; i < bytes.size(); ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out += '-';
    out += fmt::format("{:02x}", static_cast<uint8_t>(bytes[i]));
  }
  return out;
}

}  // namespace

std::unique_ptr<DuckDbQuery> DuckDbQuery::Open(const std::string& library_path) {
  g_api = LoadApi(library_path);
  if (g_api == nullptr) return nullptr;
  std::unique_ptr<DuckDbQuery> db(new DuckDbQuery());
  if (g_api->open(nullptr, &db->database_) != 0) throw IoError("duckdb_open failed");
  if (g_api->connect(db->database_, &db->connection_) != 0) throw IoError("duckdb_connect failed");
  db->Query("SET TimeZone = 'UTC'");
  return db;
}

DuckDbQuery::~DuckDbQuery() {
  if (connection_ != nullptr) g_api->disconnect(&connection_);
  if (database_ != nullptr) g_api->close(&database_);
}

RecordBatch DuckDbQuery::Query(const std::string& sql) {
  void* result = nullptr;
  if (g_api->query_arrow(connection_, sql.c_str(), &result) != 0) {
    std::string message = g_api->query_arrow_error(result);
    g_api->destroy_arrow(&result);
    throw InvalidArgument("duckdb: {}", message).With("query", sql);
  }
  ArrowSchema arrow_schema;
  void* schema_out = &arrow_schema;
  std::shared_ptr<const Schema> schema;
  std::vector<RecordBatch> batches;
  try {
    if (g_api->query_arrow_schema(result, &schema_out) != 0) throw IoError("no arrow schema");
    schema = std::make_shared<const Schema>(ImportSchema(&arrow_schema));
    while (true) {
      ArrowArray array;
      array.release = nullptr;
      void* array_out = &array;
      if (g_api->query_arrow_array(result, &array_out) != 0) throw IoError("no arrow array");
      if (array.release == nullptr) break;  // no more chunks
      batches.push_back(ImportRecordBatch(&array, schema));
    }
  } catch (...) {
    g_api->destroy_arrow(&result);
    throw;
  }
  g_api->destroy_arrow(&result);
  if (batches.empty()) {
    std::vector<Array> empty;
    for (const Field& field : schema->fields()) empty.push_back(MakeBuilder(field.type)->Finish());
    return RecordBatch::Make(schema, std::move(empty), 0);
  }
  return Concat(batches);
}

int64_t DuckDbQuery::QueryInt(const std::string& sql) {
  RecordBatch result = Query(sql);
  if (result.num_rows() != 1) {
    throw InvalidArgument("the query returned {} rows, not one: {}", result.num_rows(), sql);
  }
  return result.column(0).Value<int64_t>(0);
}

MultisetDifference CompareMultisets(DuckDbQuery& duckdb, const std::string& ours,
                                    const std::string& theirs) {
  RecordBatch diff = duckdb.Query("SELECT count(*) FROM ((" + ours + ") EXCEPT ALL (" + theirs +
                                  ")) UNION ALL SELECT count(*) FROM ((" + theirs +
                                  ") EXCEPT ALL (" + ours + "))");
  return {diff.column(0).Value<int64_t>(0), diff.column(0).Value<int64_t>(1)};
}

std::string ComparableValue(const Array& array, int64_t i, const DataType& peer) {
  if (array.IsNull(i)) return "null";
  const DataType& type = array.type();
  if (type.id() == TypeId::kTimestamp && peer.id() == TypeId::kTimestamp) {
    int64_t value = array.Value<int64_t>(i);
    int64_t own = UnitsPerSecond(type.unit());
    int64_t coarse = std::min(own, UnitsPerSecond(peer.unit()));
    int64_t step = own / coarse;
    int64_t scaled = value / step - (value % step < 0 ? 1 : 0);  // floor
    return std::to_string(scaled);
  }
  if (type.id() == TypeId::kFixedSizeBinary && type.byte_width() == 16 &&
      peer.id() == TypeId::kString) {
    return Uuid(array.BinaryValue(i));
  }
  if (type.layout() == Layout::kVariableBinary || type.id() == TypeId::kFixedSizeBinary) {
    return std::string(array.BinaryValue(i));
  }
  return FormatValue(array, i);
}

}  // namespace sluice::testing
