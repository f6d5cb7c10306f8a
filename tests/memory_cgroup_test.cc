// The memory suite (issue 17): the real `sluice` binary runs inside a hard memory cgroup of
// 1.25 x --memory + 64 MiB (the RSS a run may reach, process_memory.h's RssAllowance) on data at
// least 4x the budget, at budgets of 64 MiB and 256 MiB. Each case must finish without being
// OOM-killed and give the result a run with plenty of memory gives. That result is DuckDB's
// answer to the same question (first/last and distinct --by in input order, sort ties in input
// order), computed once per dataset and kept beside it, which both saves a second sluice run per
// case and makes the oracle independent of sluice: DuckDB reads the output and compares an
// order-insensitive fingerprint of every row (count and the sum of the rows' hashes; row
// positions are part of the rows for sort), or, for aggregates over many floating-point values,
// row by row within 1e-9 relative. `bloom` compares its filter with the default budget's byte for
// byte and probes members. The test creates and removes its cgroups (memory_cgroup.h); without
// root or a memory cgroup hierarchy it skips, and under CI a skip is a failure.
//
// Data: DuckDB (from npm) writes one table (3M rows, 300 MiB in Arrow's in-memory layout, for
// 64 MiB; 12M rows, 1.1 GiB, for 256 MiB), a second join side larger than the budget, the same
// rows as 8 CSV files for `bloom` and as 128 small Parquet files in 4 partitions for `compact`.
// It is written once per machine under SLUICE_MEMORY_TEST_DIR (default: the build tree; never
// tmpfs, whose pages a cgroup cannot reclaim without swap) and reused; outputs and spills go to
// the same disk.
//
// Every run prints one "[ memory ]" line: exit, time, the process's peak RSS, the cgroup's peak
// charge and sampled peaks of its anonymous memory, page cache and dirty page cache (cgroup v1
// charges the page cache of the files a run writes; it is reclaimed, after writeback, before the
// kernel kills anything).
#include "memory_cgroup.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sys/file.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>
#include <string>
#include <tuple>

#include "duckdb_query_test_support.h"
#include "sluice/base/bytes.h"
#include "sluice/base/memory_limit.h"
#include "sluice/base/testing/require_test_data.h"
#include "sluice/table/array.h"

namespace sluice {
namespace {

namespace fs = std::filesystem;

constexpr const char* kDataVersion = "data-v1";  // bump when the generator changes
constexpr int kRunTimeoutSeconds = 150;
constexpr int64_t kMaxRows = 12'000'000;  // id3 and v3 are distinct across all of them

int64_t RowsFor(int budget_mib) { return budget_mib <= 64 ? 3'000'000 : kMaxRows; }

// The cgroup's limit for a budget: the RSS a run may reach.
int64_t LimitFor(int64_t budget) { return budget + budget / 4 + 64_MiB; }

std::string BaseDir() {
  const char* env = std::getenv("SLUICE_MEMORY_TEST_DIR");
  return env != nullptr && *env != '\0' ? env : SLUICE_MEMORY_TEST_DIR;
}

// Rows [begin, begin + count) of the generated table. id1: 100 values; id3: distinct (a
// permutation of [0, 12M) as text); id4: 1000 values; id6: 120,000 values (about 25 or 100 rows
// each); v1, v2: small integers; v3: distinct doubles; s: 32 characters of payload.
std::string RowsSql(int64_t begin, int64_t count) {
  return fmt::format(
      "SELECT 'id' || lpad((h % 100)::VARCHAR, 3, '0') AS id1, "
      "'id' || lpad(((i * 7919) % {0})::VARCHAR, 10, '0') AS id3, "
      "((h >> 8) % 1000)::INTEGER AS id4, ((h >> 20) % 120000)::BIGINT AS id6, "
      "((h >> 40) % 5 + 1)::BIGINT AS v1, ((h >> 44) % 15 + 1)::BIGINT AS v2, "
      "((i * 1000003) % {0})::DOUBLE / 1000 AS v3, md5(i::VARCHAR) AS s "
      "FROM (SELECT i, hash(i) AS h FROM range({1}, {2}) r(i))",
      kMaxRows, begin, begin + count);
}

// Bytes of a table in Arrow's in-memory layout: fixed-width values plus 4-byte offsets and the
// characters of strings (what "data at least 4x the budget" is measured in).
int64_t InMemoryBytes(testing::DuckDbQuery& db, const std::string& from) {
  RecordBatch describe = db.Query("DESCRIBE SELECT * FROM " + from);
  std::string sum;
  for (int64_t r = 0; r < describe.num_rows(); ++r) {
    const std::string name(describe.column(0).BinaryValue(r));
    const std::string type(describe.column(1).BinaryValue(r));
    std::string term;
    if (type == "VARCHAR") {
      term = fmt::format("4 + coalesce(strlen(\"{}\"), 0)", name);
    } else if (type == "INTEGER" || type == "FLOAT" || type == "DATE") {
      term = "4";
    } else {
      term = "8";
    }
    sum += (sum.empty() ? "" : " + ") + term;
  }
  RecordBatch b = db.Query("SELECT sum(" + sum + ")::BIGINT FROM " + from);
  return b.column(0).Value<int64_t>(0);
}

struct Dataset {
  std::string dir;
  int64_t rows = 0;
  int64_t table_bytes = 0;  // t in memory
  int64_t join_bytes = 0;   // u in memory
  int64_t csv_bytes = 0;    // the CSV files on disk

  std::string Path(const std::string& name) const { return dir + "/" + name; }
};

// Holds an exclusive lock on the data directory: ctest runs every case as its own process,
// possibly in parallel, and one writes what the others read.
class DataLock {
 public:
  explicit DataLock(const std::string& base) {
    fs::create_directories(base);
    fd_ = ::open((base + "/.lock").c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd_ >= 0) ::flock(fd_, LOCK_EX);
  }
  ~DataLock() {
    if (fd_ >= 0) ::close(fd_);
  }
  DataLock(const DataLock&) = delete;
  DataLock& operator=(const DataLock&) = delete;

 private:
  int fd_ = -1;
};

// Writes the dataset of `rows` rows unless a finished one is there.
Dataset EnsureDataset(testing::DuckDbQuery& db, int64_t rows) {
  const std::string base = BaseDir();
  DataLock lock(base);
  Dataset d;
  d.rows = rows;
  d.dir = fmt::format("{}/{}-{}", base, kDataVersion, rows);
  const std::string done = d.Path("done");
  if (!fs::exists(done)) {
    // Data of an older generator version is of no use.
    for (const auto& e : fs::directory_iterator(base)) {
      const std::string name = e.path().filename().string();
      if (name.starts_with("data-") && !name.starts_with(std::string(kDataVersion) + "-")) {
        fs::remove_all(e.path());
      }
    }
    fs::remove_all(d.dir);
    fs::create_directories(d.Path("csv"));
    db.Query(
        fmt::format("COPY ({}) TO '{}' (FORMAT parquet)", RowsSql(0, rows), d.Path("t.parquet")));
    // The big join's other side: every id3 once, in another order, with 8 + 20 bytes of payload.
    db.Query(fmt::format(
        "COPY (SELECT 'id' || lpad(((((j * 31337) % {0}) * 7919) % {1})::VARCHAR, 10, '0') AS id3, "
        "j::BIGINT AS w, 'u' || md5(j::VARCHAR)[1:19] AS payload FROM range({0}) r(j)) TO '{2}' "
        "(FORMAT parquet)",
        rows, kMaxRows, d.Path("u.parquet")));
    // The small join's build side: 100,000 keys of id6.
    db.Query(fmt::format(
        "COPY (SELECT i::BIGINT AS id6, (i * 7)::BIGINT AS w FROM range(100000) r(i)) TO '{}' "
        "(FORMAT parquet)",
        d.Path("small.parquet")));
    // The CSV files for bloom: 8 files of the same rows with a 40-character note.
    for (int k = 0; k < 8; ++k) {
      db.Query(fmt::format(
          "COPY (SELECT *, 'note ' || (v2 * 997)::VARCHAR || repeat('.', 32) AS note FROM ({})) TO "
          "'{}/part-{}.csv' (FORMAT csv, HEADER)",
          RowsSql(k * rows / 8, rows / 8), d.Path("csv"), k));
    }
    // Members and non-members of the filter, one per line.
    db.Query(fmt::format(
        "COPY (SELECT 'id' || lpad((((k * 2999) % {0}) * 7919 % {1})::VARCHAR, 10, '0') FROM "
        "range(1000) r(k)) TO '{2}' (FORMAT csv, HEADER false)",
        rows, kMaxRows, d.Path("members.txt")));
    db.Query(fmt::format(
        "COPY (SELECT 'nx' || lpad(k::VARCHAR, 10, '0') FROM range(1000) r(k)) TO '{}' (FORMAT "
        "csv, HEADER false)",
        d.Path("others.txt")));
    // compact's input: 128 files of small row groups in 4 partitions.
    for (int f = 0; f < 128; ++f) {
      const std::string part = fmt::format("{}/compact/p={}", d.dir, f % 4);
      fs::create_directories(part);
      db.Query(
          fmt::format("COPY ({}) TO '{}/f-{:03d}.parquet' (FORMAT parquet, ROW_GROUP_SIZE 8192)",
                      RowsSql(f * rows / 128, rows / 128), part, f / 4));
    }
    std::ofstream(done) << "written\n";
  }
  // The sizes that make the data "at least 4x the budget", measured once.
  if (!(std::ifstream(done) >> d.table_bytes >> d.join_bytes >> d.csv_bytes)) {
    d.csv_bytes = 0;
    for (const auto& e : fs::directory_iterator(d.Path("csv"))) d.csv_bytes += e.file_size();
    d.table_bytes = InMemoryBytes(db, "read_parquet('" + d.Path("t.parquet") + "')");
    d.join_bytes = InMemoryBytes(db, "read_parquet('" + d.Path("u.parquet") + "')");
    std::ofstream(done) << d.table_bytes << " " << d.join_bytes << " " << d.csv_bytes << "\n";
  }
  return d;
}

// How a case's output is judged.
enum class Check {
  kRows,   // the same multiset of rows as the expected query (with positions, for sort)
  kKeyed,  // one row per key as the expected query; floating-point values within 1e-9 relative
  kBloom,  // the same filter bytes as a run with plenty of memory; members probe as maybe
};

struct Case {
  const char* name;
  // {t} {u} {small} {csv} {compact}: the data; {out}: the output; {spill}: a spill directory;
  // {job}: --memory and the common flags.
  const char* args;
  const char* output;  // the output's name in the run's directory
  // DuckDB's source for the output ({out}: its path) and the query of the expected rows, what a
  // run with plenty of memory gives ({T}: the table with file_row_number, {U}, {SMALL},
  // {COMPACT}). Output columns keep the names sluice gives them.
  const char* got;
  const char* expected;
  Check check = Check::kRows;
  const char* key = "";
};

constexpr const char* kAggregates =
    "sum(v1),mean(v3),median(v3),count_distinct(id6),first(v2),last(v2)";
// The same aggregates in DuckDB: first and last in input order.
constexpr const char* kExpectedAggregates =
    "sum(v1)::BIGINT AS \"sum(v1)\", avg(v3) AS \"mean(v3)\", median(v3) AS \"median(v3)\", "
    "count(DISTINCT id6)::BIGINT AS \"count_distinct(id6)\", arg_min(v2, file_row_number) AS "
    "\"first(v2)\", arg_max(v2, file_row_number) AS \"last(v2)\"";
constexpr const char* kParquetOut = "read_parquet('{out}')";
constexpr const char* kAllRows = "SELECT * EXCLUDE (file_row_number) FROM {T}";

const Case kCases[] = {
    {"groupby_100_groups", "groupby {t} --by id1 --agg '{aggs}' -o {out} --spill-dir {spill} {job}",
     "out.parquet", kParquetOut, "SELECT id1, {eaggs} FROM {T} GROUP BY id1", Check::kKeyed, "id1"},
    // id3 is distinct (RowsSql), so each group holds one row and its aggregates are the row's
    // own values, exact: whole rows compare. (DuckDB's GROUP BY with median and count(DISTINCT)
    // over 12M groups would take minutes.)
    {"groupby_distinct_keys",
     "groupby {t} --by id3 --agg '{aggs}' -o {out} --spill-dir {spill} {job}", "out.parquet",
     kParquetOut,
     "SELECT id3, v1 AS \"sum(v1)\", v3 AS \"mean(v3)\", v3 AS \"median(v3)\", 1::BIGINT AS "
     "\"count_distinct(id6)\", v2 AS \"first(v2)\", v2 AS \"last(v2)\" FROM {T}"},
    {"distinct_by", "distinct {t} --by id1,id6 -o {out} --spill-dir {spill} {job}", "out.parquet",
     kParquetOut,
     "SELECT * EXCLUDE (file_row_number) FROM {T} QUALIFY row_number() OVER (PARTITION BY id1, "
     "id6 ORDER BY file_row_number) = 1"},
    {"distinct_rows", "distinct {t} -o {out} --spill-dir {spill} {job}", "out.parquet", kParquetOut,
     "SELECT DISTINCT * EXCLUDE (file_row_number) FROM {T}"},
    // Ordered: each row's position in the file is part of it.
    {"sort", "sort {t} --by v3 -o {out} --spill-dir {spill} {job}", "out.parquet",
     "read_parquet('{out}', file_row_number = true)",
     "SELECT * EXCLUDE (file_row_number), (row_number() OVER (ORDER BY v3, file_row_number) - "
     "1)::BIGINT AS file_row_number FROM {T}"},
    {"top_n_per_group",
     "sort {t} --by v3:desc --top 2 --per id6 -o {out} --spill-dir {spill} {job}", "out.parquet",
     kParquetOut,
     "SELECT * EXCLUDE (file_row_number) FROM {T} QUALIFY row_number() OVER (PARTITION BY id6 "
     "ORDER BY v3 DESC, file_row_number) <= 2"},
    {"join_small_build", "join {t} {small} --on id6 -o {out} --spill-dir {spill} {job}",
     "out.parquet", kParquetOut,
     "SELECT t.* EXCLUDE (file_row_number), s.w FROM {T} t JOIN {SMALL} s USING (id6)"},
    {"join_both_large", "join {t} {u} --on id3 -o {out} --spill-dir {spill} {job}", "out.parquet",
     kParquetOut,
     "SELECT t.* EXCLUDE (file_row_number), u.w, u.payload FROM {T} t JOIN {U} u USING (id3)"},
    {"batch_64_chunks", "batch -i {t} --by id1 --chunks 64 -o {out} {job} -- cp {input} {output}",
     "out", "read_parquet('{out}/chunk-*.parquet')", kAllRows},
    {"compact", "compact {compact} {out} {job}", "out",
     "read_parquet('{out}/*/*.parquet', hive_partitioning = true)", "SELECT * FROM {COMPACT}"},
    {"bloom", "bloom {csv} --column id3 -o {out} {job}", "out.bloom", "", "", Check::kBloom},
};

std::string Replace(std::string text, const std::map<std::string, std::string>& values) {
  for (const auto& [key, value] : values) {
    for (size_t at = text.find(key); at != std::string::npos;
         at = text.find(key, at + value.size())) {
      text.replace(at, key.size(), value);
    }
  }
  return text;
}

std::string Mib(int64_t bytes) { return fmt::format("{:.0f} MiB", bytes / 1048576.0); }

std::string Tail(const std::string& text, size_t n = 3000) {
  return text.size() <= n ? text : "..." + text.substr(text.size() - n);
}

// "[ memory ] sort at 64 MiB (cgroup 144 MiB): exit 0 in 12.3 s, peak RSS 130 MiB, cgroup peak
// 144 MiB".
std::string Summary(const std::string& what, const testing::CommandOutcome& o) {
  std::string end = o.timed_out     ? "timed out"
                    : o.signal != 0 ? fmt::format("killed by signal {}", o.signal)
                                    : fmt::format("exit {}", o.exit_code);
  if (o.oom_kills > 0) end += fmt::format(" (OOM kills: {})", o.oom_kills);
  std::string text =
      fmt::format("{}: {} in {:.1f} s, peak RSS {}", what, end, o.seconds, Mib(o.peak_rss_bytes));
  if (o.cgroup_peak_bytes > 0) {
    text += fmt::format(
        "; cgroup peak {} (sampled peaks: anonymous {}, page cache {}, dirty or writeback {})",
        Mib(o.cgroup_peak_bytes), Mib(o.peak_anon_bytes), Mib(o.peak_file_bytes),
        Mib(o.peak_dirty_bytes));
  }
  return text;
}

// Cases print by name in test listings.
void PrintTo(const Case& c, std::ostream* os) { *os << c.name; }

class MemorySuite : public ::testing::Test {
 protected:
  void SetUp() override {
#ifdef SLUICE_SANITIZED
    GTEST_SKIP() << "a sanitized sluice's shadow memory says nothing about its budget";
#endif
    duckdb_ = testing::DuckDbQuery::Open(SLUICE_DUCKDB_LIBRARY);
    SLUICE_REQUIRE_TEST_DATA(duckdb_ != nullptr, "libduckdb.so not found (run make deps)");
    std::string why;
    // A probe: can this machine give a process a hard memory limit at all?
    SLUICE_REQUIRE_TEST_DATA(testing::MemoryCgroup::Create(1_GiB, &why) != nullptr,
                             "the memory suite cannot create a memory cgroup: " << why);
    base_ = BaseDir();
    fs::create_directories(base_);
    struct statfs fs_info {};
    ASSERT_EQ(::statfs(base_.c_str(), &fs_info), 0) << base_;
    // tmpfs pages are charged to the cgroup as shared memory and cannot be reclaimed without swap:
    // spills and outputs there would count as the process's own memory.
    ASSERT_NE(fs_info.f_type, 0x01021994)
        << base_ << " is tmpfs; set SLUICE_MEMORY_TEST_DIR to a directory on disk";
    ready_ = true;
  }
  void TearDown() override {
    if (std::getenv("SLUICE_MEMORY_TEST_KEEP") == nullptr) {
      for (const std::string& d : dirs_) fs::remove_all(d);
    }
  }

  // A fresh directory for one run's outputs and spills, removed by the test.
  std::string WorkDir(const std::string& name) {
    const std::string dir = fmt::format("{}/runs/{}_{}", base_, name, getpid());
    fs::remove_all(dir);
    fs::create_directories(dir + "/spill");
    fs::create_directories(dir + "/tmp");
    dirs_.push_back(dir);
    return dir;
  }

  std::string Text(const std::string& sql) {
    RecordBatch b = duckdb_->Query(sql);
    return std::string(b.column(0).BinaryValue(0));
  }
  int64_t Scalar(const std::string& sql) {
    RecordBatch b = duckdb_->Query(sql);
    return b.column(0).Value<int64_t>(0);
  }
  // Rows and the sum of their hashes: equal for equal multisets of rows.
  std::string Fingerprint(const std::string& from) {
    return Text(
        "SELECT count(*)::VARCHAR || ' rows, hash sum ' || coalesce(sum(hash(x)::HUGEINT), "
        "0)::VARCHAR FROM " +
        from + " x");
  }
  // The query's fingerprint, or for keyed cases its rows as Parquet (returning the path): what a
  // run with plenty of memory gives, computed by DuckDB once per dataset and kept beside it.
  std::string Expected(const Dataset& d, const Case& c, const std::string& query) {
    DataLock lock(base_);
    fs::create_directories(d.Path("expected"));
    const std::string file = d.Path("expected/" + std::string(c.name));
    if (c.check == Check::kKeyed) {
      if (!fs::exists(file + ".parquet")) {
        duckdb_->Query("COPY (" + query + ") TO '" + file + ".tmp' (FORMAT parquet)");
        fs::rename(file + ".tmp", file + ".parquet");
      }
      return file + ".parquet";
    }
    std::string fingerprint;
    if (std::getline(std::ifstream(file + ".txt"), fingerprint) && !fingerprint.empty()) {
      return fingerprint;
    }
    fingerprint = Fingerprint("(" + query + ")");
    std::ofstream(file + ".tmp") << fingerprint << "\n";
    fs::rename(file + ".tmp", file + ".txt");
    return fingerprint;
  }
  // Rows of a that b lacks plus rows of b that a lacks (only computed to explain a mismatch).
  int64_t Differences(const std::string& a, const std::string& b) {
    return Scalar("SELECT (SELECT count(*) FROM (SELECT * FROM " + a +
                  " EXCEPT ALL SELECT * FROM " + b + ")) + (SELECT count(*) FROM (SELECT * FROM " +
                  b + " EXCEPT ALL SELECT * FROM " + a + "))");
  }
  // One row per key; floating-point values within 1e-9 relative, everything else exact.
  int64_t KeyedDifferences(const std::string& expected, const std::string& got,
                           const std::string& key) {
    RecordBatch describe = duckdb_->Query("DESCRIBE SELECT * FROM " + expected);
    std::string differs = "e.present__ IS NULL OR g.present__ IS NULL";
    for (int64_t r = 0; r < describe.num_rows(); ++r) {
      const std::string name(describe.column(0).BinaryValue(r));
      const std::string type(describe.column(1).BinaryValue(r));
      const std::string e = "e.\"" + name + "\"", g = "g.\"" + name + "\"";
      if (type == "DOUBLE" || type == "FLOAT") {
        differs += fmt::format(
            " OR NOT ({0} IS NOT DISTINCT FROM {1} OR abs({0} - {1}) <= 1e-9 * greatest(1, "
            "abs({0})))",
            e, g);
      } else {
        differs += fmt::format(" OR {} IS DISTINCT FROM {}", e, g);
      }
    }
    return Scalar(fmt::format(
        "SELECT count(*) FROM (SELECT 1 AS present__, * FROM {0}) e FULL OUTER JOIN (SELECT 1 AS "
        "present__, * FROM {1}) g ON e.{2} IS NOT DISTINCT FROM g.{2} WHERE {3}",
        expected, got, key, differs));
  }

  std::unique_ptr<testing::DuckDbQuery> duckdb_;
  std::string base_;
  std::vector<std::string> dirs_;
  bool ready_ = false;
};

class MemoryCgroupTest : public MemorySuite,
                         public ::testing::WithParamInterface<std::tuple<Case, int>> {};

TEST_P(MemoryCgroupTest, FinishesInsideTheLimitWithTheSameResult) {
  if (!ready_) return;
  const Case& c = std::get<0>(GetParam());
  const int budget_mib = std::get<1>(GetParam());
  const int64_t budget = int64_t{budget_mib} << 20;
  const Dataset data = EnsureDataset(*duckdb_, RowsFor(budget_mib));
  ASSERT_GE(data.table_bytes, 4 * budget) << "the table is too small for the budget";
  ASSERT_GE(data.join_bytes, budget) << "the join's second side must be larger than the budget";
  ASSERT_GE(data.csv_bytes, 4 * budget) << "the CSV files are too small for the budget";

  const std::string work = WorkDir(fmt::format("{}_{}MiB", c.name, budget_mib));
  const std::string out = work + "/" + c.output;
  const std::map<std::string, std::string> data_values = {
      {"{T}", "read_parquet('" + data.Path("t.parquet") + "', file_row_number = true)"},
      {"{U}", "read_parquet('" + data.Path("u.parquet") + "')"},
      {"{SMALL}", "read_parquet('" + data.Path("small.parquet") + "')"},
      {"{COMPACT}",
       "read_parquet('" + data.Path("compact") + "/*/*.parquet', hive_partitioning = true)"},
      {"{eaggs}", kExpectedAggregates},
      {"{aggs}", kAggregates},
      {"{t}", data.Path("t.parquet")},
      {"{u}", data.Path("u.parquet")},
      {"{small}", data.Path("small.parquet")},
      {"{csv}", data.Path("csv")},
      {"{compact}", data.Path("compact")},
      {"{spill}", work + "/spill"},
  };
  const std::string common = "--progress off --log-level warn";
  auto command = [&](const std::string& output, const std::string& job) {
    std::map<std::string, std::string> v = data_values;
    v["{out}"] = output;
    v["{job}"] = job;
    // TMPDIR: anything a command puts in the system temp directory stays on this disk too.
    return "env TMPDIR=" + work + "/tmp '" + std::string(SLUICE_BINARY) + "' " + Replace(c.args, v);
  };

  // The run under test, inside its cgroup.
  std::string why;
  auto cgroup = testing::MemoryCgroup::Create(LimitFor(budget), &why);
  ASSERT_NE(cgroup, nullptr) << why;
  const testing::CommandOutcome run = testing::RunCommand(
      cgroup.get(), command(out, fmt::format("--memory {}MiB {}", budget_mib, common)), work,
      kRunTimeoutSeconds);
  const std::string summary =
      Summary(fmt::format("{} at {} MiB ({})", c.name, budget_mib, cgroup->Describe()), run);
  std::printf("[ memory ] %s\n", summary.c_str());
  RecordProperty("peak_rss_mib", static_cast<int>(run.peak_rss_bytes >> 20));
  RecordProperty("cgroup_peak_mib", static_cast<int>(run.cgroup_peak_bytes >> 20));
  RecordProperty("anonymous_peak_mib", static_cast<int>(run.peak_anon_bytes >> 20));
  RecordProperty("seconds", fmt::format("{:.1f}", run.seconds));
  ASSERT_FALSE(run.oom_kills > 0 || run.signal == SIGKILL)
      << "OOM-killed inside a hard limit of " << Mib(cgroup->limit_bytes()) << " (1.25 x "
      << budget_mib << " MiB + 64 MiB): " << summary << "\n"
      << Tail(run.output);
  ASSERT_FALSE(run.timed_out) << summary << "\n" << Tail(run.output);
  ASSERT_EQ(run.exit_code, 0) << summary << "\n" << Tail(run.output);
  cgroup.reset();

  if (c.check == Check::kBloom) {
    // The filter's bits do not depend on the budget: the same command with plenty of memory (the
    // default budget, outside any cgroup) writes the same bytes.
    const std::string reference = work + "/reference_" + c.output;
    const testing::CommandOutcome ref =
        testing::RunCommand(nullptr, command(reference, common), work, kRunTimeoutSeconds);
    std::printf("[ memory ] %s\n",
                Summary(fmt::format("{} with the default budget", c.name), ref).c_str());
    ASSERT_EQ(ref.exit_code, 0) << Tail(ref.output);
    auto bytes = [](const std::string& path) {
      std::ifstream in(path, std::ios::binary);
      return std::string(std::istreambuf_iterator<char>(in), {});
    };
    const std::string got = bytes(out);
    EXPECT_GT(got.size(), 1000u);
    EXPECT_TRUE(got == bytes(reference)) << "the filter differs from the one with plenty of memory";
    auto probe = [&](const std::string& values) {
      const testing::CommandOutcome o = testing::RunCommand(
          nullptr,
          "'" + std::string(SLUICE_BINARY) + "' bloom check --count " + out + " < " + values, work,
          60);
      EXPECT_EQ(o.exit_code, 0) << o.output;
      return std::atoi(o.output.c_str());
    };
    EXPECT_EQ(probe(data.Path("members.txt")), 1000);
    EXPECT_LT(probe(data.Path("others.txt")), 50);  // --fpr 0.01 by default
    return;
  }

  const std::string query = Replace(c.expected, data_values);
  const std::string got = Replace(c.got, {{"{out}", out}});
  const std::string expected = Expected(data, c, query);
  if (c.check == Check::kKeyed) {
    EXPECT_EQ(KeyedDifferences("read_parquet('" + expected + "')", got, c.key), 0)
        << "rows differ from DuckDB's: expected " << Fingerprint("read_parquet('" + expected + "')")
        << ", got " << Fingerprint(got);
    return;
  }
  const std::string fingerprint = Fingerprint(got);
  if (fingerprint != expected) {
    ADD_FAILURE() << "rows differ from DuckDB's: expected " << expected << ", got " << fingerprint
                  << "; " << Differences("(" + query + ")", got)
                  << " rows differ (EXCEPT ALL both ways)";
  }
  if (c.check == Check::kRows && std::string(c.name) == "compact") {
    int files = 0;
    for (const auto& e : fs::recursive_directory_iterator(out)) {
      files += e.path().extension() == ".parquet";
    }
    EXPECT_LT(files, 128) << "compact wrote as many files as it read";
  }
}

std::string CaseName(const ::testing::TestParamInfo<std::tuple<Case, int>>& info) {
  return fmt::format("{}_{}MiB", std::get<0>(info.param).name, std::get<1>(info.param));
}

INSTANTIATE_TEST_SUITE_P(Budgets, MemoryCgroupTest,
                         ::testing::Combine(::testing::ValuesIn(kCases),
                                            ::testing::Values(64, 256)),
                         CaseName);

// Without --memory, a command inside a cgroup takes its budget from the cgroup's limit.
TEST_F(MemorySuite, TheDefaultBudgetFollowsTheCgroupLimit) {
  if (!ready_) return;
  const Dataset data = EnsureDataset(*duckdb_, RowsFor(64));
  std::string why;
  auto cgroup = testing::MemoryCgroup::Create(512_MiB, &why);
  ASSERT_NE(cgroup, nullptr) << why;
  const std::string work = WorkDir("default_budget");
  const testing::CommandOutcome run = testing::RunCommand(
      cgroup.get(),
      "'" + std::string(SLUICE_BINARY) + "' groupby " + data.Path("t.parquet") +
          " --by id1 --agg 'sum(v1)' -o " + work + "/out.parquet --progress off --log-level debug",
      work, kRunTimeoutSeconds);
  ASSERT_EQ(run.exit_code, 0) << Tail(run.output);
  const std::string expected =
      fmt::format("memory budget {}: {}% of the cgroup limit of {} (512.0 MiB) less 64 MiB",
                  FormatBytes(DefaultMemoryBudget(512_MiB)), kDefaultBudgetPercent, cgroup->path());
  EXPECT_NE(run.output.find(expected), std::string::npos) << expected << "\n" << Tail(run.output);
}

}  // namespace
}  // namespace sluice
