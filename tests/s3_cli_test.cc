// Commands on s3:// URLs against a real S3 server (Ceph RGW, one per binary): `sluice cat` and
// `sluice inspect` of an uploaded Parquet file print what they print for the local copy, a
// Parquet file written to an s3:// target appears whole, a missing object or a key that is not
// Parquet fails with the URL named, and `sluice compact s3://... DIR` and `sluice compact
// s3://... s3://...` write the same files as compacting the local copy of the dataset (DuckDB
// reads the downloaded outputs). Killed with SIGKILL in the middle of an upload, or between the
// ledger commit and the completion of the uploads, a compaction to s3:// resumes to the same
// outputs, with no upload left open and nothing visible before its partition committed.
// `groupby`, `distinct`, `join` and `sort` from and to s3:// give the local runs' results, and
// `sluice batch` from s3:// to s3:// gives the local run's chunk outputs and manifest, re-runs hit
// its cache on S3 (also after a SIGKILL), and a missing bucket fails naming the URL with nothing
// written.
#include <fcntl.h>
#include <gtest/gtest.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <set>
#include <thread>

#include "command_output_test_support.h"
#include "duckdb_query_test_support.h"
#include "sluice/base/testing/require_test_data.h"
#include "sluice/io/fs/file_system_for.h"
#include "sluice/io/fs/s3_file_system.h"
#include "sluice/io/fs/testing/fault_proxy.h"
#include "sluice/io/fs/testing/s3_server.h"
#include "sluice/io/parquet/file_reader.h"
#include "sluice/io/parquet/file_writer.h"
#include "sluice/table/builder.h"
#include "sluice/table/sample_batch_test_support.h"

namespace sluice {
namespace {

namespace stdfs = std::filesystem;

class S3CliTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string why_not;
    server_ = fs::testing::SharedS3Server(&why_not);
    SLUICE_REQUIRE_TEST_DATA(server_ != nullptr, why_not);
    // The child processes (and FileSystemFor here) find the server through the environment.
    for (const auto& [name, value] : server_->Environment()) setenv(name.c_str(), value.c_str(), 1);
    unsetenv("AWS_PROFILE");
    unsetenv("AWS_SESSION_TOKEN");
    static int counter = 0;
    bucket_ = server_->CreateBucket("cli-" + std::to_string(counter++));
    dir_ = stdfs::temp_directory_path() / ("sluice_s3_cli_" + std::to_string(getpid()));
    stdfs::create_directories(dir_);
    local_ = (dir_ / "sample.parquet").string();
    RecordBatch batch = MakeSampleBatch(3000);
    parquet::ParquetWriteOptions options;
    options.row_group_rows = 1000;
    parquet::WriteParquetFile(local_, batch.shared_schema(), {batch}, options);
    remote_ = bucket_ + "data/sample.parquet";
    fs::WriteWholeFile(*fs::FileSystemFor(remote_), remote_,
                       fs::ReadWholeFile(*fs::LocalFileSystem(), local_));
  }
  void TearDown() override {
    if (!dir_.empty()) stdfs::remove_all(dir_);
  }
  // Standard output (and standard error when asked) and the exit status.
  // raw: args is the whole command line (to set variables before the binary).
  testing::CommandRun Sluice(const std::string& args, bool with_stderr = false, bool raw = false) {
    int status = 0;
    testing::CommandRun run;
    run.out = testing::CommandOutput((raw ? "" : std::string(SLUICE_BINARY) + " ") + args +
                                         (with_stderr ? " 2>&1" : " 2>/dev/null"),
                                     &status);
    run.status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return run;
  }
  // The objects under s3://BUCKET/<prefix>/ (relative key -> bytes), read by the client that
  // listed them (what it knows of an object is as new as the listing, though sluice processes
  // rewrite objects between calls).
  std::map<std::string, std::string> Objects(const std::string& prefix) {
    std::map<std::string, std::string> out;
    auto store = fs::MakeS3FileSystem(server_->client());
    for (const fs::S3ObjectInfo& o : server_->client()->ListAll(BucketName(), prefix + "/", "")) {
      out[o.key.substr(prefix.size() + 1)] = fs::ReadWholeFile(*store, bucket_ + o.key);
    }
    return out;
  }
  size_t OpenUploads() { return server_->client()->ListMultipartUploads(BucketName(), "").size(); }
  std::string BucketName() const { return bucket_.substr(5, bucket_.size() - 6); }

  fs::testing::S3Server* server_ = nullptr;
  std::string bucket_;
  stdfs::path dir_;
  std::string local_;
  std::string remote_;
};

TEST_F(S3CliTest, CatPrintsTheSameAsForTheLocalFile) {
  for (std::string flags : {"", "--format jsonl --limit 1500", "--where 'i32 > 100'"}) {
    testing::CommandRun local = Sluice("cat " + flags + " " + local_);
    testing::CommandRun remote = Sluice("cat " + flags + " '" + remote_ + "'");
    ASSERT_EQ(local.status, 0) << local.out;
    EXPECT_EQ(remote.status, 0) << remote.out;
    EXPECT_GT(local.out.size(), 1000u);
    EXPECT_EQ(remote.out, local.out) << flags;
  }
}

TEST_F(S3CliTest, InspectReadsTheFooterOverS3) {
  testing::CommandRun remote = Sluice("inspect --json '" + remote_ + "'");
  ASSERT_EQ(remote.status, 0) << remote.out;
  nlohmann::json d = nlohmann::json::parse(remote.out.substr(remote.out.find('{')));
  testing::CommandRun local = Sluice("inspect --json " + local_);
  nlohmann::json l = nlohmann::json::parse(local.out.substr(local.out.find('{')));
  EXPECT_EQ(d["num_rows"], l["num_rows"]);
  EXPECT_EQ(d["row_groups"].size(), l["row_groups"].size());
}

TEST_F(S3CliTest, AParquetFileWrittenToS3AppearsWhole) {
  RecordBatch batch = MakeSampleBatch(2000);
  std::string target = bucket_ + "written/out.parquet";
  {
    // Abandoned before Close: nothing appears, no upload is left open.
    auto writer = parquet::ParquetWriter::Open(target, batch.shared_schema(), {});
    writer->Write(batch);
  }
  EXPECT_THROW(fs::FileSystemFor(target)->Stat(target), Error);
  parquet::WriteParquetFile(target, batch.shared_schema(), {batch});
  auto reader = parquet::ParquetFileReader::Open(target);
  EXPECT_EQ(reader->num_rows(), 2000);
  std::string bucket_name = bucket_.substr(5, bucket_.size() - 6);
  EXPECT_TRUE(server_->client()->ListMultipartUploads(bucket_name, "").empty());
  for (const auto& entry : stdfs::directory_iterator(stdfs::temp_directory_path())) {
    EXPECT_FALSE(entry.path().filename().string().starts_with("sluice-upload-" +
                                                              std::to_string(getpid()) + "-"))
        << entry.path();
  }
}

TEST_F(S3CliTest, MissingObjectsAndNonParquetKeysNameTheUrl) {
  testing::CommandRun missing = Sluice("cat '" + bucket_ + "no/such.parquet'", true);
  EXPECT_NE(missing.status, 0);
  EXPECT_NE(missing.out.find(bucket_ + "no/such.parquet"), std::string::npos) << missing.out;
  EXPECT_NE(missing.out.find("404"), std::string::npos) << missing.out;

  std::string text = bucket_ + "data/notes.parquet";
  fs::WriteWholeFile(*fs::FileSystemFor(text), text,
                     std::string_view("this is not a parquet file at all"));
  testing::CommandRun bad = Sluice("cat '" + text + "'", true);
  EXPECT_NE(bad.status, 0);
  EXPECT_NE(bad.out.find(text), std::string::npos) << bad.out;
  EXPECT_NE(bad.out.find("PAR1"), std::string::npos) << bad.out;

  testing::CommandRun no_bucket = Sluice("cat s3://no-such-bucket-anywhere/x.parquet", true);
  EXPECT_NE(no_bucket.status, 0);
  EXPECT_NE(no_bucket.out.find("s3://no-such-bucket-anywhere/x.parquet"), std::string::npos)
      << no_bucket.out;
}

// `sluice bloom` over CSV objects (a glob) builds the filter it builds from the local copies,
// written locally or to s3://, and `bloom check` reads it from s3://.
TEST_F(S3CliTest, BloomReadsAndWritesS3) {
  std::string local_dir = (dir_ / "csv").string();
  stdfs::create_directories(local_dir);
  for (int f = 0; f < 3; ++f) {
    std::string text = "id,email\n";
    for (int i = f; i < 3000; i += 3) text += fmt::format("{},user{}@x.org\n", i, i);
    std::string name = fmt::format("/part-{}.csv", f);
    fs::WriteWholeFile(*fs::LocalFileSystem(), local_dir + name, text);
    fs::WriteWholeFile(*fs::FileSystemFor(bucket_), bucket_ + "csv" + name, text);
  }
  const std::string flags = " --column email --fpr 0.01 --progress off";
  ASSERT_EQ(Sluice("bloom '" + local_dir + "/*.csv' -o " + (dir_ / "local.bloom").string() + flags)
                .status,
            0);
  testing::CommandRun to_local = Sluice(
      "bloom '" + bucket_ + "csv/*.csv' -o " + (dir_ / "remote.bloom").string() + flags, true);
  ASSERT_EQ(to_local.status, 0) << to_local.out;
  testing::CommandRun to_s3 =
      Sluice("bloom '" + bucket_ + "csv/' -o '" + bucket_ + "out/e.bloom'" + flags, true);
  ASSERT_EQ(to_s3.status, 0) << to_s3.out;
  std::string expected = fs::ReadWholeFile(*fs::LocalFileSystem(), (dir_ / "local.bloom").string());
  EXPECT_EQ(fs::ReadWholeFile(*fs::LocalFileSystem(), (dir_ / "remote.bloom").string()), expected);
  EXPECT_EQ(fs::ReadWholeFile(*fs::FileSystemFor(bucket_), bucket_ + "out/e.bloom"), expected);
  testing::CommandRun check =
      Sluice("bloom check '" + bucket_ + "out/e.bloom' user7@x.org user2999@x.org");
  EXPECT_EQ(check.status, 0);
  EXPECT_EQ(check.out, "user7@x.org\tmaybe\nuser2999@x.org\tmaybe\n");
  testing::CommandRun mixed = Sluice(
      "bloom '" + bucket_ + "csv/part-0.csv' " + local_dir + "/part-1.csv -o x.bloom" + flags,
      true);
  EXPECT_NE(mixed.status, 0);
  EXPECT_NE(mixed.out.find("all s3://"), std::string::npos) << mixed.out;
}

// `sluice run --partition-by files:s3://...` makes one partition per object; {path} is its URL.
TEST_F(S3CliTest, RunPartitionsByObjects) {
  for (const char* key : {"logs/a.gz", "logs/b.gz", "logs/2026/c.gz", "other/d.gz"}) {
    fs::WriteWholeFile(*fs::FileSystemFor(bucket_), bucket_ + key, std::string_view(key));
  }
  const std::string seen = (dir_ / "seen").string();
  const std::string state = " --state " + (dir_ / "state").string() + " -- sh -c ";
  testing::CommandRun prefix = Sluice("run --job all --partition-by files:'" + bucket_ + "logs'" +
                                          state + "'echo {path} {size} >> " + seen + "'",
                                      true);
  ASSERT_EQ(prefix.status, 0) << prefix.out;
  std::string lines = fs::ReadWholeFile(*fs::LocalFileSystem(), seen);
  std::vector<std::string> sorted;
  for (size_t start = 0; start < lines.size();) {
    size_t end = lines.find('\n', start);
    sorted.push_back(lines.substr(start, end - start));
    start = end + 1;
  }
  std::sort(sorted.begin(), sorted.end());
  EXPECT_EQ(sorted, (std::vector<std::string>{bucket_ + "logs/2026/c.gz 14",
                                              bucket_ + "logs/a.gz 9", bucket_ + "logs/b.gz 9"}));
  stdfs::remove(seen);
  testing::CommandRun glob = Sluice("run --job glob --partition-by files:'" + bucket_ + "*/?.gz'" +
                                        state + "'echo {path} >> " + seen + "'",
                                    true);
  ASSERT_EQ(glob.status, 0) << glob.out;
  EXPECT_EQ(fs::ReadWholeFile(*fs::LocalFileSystem(), seen).size(),
            (bucket_ + "logs/a.gz\n").size() * 2 + (bucket_ + "other/d.gz\n").size());
}

// `sluice groupby`, `distinct`, `join` and `sort` read s3:// inputs (Parquet and CSV) and write
// s3:// outputs (Parquet and CSV) with the same results as the local runs (groups, distinct rows
// and joined rows in any order).
TEST_F(S3CliTest, GroupbyDistinctJoinAndSortFromAndToS3) {
  const std::string local_csv = (dir_ / "t.csv").string();
  std::string csv = "k,v\n";
  for (int i = 0; i < 5000; ++i) csv += fmt::format("{},{}\n", i % 17, i % 250);
  fs::WriteWholeFile(*fs::LocalFileSystem(), local_csv, csv);
  fs::WriteWholeFile(*fs::FileSystemFor(bucket_), bucket_ + "in/t.csv", csv);
  // The join's right side: a name for most keys (16 has none), key 3 twice.
  const std::string local_names = (dir_ / "names.csv").string();
  std::string names = "k,name\n3,three again\n";
  for (int k = 0; k < 16; ++k) names += fmt::format("{},name {}\n", k, k);
  fs::WriteWholeFile(*fs::LocalFileSystem(), local_names, names);
  fs::WriteWholeFile(*fs::FileSystemFor(bucket_), bucket_ + "names/n.csv", names);
  struct Case {
    std::string command, local_in, remote_in, extension;
    std::string local_right, remote_right;  // the second table, for join
  };
  int n = 0;
  for (const Case& c :
       {Case{"groupby {} --by i8 --agg 'count(*), sum(i32)'", local_, remote_, ".parquet"},
        Case{"groupby {} --by k --agg 'sum(v)'", local_csv, bucket_ + "in/*.csv", ".csv"},
        Case{"distinct {}", local_csv, bucket_ + "in/*.csv", ".csv"},
        Case{"distinct {} --by i8", local_, remote_, ".parquet"},
        Case{"join {} {} --on k", local_csv, bucket_ + "in/t.csv", ".parquet", local_names,
             bucket_ + "names/"},
        Case{"join {} {} --on k --how left", local_csv, bucket_ + "in/*.csv", ".csv", local_names,
             bucket_ + "names/n.csv"},
        Case{"sort {} --by i64", local_, remote_, ".parquet"}}) {
    std::string local_out = (dir_ / ("local" + c.extension)).string();
    // Each case its own object: this process reads each output once.
    std::string remote_out = bucket_ + "out/r" + std::to_string(n++) + c.extension;
    std::string run_local = fmt::format(fmt::runtime(c.command), c.local_in, c.local_right);
    testing::CommandRun a = Sluice(run_local + " -o " + local_out + " --progress off", true);
    ASSERT_EQ(a.status, 0) << a.out;
    testing::CommandRun b = Sluice(
        fmt::format(fmt::runtime(c.command), "'" + c.remote_in + "'", "'" + c.remote_right + "'") +
            " -o '" + remote_out + "' --progress off",
        true);
    ASSERT_EQ(b.status, 0) << c.command << ": " << b.out;
    // Group-by emits groups in no set order: compare the lines as sets.
    auto lines = [&](std::string text) {
      std::vector<std::string> out;
      for (size_t start = 0; start < text.size();) {
        size_t end = text.find('\n', start);
        if (end == std::string::npos) end = text.size();
        out.push_back(text.substr(start, end - start));
        start = end + 1;
      }
      if (!c.command.starts_with("sort")) std::sort(out.begin(), out.end());
      return out;
    };
    if (c.extension == ".csv") {
      const std::vector<std::string> want =
          lines(fs::ReadWholeFile(*fs::LocalFileSystem(), local_out));
      EXPECT_GT(want.size(), 10u) << c.command;
      EXPECT_EQ(lines(fs::ReadWholeFile(*fs::FileSystemFor(remote_out), remote_out)), want)
          << c.command;
    } else {
      EXPECT_EQ(lines(Sluice("cat '" + remote_out + "'").out),
                lines(Sluice("cat " + local_out).out))
          << c.command;
    }
  }
}

// `sluice batch` with its inputs (Parquet objects by a glob, a CSV object), its output and its
// chunk cache on S3: a command (`sluice join` of the chunk's two inputs) runs per chunk on local
// files, and the chunk objects, the manifest and a re-run's cache hits are what the local run of
// the same command gives.
class S3BatchTest : public S3CliTest {
 protected:
  void SetUp() override {
    S3CliTest::SetUp();
    if (IsSkipped() || HasFailure()) return;
    stdfs::create_directories(dir_ / "batch" / "orders");
    auto schema = std::make_shared<const Schema>(
        std::vector<Field>{{"k", DataType::Int64(), false}, {"v", DataType::Int64(), false}});
    for (int f = 0; f < 3; ++f) {
      Int64Builder k, v;
      for (int i = f * 1000; i < f * 1000 + 1500; ++i) {
        k.Append(i % 101);
        v.Append(i);
      }
      const std::string name = fmt::format("orders/part-{}.parquet", f);
      parquet::ParquetWriteOptions options;
      options.row_group_rows = 500;
      parquet::WriteParquetFile(Local(name), schema,
                                {RecordBatch::Make(schema, {k.Finish(), v.Finish()})}, options);
      Upload(name);
    }
    std::string labels = "k,label\n";
    for (int k = 0; k < 101; k += 2) labels += fmt::format("{},L{}\n", k, k % 7);
    fs::WriteWholeFile(*fs::LocalFileSystem(), Local("labels.csv"), labels);
    Upload("labels.csv");
    std::ofstream(Local("task.sh")) << "#!/bin/sh\nsleep ${TASK_SLEEP:-0}\nexec " << SLUICE_BINARY
                                    << " join \"$1\" \"$2\" --on k --how left -o \"$3\" "
                                       "--progress off --log-level error\n";
  }
  std::string Local(const std::string& name) const { return (dir_ / "batch" / name).string(); }
  void Upload(const std::string& name) {
    fs::WriteWholeFile(*fs::FileSystemFor(bucket_), bucket_ + "batch/" + name,
                       fs::ReadWholeFile(*fs::LocalFileSystem(), Local(name)));
  }
  // `sluice batch` of the join from `in` (a local directory or s3:// prefix holding orders/ and
  // labels.csv) to `out`, its state in dir_/<state>.
  testing::CommandRun Batch(const std::string& in, const std::string& out, int chunks,
                            const std::string& state) {
    return Sluice(BatchArgs(in, out, chunks, state), true);
  }
  std::string BatchArgs(const std::string& in, const std::string& out, int chunks,
                        const std::string& state) {
    return "batch -i 'orders=" + in + "/orders/*.parquet' -i 'labels=" + in +
           "/labels.csv' --by k --chunks " + std::to_string(chunks) + " --name join-labels -o '" +
           out + "' --state " + (dir_ / state).string() + " --report " +
           (dir_ / "report.json").string() + " --retry-delay 0.05 --progress off -- sh " +
           Local("task.sh") + " {input.orders} {input.labels} {output}";
  }
  nlohmann::json Report() const {
    return nlohmann::json::parse(
        fs::ReadWholeFile(*fs::LocalFileSystem(), (dir_ / "report.json").string()));
  }
  // What `sluice cat` prints of a file or object, its lines sorted (a join's rows come in no set
  // order).
  std::vector<std::string> SortedRows(const std::string& path) {
    testing::CommandRun cat = Sluice("cat --format jsonl '" + path + "'");
    EXPECT_EQ(cat.status, 0) << path;
    std::vector<std::string> rows;
    for (size_t start = 0; start < cat.out.size();) {
      size_t end = cat.out.find('\n', start);
      if (end == std::string::npos) end = cat.out.size();
      rows.push_back(cat.out.substr(start, end - start));
      start = end + 1;
    }
    std::sort(rows.begin(), rows.end());
    return rows;
  }
  // A manifest without what names the input files (paths, times, ETags) or depends on the order
  // of rows in a file (its bytes).
  static nlohmann::json Comparable(nlohmann::json manifest) {
    for (auto& [name, input] : manifest["inputs"].items()) input.erase("files");
    for (nlohmann::json& chunk : manifest["chunks"]) chunk.erase("bytes");
    return manifest;
  }
  // The local run's output `local` and the objects under s3://BUCKET/<prefix>/ hold the same
  // chunk files (rows compared) and equal manifests.
  void ExpectSameOutput(const stdfs::path& local, const std::string& prefix) {
    std::map<std::string, std::string> objects = Objects(prefix);
    std::set<std::string> want, have;
    for (const auto& e : stdfs::directory_iterator(local)) {
      if (e.is_regular_file()) want.insert(e.path().filename().string());
    }
    for (const auto& [name, bytes] : objects) {
      if (!name.starts_with(".sluice/")) have.insert(name);
    }
    ASSERT_EQ(have, want);
    for (const std::string& name : want) {
      if (name == "manifest.json") continue;
      std::vector<std::string> rows = SortedRows((local / name).string());
      EXPECT_FALSE(rows.empty()) << name;
      EXPECT_EQ(SortedRows(bucket_ + prefix + "/" + name), rows) << name;
    }
    nlohmann::json a = nlohmann::json::parse(
        fs::ReadWholeFile(*fs::LocalFileSystem(), (local / "manifest.json").string()));
    nlohmann::json b = nlohmann::json::parse(objects.at("manifest.json"));
    EXPECT_EQ(Comparable(b), Comparable(a));
    for (const nlohmann::json& f : b["inputs"]["orders"]["files"]) {
      EXPECT_TRUE(f["path"].get<std::string>().starts_with(bucket_)) << f;
      EXPECT_FALSE(f["etag"].get<std::string>().empty()) << f;
    }
  }
  // Cache entries under s3://BUCKET/<prefix>/.sluice/cache/.
  size_t CacheEntries(const std::string& prefix) {
    size_t n = 0;
    for (const auto& [name, bytes] : Objects(prefix))
      n += name.ends_with(".json") && name.starts_with(".sluice/cache/");
    return n;
  }
};

TEST_F(S3BatchTest, FromS3ToS3WritesWhatTheLocalRunWritesAndReRunsHitTheCache) {
  const stdfs::path local_out = dir_ / "out-local";
  testing::CommandRun local = Batch((dir_ / "batch").string(), local_out.string(), 8, "state-l");
  ASSERT_EQ(local.status, 0) << local.out;
  testing::CommandRun first = Batch(bucket_ + "batch", bucket_ + "out/", 8, "state-s3");
  ASSERT_EQ(first.status, 0) << first.out;
  EXPECT_NE(first.out.find("chunks: 0 hit, 8 miss, 0 recomputed, 0 failed of 8"), std::string::npos)
      << first.out;
  EXPECT_EQ(Report()["counts"]["miss"], 8);
  ExpectSameOutput(local_out, "out");
  EXPECT_EQ(CacheEntries("out"), 8u);
  EXPECT_EQ(OpenUploads(), 0u);
  // The scratch (split inputs, the command's outputs) was local and is gone; the output's
  // .sluice holds only the cache.
  EXPECT_FALSE(stdfs::exists(dir_ / "state-s3" / "split"));
  EXPECT_FALSE(stdfs::exists(dir_ / "state-s3" / "tasks"));
  EXPECT_TRUE(stdfs::exists(dir_ / "state-s3" / "ledger.db"));
  testing::CommandRun inspect = Sluice("inspect '" + bucket_ + "out'", true);
  EXPECT_EQ(inspect.status, 0) << inspect.out;
  EXPECT_NE(inspect.out.find("rows: 4500 in 8 files"), std::string::npos) << inspect.out;

  // Again: every chunk is a hit, no command runs, and the objects stay as they were.
  const std::map<std::string, std::string> before = Objects("out");
  testing::CommandRun again = Batch(bucket_ + "batch", bucket_ + "out", 8, "state-s3");
  ASSERT_EQ(again.status, 0) << again.out;
  const nlohmann::json hits = Report();
  EXPECT_EQ(hits["counts"]["hit"], 8) << hits.dump(1);
  for (const nlohmann::json& c : hits["chunks"]) {
    EXPECT_EQ(c["attempts"], 0);
    EXPECT_EQ(c["reason"], "unchanged since the last run");
  }
  EXPECT_EQ(Objects("out"), before);
  // From another state directory (another machine): the cache on S3 still serves every chunk.
  testing::CommandRun elsewhere = Batch(bucket_ + "batch", bucket_ + "out", 8, "state-other");
  ASSERT_EQ(elsewhere.status, 0) << elsewhere.out;
  EXPECT_EQ(Report()["counts"]["hit"], 8);
  EXPECT_EQ(Objects("out"), before);

  // A changed input object: only the chunks its changed rows fall into are computed again.
  std::string labels = fs::ReadWholeFile(*fs::LocalFileSystem(), Local("labels.csv"));
  labels += "1,L-one\n";
  fs::WriteWholeFile(*fs::LocalFileSystem(), Local("labels.csv"), labels);
  Upload("labels.csv");
  ASSERT_EQ(Batch((dir_ / "batch").string(), local_out.string(), 8, "state-l").status, 0);
  testing::CommandRun changed = Batch(bucket_ + "batch", bucket_ + "out", 8, "state-s3");
  ASSERT_EQ(changed.status, 0) << changed.out;
  EXPECT_EQ(Report()["counts"]["recomputed"], 1) << Report().dump(1);
  EXPECT_EQ(Report()["counts"]["hit"], 7);
  ExpectSameOutput(local_out, "out");

  // Fewer chunks: the stale chunk objects and cache entries are deleted.
  ASSERT_EQ(Batch((dir_ / "batch").string(), local_out.string(), 4, "state-l").status, 0);
  testing::CommandRun rechunked = Batch(bucket_ + "batch", bucket_ + "out", 4, "state-s3");
  ASSERT_EQ(rechunked.status, 0) << rechunked.out;
  EXPECT_EQ(Report()["counts"]["recomputed"], 4);
  ExpectSameOutput(local_out, "out");
  EXPECT_EQ(CacheEntries("out"), 4u);
  EXPECT_EQ(OpenUploads(), 0u);
}

// Parquet inputs whose objects keep their ETags are not read again: the split is skipped, as it
// is locally for files of the same size and modification time. An object uploaded again with the
// same bytes keeps its ETag; one with other bytes gets another, and the inputs are read.
TEST_F(S3BatchTest, UnchangedParquetObjectsAreNotReadAgain) {
  auto run = [&] {
    testing::CommandRun r =
        Sluice("batch -i '" + bucket_ + "batch/orders/' --by k --chunks 4 -o '" + bucket_ +
                   "copied' --state " + (dir_ / "state").string() + " --report " +
                   (dir_ / "report.json").string() + " --progress off -- cp {input} {output}",
               true);
    EXPECT_EQ(r.status, 0) << r.out;
    return Report();
  };
  EXPECT_FALSE(run()["split_skipped"].get<bool>());
  nlohmann::json again = run();
  EXPECT_TRUE(again["split_skipped"].get<bool>());
  EXPECT_EQ(again["counts"]["hit"], 4);
  EXPECT_EQ(again["rows_in"], 4500);
  Upload("orders/part-1.parquet");
  EXPECT_TRUE(run()["split_skipped"].get<bool>());
  fs::WriteWholeFile(*fs::FileSystemFor(bucket_), bucket_ + "batch/orders/part-1.parquet",
                     fs::ReadWholeFile(*fs::LocalFileSystem(), Local("orders/part-0.parquet")));
  nlohmann::json replaced = run();
  EXPECT_FALSE(replaced["split_skipped"].get<bool>());
  EXPECT_EQ(replaced["rows_in"], 4500);
  testing::CommandRun inspect = Sluice("inspect '" + bucket_ + "copied/manifest.json'", true);
  EXPECT_NE(inspect.out.find("rows: 4500 in 4 files"), std::string::npos) << inspect.out;
}

// SIGKILL once a few chunks are in the cache on S3: no manifest is visible, and the same command
// resumes, computing only the chunks that were missing, to the local run's output.
TEST_F(S3BatchTest, AKilledRunResumesFromTheCacheOnS3) {
  const stdfs::path local_out = dir_ / "out-local";
  ASSERT_EQ(Batch((dir_ / "batch").string(), local_out.string(), 16, "state-l").status, 0);
  const std::string line = "TASK_SLEEP=0.3 exec " + std::string(SLUICE_BINARY) + " " +
                           BatchArgs(bucket_ + "batch", bucket_ + "killed", 16, "state-k") +
                           " --chunks-in-flight 2 --threads 2 > /dev/null 2>&1";
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    execl("/bin/sh", "sh", "-c", line.c_str(), nullptr);
    _exit(127);
  }
  auto cached = [&] {
    size_t n = 0;
    for (const fs::S3ObjectInfo& o :
         server_->client()->ListAll(BucketName(), "killed/.sluice/cache/", "")) {
      n += o.key.ends_with(".json");
    }
    return n;
  };
  for (int i = 0; i < 600 && cached() < 3; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  kill(pid, SIGKILL);
  int status = 0;
  waitpid(pid, &status, 0);
  ASSERT_TRUE(WIFSIGNALED(status));
  const size_t at_kill = cached();
  ASSERT_GE(at_kill, 3u);
  ASSERT_LT(at_kill, 16u) << "the run finished before the kill";
  EXPECT_FALSE(Objects("killed").contains("manifest.json"));

  testing::CommandRun resumed = Batch(bucket_ + "batch", bucket_ + "killed", 16, "state-k");
  ASSERT_EQ(resumed.status, 0) << resumed.out;
  const nlohmann::json report = Report();
  EXPECT_EQ(report["counts"]["hit"], at_kill) << report.dump(1);
  EXPECT_EQ(report["counts"]["miss"], 16 - at_kill);
  for (const nlohmann::json& c : report["chunks"]) {
    if (c["status"] == "hit") {
      EXPECT_EQ(c["attempts"], 0) << c;
    }
  }
  ExpectSameOutput(local_out, "killed");
  EXPECT_EQ(OpenUploads(), 0u);
}

// A missing bucket, for an input or for the output: the error names the URL and nothing is
// written, neither on the store nor in the local state directory.
TEST_F(S3BatchTest, AMissingBucketFailsNamingTheUrlAndWritesNothing) {
  testing::CommandRun no_input =
      Batch("s3://no-such-bucket-anywhere/batch", bucket_ + "out", 4, "state-missing");
  EXPECT_NE(no_input.status, 0);
  EXPECT_NE(no_input.out.find("s3://no-such-bucket-anywhere/batch/orders/"), std::string::npos)
      << no_input.out;
  EXPECT_NE(no_input.out.find("NoSuchBucket"), std::string::npos) << no_input.out;
  EXPECT_TRUE(Objects("out").empty());
  EXPECT_FALSE(stdfs::exists(dir_ / "state-missing"));

  testing::CommandRun no_output =
      Batch(bucket_ + "batch", "s3://no-such-bucket-anywhere/out", 4, "state-missing");
  EXPECT_NE(no_output.status, 0);
  EXPECT_NE(no_output.out.find("s3://no-such-bucket-anywhere/out"), std::string::npos)
      << no_output.out;
  EXPECT_NE(no_output.out.find("NoSuchBucket"), std::string::npos) << no_output.out;
  EXPECT_FALSE(stdfs::exists(dir_ / "state-missing"));
  EXPECT_EQ(OpenUploads(), 0u);
}

// A hive-partitioned dataset, written locally and uploaded under s3://BUCKET/src/.
class S3CompactTest : public S3CliTest {
 protected:
  void SetUp() override {
    S3CliTest::SetUp();
    if (IsSkipped() || HasFailure()) return;
    int seed = 0;
    for (const char* part : {"dt=2026-01-01", "dt=2026-01-02/region=eu"}) {
      for (int f = 0; f < 3; ++f) {
        RecordBatch batch = MakeSampleBatch(700 + 300 * (seed++));
        parquet::ParquetWriteOptions options;
        options.row_group_rows = 250;
        std::string relative = std::string(part) + "/part-" + std::to_string(f) + ".parquet";
        stdfs::create_directories(dir_ / "src" / part);
        std::string local = (dir_ / "src" / relative).string();
        parquet::WriteParquetFile(local, batch.shared_schema(), {batch}, options);
        std::string remote = bucket_ + "src/" + relative;
        fs::WriteWholeFile(*fs::FileSystemFor(remote), remote,
                           fs::ReadWholeFile(*fs::LocalFileSystem(), local));
        inputs_.push_back(remote);
      }
    }
    std::string marker = bucket_ + "src/_SUCCESS";
    fs::WriteWholeFile(*fs::FileSystemFor(marker), marker, std::string_view());
  }
  // Output files (relative path -> bytes), the job's state directory left out.
  std::map<std::string, std::string> Outputs(const stdfs::path& root) {
    std::map<std::string, std::string> out;
    for (const auto& entry : stdfs::recursive_directory_iterator(root)) {
      std::string relative = stdfs::relative(entry.path(), root).generic_string();
      if (!entry.is_regular_file() || relative.starts_with(".sluice")) continue;
      out[relative] = fs::ReadWholeFile(*fs::LocalFileSystem(), entry.path().string());
    }
    return out;
  }
  // Writes objects into a local directory, for the comparisons below.
  void Download(const std::map<std::string, std::string>& objects, const stdfs::path& root) {
    stdfs::create_directories(root);
    for (const auto& [name, bytes] : objects) {
      stdfs::create_directories((root / name).parent_path());
      std::ofstream(root / name, std::ios::binary) << bytes;
    }
  }
  // The outputs under `got` hold what the local run wrote under `expected`: the same file names
  // and, file by file, what `sluice cat` prints.
  void ExpectSameOutputs(const stdfs::path& expected, const stdfs::path& got) {
    std::map<std::string, std::string> want = Outputs(expected);
    std::map<std::string, std::string> have = Outputs(got);
    ASSERT_EQ(want.size(), 2u);
    ASSERT_EQ(have.size(), want.size());
    for (const auto& [name, bytes] : want) {
      ASSERT_TRUE(have.contains(name)) << name;
      testing::CommandRun a = Sluice("cat " + (expected / name).string());
      EXPECT_EQ(a.status, 0);
      EXPECT_GT(a.out.size(), 1000u);
      EXPECT_EQ(a.out, Sluice("cat " + (got / name).string()).out) << name;
    }
  }
  // Partitions done in the ledger of the job whose name holds `destination` (sluice status).
  int64_t DoneInLedger(const stdfs::path& state, const std::string& destination) {
    testing::CommandRun run = Sluice("status --json --state " + state.string());
    EXPECT_EQ(run.status, 0) << run.out;
    nlohmann::json jobs = nlohmann::json::parse(run.out.substr(run.out.find('[')), nullptr, false);
    for (const nlohmann::json& job : jobs) {
      if (job.value("job", "").find(destination) != std::string::npos) return job.value("done", 0);
    }
    return 0;
  }
  // Starts the sluice binary with `args`, the S3 endpoint replaced by `endpoint`; returns its pid.
  pid_t Start(const std::string& endpoint, const std::string& args) {
    pid_t pid = fork();
    if (pid == 0) {
      int null = ::open("/dev/null", O_WRONLY);
      dup2(null, 1);
      dup2(null, 2);
      std::string cmd = "exec env AWS_ENDPOINT_URL=" + endpoint + " " + SLUICE_BINARY + " " + args;
      execl("/bin/sh", "sh", "-c", cmd.c_str(), nullptr);
      _exit(127);
    }
    return pid;
  }
  std::vector<std::string> inputs_;
};

TEST_F(S3CompactTest, CompactFromS3WritesWhatTheLocalRunWrites) {
  const std::string flags = " --row-group-rows 1000 --verify --progress off";
  testing::CommandRun local = Sluice(
      "compact " + (dir_ / "src").string() + " " + (dir_ / "out-local").string() + flags, true);
  ASSERT_EQ(local.status, 0) << local.out;
  testing::CommandRun remote =
      Sluice("compact '" + bucket_ + "src/' " + (dir_ / "out-s3").string() + flags, true);
  ASSERT_EQ(remote.status, 0) << remote.out;
  EXPECT_NE(remote.out.find("s3: "), std::string::npos) << remote.out;  // request counts
  EXPECT_EQ(local.out.find("s3: "), std::string::npos) << local.out;
  std::map<std::string, std::string> expected = Outputs(dir_ / "out-local");
  std::map<std::string, std::string> got = Outputs(dir_ / "out-s3");
  ASSERT_EQ(expected.size(), 2u);
  ASSERT_EQ(got.size(), expected.size());
  for (const auto& [name, bytes] : expected) {
    ASSERT_TRUE(got.contains(name)) << name;
    // The same rows in the same order: what `sluice cat` prints of each file is equal.
    testing::CommandRun a = Sluice("cat " + (dir_ / "out-local" / name).string());
    testing::CommandRun b = Sluice("cat " + (dir_ / "out-s3" / name).string());
    EXPECT_EQ(a.status, 0);
    EXPECT_GT(a.out.size(), 1000u);
    EXPECT_EQ(a.out, b.out) << name;
  }
}

// Every fifth request between sluice and the server fails (503 SlowDown, 500, resets, bodies cut
// short): `cat` and `compact` still print and write exactly what they do without faults.
TEST_F(S3CompactTest, FaultsOnTheWayChangeNoResult) {
  fs::testing::FaultProxy proxy(server_->endpoint(), 5);
  const std::string via = "AWS_ENDPOINT_URL=" + proxy.endpoint() + " ";
  testing::CommandRun local = Sluice("cat " + local_);
  testing::CommandRun remote =
      Sluice(via + std::string(SLUICE_BINARY) + " cat '" + remote_ + "'", false, /*raw=*/true);
  ASSERT_EQ(remote.status, 0) << remote.out;
  EXPECT_EQ(remote.out, local.out);

  const std::string flags = " --row-group-rows 1000 --progress off";
  ASSERT_EQ(
      Sluice("compact " + (dir_ / "src").string() + " " + (dir_ / "out-local").string() + flags)
          .status,
      0);
  testing::CommandRun compact = Sluice(via + std::string(SLUICE_BINARY) + " compact '" + bucket_ +
                                           "src' " + (dir_ / "out-s3").string() + flags,
                                       true, /*raw=*/true);
  ASSERT_EQ(compact.status, 0) << compact.out;
  std::map<std::string, std::string> expected = Outputs(dir_ / "out-local");
  std::map<std::string, std::string> got = Outputs(dir_ / "out-s3");
  ASSERT_EQ(got.size(), expected.size());
  for (const auto& [name, bytes] : expected) {
    EXPECT_EQ(Sluice("cat " + (dir_ / "out-s3" / name).string()).out,
              Sluice("cat " + (dir_ / "out-local" / name).string()).out)
        << name;
  }
  EXPECT_GE(proxy.faults(), 4);  // about 25 requests: a listing, footers, whole files

  // To S3 as well: part uploads, completions (a reset after the store completed one: the retry
  // finds NoSuchUpload and checks the object) and the sweep's listing all meet faults.
  const int64_t faults_before = proxy.faults();
  testing::CommandRun to_s3 =
      Sluice(via + std::string(SLUICE_BINARY) + " compact '" + bucket_ + "src' '" + bucket_ +
                 "dst-faults'" + flags + " --state " + (dir_ / "state").string(),
             true, /*raw=*/true);
  ASSERT_EQ(to_s3.status, 0) << to_s3.out;
  Download(Objects("dst-faults"), dir_ / "out-s3-faults");
  ExpectSameOutputs(dir_ / "out-local", dir_ / "out-s3-faults");
  EXPECT_EQ(OpenUploads(), 0u);
  EXPECT_GT(proxy.faults(), faults_before + 1);
}

// Wrong credentials: the server refuses the signature; the error names the URL and the store's
// code, never the secret, and nothing is written.
TEST_F(S3CompactTest, WrongCredentialsFailClearlyAndWriteNothing) {
  const std::string out = (dir_ / "out-denied").string();
  testing::CommandRun run =
      Sluice("AWS_SECRET_ACCESS_KEY=not-the-secret-XYZ " + std::string(SLUICE_BINARY) +
                 " compact '" + bucket_ + "src' " + out + " --progress off",
             true, /*raw=*/true);
  EXPECT_NE(run.status, 0);
  EXPECT_NE(run.out.find("SignatureDoesNotMatch"), std::string::npos) << run.out;
  EXPECT_NE(run.out.find(bucket_ + "src"), std::string::npos) << run.out;
  EXPECT_EQ(run.out.find("not-the-secret-XYZ"), std::string::npos) << run.out;
  EXPECT_EQ(run.out.find(std::string(fs::testing::S3Server::kSecretKey)), std::string::npos);
  EXPECT_TRUE(!stdfs::exists(out) || Outputs(out).empty());
}

// Sources are deleted after the committed objects were checked against the manifest (HEAD).
TEST_F(S3CompactTest, DeleteSourceRemovesTheObjects) {
  testing::CommandRun run =
      Sluice("compact '" + bucket_ + "src' '" + bucket_ + "out' --state " +
                 (dir_ / "state").string() + " --verify --delete-source --progress off",
             true);
  ASSERT_EQ(run.status, 0) << run.out;
  EXPECT_NE(run.out.find("deleted 6 source files"), std::string::npos) << run.out;
  EXPECT_EQ(Objects("out").size(), 2u);
  for (const std::string& input : inputs_) {
    EXPECT_THROW(fs::FileSystemFor(input)->Stat(input), Error) << input;
  }
  EXPECT_EQ(fs::FileSystemFor(bucket_)->List(bucket_ + "src").size(), 1u);  // _SUCCESS stays

  testing::CommandRun missing =
      Sluice("compact '" + bucket_ + "nothing/' " + (dir_ / "out2").string(), true);
  EXPECT_NE(missing.status, 0);
  EXPECT_NE(missing.out.find(bucket_ + "nothing"), std::string::npos) << missing.out;
}

// S3 in, S3 out: the objects written are the local run's files, under the same names; DuckDB
// reads the downloaded outputs as holding exactly the input's rows. No upload stays open.
TEST_F(S3CompactTest, CompactFromS3ToS3WritesWhatTheLocalRunWrites) {
  const std::string flags =
      " --row-group-rows 1000 --verify --progress off --state " + (dir_ / "state").string();
  testing::CommandRun local = Sluice(
      "compact " + (dir_ / "src").string() + " " + (dir_ / "out-local").string() + flags, true);
  ASSERT_EQ(local.status, 0) << local.out;
  testing::CommandRun remote =
      Sluice("compact '" + bucket_ + "src/' '" + bucket_ + "dst/'" + flags, true);
  ASSERT_EQ(remote.status, 0) << remote.out;
  EXPECT_NE(remote.out.find("2 done"), std::string::npos) << remote.out;
  std::map<std::string, std::string> objects = Objects("dst");
  Download(objects, dir_ / "out-s3");
  ExpectSameOutputs(dir_ / "out-local", dir_ / "out-s3");
  EXPECT_EQ(objects.size(), Outputs(dir_ / "out-local").size());
  EXPECT_EQ(OpenUploads(), 0u);
  EXPECT_FALSE(stdfs::exists(dir_ / "out-s3" / ".sluice"));  // the ledger stays local

  // A second run finds the job done and changes nothing.
  testing::CommandRun again =
      Sluice("compact '" + bucket_ + "src/' '" + bucket_ + "dst/'" + flags, true);
  ASSERT_EQ(again.status, 0) << again.out;
  EXPECT_EQ(Objects("dst"), objects);

  auto duckdb = testing::DuckDbQuery::Open(SLUICE_DUCKDB_LIBRARY);
  SLUICE_REQUIRE_TEST_DATA(duckdb, "DuckDB from npm is not installed (npm ci)");
  testing::MultisetDifference diff = testing::CompareMultisets(
      *duckdb, "SELECT * FROM read_parquet('" + (dir_ / "out-s3").string() + "/*/*.parquet')",
      "SELECT * FROM read_parquet('" + (dir_ / "src").string() + "/**/*.parquet')");
  EXPECT_EQ(diff.only_ours, 0);
  EXPECT_EQ(diff.only_theirs, 0);
  EXPECT_EQ(
      duckdb->Query("SELECT * FROM read_parquet('" + (dir_ / "out-s3").string() + "/*/*.parquet')")
          .num_rows(),
      700 + 1000 + 1300 + 1600 + 1900 + 2200);
}

// --sort-by from S3 to S3: the sort stage reads its inputs over S3 and its files are uploaded
// like copied pages; what it writes equals the local sorted run, row for row in order.
TEST_F(S3CompactTest, SortedCompactFromS3ToS3WritesWhatTheLocalRunWrites) {
  const std::string flags =
      " --sort-by i64:desc,i32 --row-group-rows 1000 --progress off --state " +
      (dir_ / "state").string();
  testing::CommandRun local = Sluice(
      "compact " + (dir_ / "src").string() + " " + (dir_ / "out-local").string() + flags, true);
  ASSERT_EQ(local.status, 0) << local.out;
  testing::CommandRun remote =
      Sluice("compact '" + bucket_ + "src/' '" + bucket_ + "sorted/'" + flags, true);
  ASSERT_EQ(remote.status, 0) << remote.out;
  EXPECT_NE(remote.out.find("2 done"), std::string::npos) << remote.out;
  std::map<std::string, std::string> objects = Objects("sorted");
  Download(objects, dir_ / "out-s3");
  ExpectSameOutputs(dir_ / "out-local", dir_ / "out-s3");
  EXPECT_EQ(OpenUploads(), 0u);
}

// SIGKILL while the process waits for an UploadPart's answer (the proxy holds every part), and
// again while it waits for the completion of a committed partition's upload (the proxy holds
// every CompleteMultipartUpload): at each moment nothing is visible under the output prefix.
// A plain rerun then resumes: the sweep rolls the committed partition's completion forward and
// aborts what the killed attempts left open; the outputs equal the local run's and no upload is
// left in the bucket.
TEST_F(S3CompactTest, KillNineDuringUploadsThenResume) {
  const std::string flags =
      " --row-group-rows 1000 --progress off --lease 1 --max-attempts 10 --state " +
      (dir_ / "state").string();
  ASSERT_EQ(
      Sluice("compact " + (dir_ / "src").string() + " " + (dir_ / "out-local").string() + flags)
          .status,
      0);
  const std::string args = "compact '" + bucket_ + "src' '" + bucket_ + "dst'" + flags;
  using Hold = std::function<bool(const std::string&, const std::string&)>;
  const Hold parts = [](const std::string& method, const std::string& target) {
    return method == "PUT" && target.find("partNumber=") != std::string::npos;
  };
  const Hold completions = [](const std::string& method, const std::string& target) {
    return method == "POST" && target.find("uploadId=") != std::string::npos;
  };
  int64_t opened_at_kill = 0;
  for (bool holding_parts : {true, false}) {
    fs::testing::FaultProxy proxy(server_->endpoint(), 0);
    proxy.Hold(holding_parts ? parts : completions);
    pid_t pid = Start(proxy.endpoint(), args);
    ASSERT_GT(pid, 0);
    bool held = proxy.WaitForHeld(1, std::chrono::seconds(60));
    EXPECT_TRUE(held) << "the run never reached the upload";
    opened_at_kill +=
        static_cast<int64_t>(server_->client()->ListMultipartUploads(BucketName(), "dst/").size());
    // Parts held: no partition got to its ledger commit. Completions held: one did, and its
    // objects are still invisible. Either way nothing is visible.
    const int64_t done = DoneInLedger(dir_ / "state", bucket_ + "dst");
    if (holding_parts) {
      EXPECT_EQ(done, 0);
    } else {
      EXPECT_GE(done, 1);
    }
    EXPECT_TRUE(Objects("dst").empty()) << "an object is visible before its completion";
    kill(pid, SIGKILL);
    int status = 0;
    waitpid(pid, &status, 0);
    EXPECT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);
    EXPECT_TRUE(Objects("dst").empty());
  }
  EXPECT_GE(opened_at_kill, 2);  // uploads were open when the process died

  testing::CommandRun resumed = Sluice(args, true);
  ASSERT_EQ(resumed.status, 0) << resumed.out;
  EXPECT_NE(resumed.out.find("2 done"), std::string::npos) << resumed.out;
  // The partition the second kill cut short was completed by the sweep, not compacted again.
  EXPECT_NE(resumed.out.find("committed before a crash"), std::string::npos) << resumed.out;
  Download(Objects("dst"), dir_ / "out-s3");
  ExpectSameOutputs(dir_ / "out-local", dir_ / "out-s3");
  EXPECT_EQ(OpenUploads(), 0u);
}

}  // namespace
}  // namespace sluice
