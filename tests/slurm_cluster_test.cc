// The multi-host harness end to end (tests/cluster/slurm_cluster.h): a Slurm controller and three
// slurmd nodes in namespaces on this machine, PostgreSQL and the S3 gateway on the controller's
// address. The cluster comes up with its three nodes, each with its own name, address and PID
// namespace, reaching the servers; a cut link isolates a node or the controller until restored;
// and `sluice run`, started on every node by `srun -N3` over one PostgreSQL ledger, finishes
// with every partition done exactly once although a whole node is killed in the middle of the
// job: its leases expire and other nodes run its partitions again. `sluice slurm` runs a job on
// every node with the job's exit status, and a job rides out a 20 s cut of the controller's link
// and a PostgreSQL restart. A group-by runs as a shuffle across the nodes through S3, also when a
// node is killed while it holds one of the shuffle's partitions. A batch runs its chunks on the
// nodes through S3 and equals the local run, also when a node is killed while it holds a chunk.
//
// Needs root; skipped without it, failed under CI. One CTest entry: the cases share one cluster.
#include "cluster/slurm_cluster.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "sluice/base/testing/require_test_data.h"
#include "sluice/base/testing/scratch_dir.h"
#include "sluice/io/fs/s3_url.h"
#include "sluice/io/parquet/file_reader.h"
#include "sluice/io/parquet/file_writer.h"
#include "sluice/jobs/output_commit.h"
#include "sluice/ledger/ledger.h"
#include "sluice/table/builder.h"
#include "sluice/table/printer.h"

namespace sluice {
namespace {

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using sluice::testing::HostProcess;
using sluice::testing::HostProcessResult;
using sluice::testing::RunHostCommand;
using sluice::testing::SlurmCluster;

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::vector<std::string> Lines(const std::string& text) {
  std::vector<std::string> out;
  std::stringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

// keys.txt for `--partition-by list:@keys.txt`: k00, k01, ...
void WriteKeys(const fs::path& path, int count) {
  std::ofstream keys(path);
  for (int i = 0; i < count; ++i) keys << "k" << (i < 10 ? "0" : "") << i << "\n";
}

// The tasks' lines of srun's output, without srun's own notes ("srun: job 2 queued and waiting
// for resources" when the previous job's nodes are still being released).
std::vector<std::string> TaskLines(const std::string& text) {
  std::vector<std::string> out = Lines(text);
  std::erase_if(out, [](const std::string& line) { return line.starts_with("srun: "); });
  return out;
}

// Seconds of lease for `sluice run`: sanitized builds run it several times slower, and a live
// worker's heartbeat must not miss a short lease.
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr const char* kLease = "10";
#else
constexpr const char* kLease = "2";
#endif

// "http://10.64.1.1:8080" -> "8080".
std::string PortOf(const std::string& endpoint) { return endpoint.substr(endpoint.rfind(':') + 1); }

class SlurmClusterTest : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    why_not_ = SlurmCluster::Unavailable();
    if (!why_not_.empty()) return;
    auto start = std::chrono::steady_clock::now();
    try {
      cluster_ = std::make_unique<SlurmCluster>();
    } catch (const std::exception& e) {
      why_not_ = std::string("the cluster did not start: ") + e.what();
      start_failed_ = true;
      return;
    }
    // The tests read what jobs wrote to the gateway in this process (TableRows).
    for (const auto& [name, value] : cluster_->s3()->Environment()) {
      setenv(name.c_str(), value.c_str(), 1);
    }
    std::printf("cluster up in %.1f s\n",
                std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  static void TearDownTestSuite() {
    auto start = std::chrono::steady_clock::now();
    cluster_.reset();
    std::printf("cluster down in %.1f s\n",
                std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  }
  void SetUp() override {
    ASSERT_FALSE(start_failed_) << why_not_;
    SLUICE_REQUIRE_TOOL(cluster_ != nullptr, why_not_);
    ASSERT_NO_THROW(cluster_->WaitUntilIdle());
  }

  // A bash line that opens a TCP connection to the controller's PostgreSQL and S3 gateway.
  std::string ReachServers() const {
    return "exec 3<>/dev/tcp/" + cluster_->ControllerAddress() + "/" +
           std::to_string(cluster_->postgres().port()) + " && exec 4<>/dev/tcp/" +
           cluster_->ControllerAddress() + "/" + PortOf(cluster_->s3()->endpoint());
  }
  // Whether node i reaches both servers within about `seconds`.
  bool NodeReachesServers(int i, int seconds) {
    std::string line = "end=$((SECONDS + " + std::to_string(seconds) +
                       ")); while [ $SECONDS -lt $end ]; do timeout 1 bash -c '" + ReachServers() +
                       "' && exit 0; sleep 0.1; done; exit 1";
    return RunHostCommand(cluster_->OnNode(i, {"bash", "-c", line}),
                          std::chrono::seconds(seconds + 5))
        .ok();
  }

  // `sluice slurm` on the three nodes running `sluice run` over dir/keys.txt into `out`.
  static std::vector<std::string> SlurmRunArgv(const fs::path& dir, const std::string& job,
                                               const fs::path& out, int max_attempts,
                                               const std::string& command) {
    return {SLUICE_BINARY,
            "slurm",
            "--nodes",
            "3",
            "--interval",
            "0.2",
            "--sbatch=--chdir=" + dir.string(),
            "--",
            "run",
            "--job",
            job,
            "--partition-by",
            "list:@" + (dir / "keys.txt").string(),
            "--output",
            out.string(),
            "--claim-batch",
            "1",
            "--max-attempts",
            std::to_string(max_attempts),
            "--lease",
            kLease,
            "--log-level",
            "error",
            "--",
            "sh",
            "-c",
            command};
  }
  // Slurm's environment and the ledger, which reaches the workers this way only.
  static sluice::testing::Environment JobEnvironment(const std::string& ledger_url) {
    sluice::testing::Environment env = cluster_->SlurmEnvironment();
    env.emplace_back("SLUICE_LEDGER", ledger_url);
    return env;
  }

  // One `sluice worker --job JOB` per node by srun, one partition at a time, 128 MiB each.
  static std::vector<std::string> WorkerPerNode(const std::string& job) {
    return cluster_->Srun({"-N3", "--ntasks-per-node=1", "--no-kill", SLUICE_BINARY, "worker",
                           "--job", job, "--workers", "1", "--claim-batch", "1", "--lease", kLease,
                           "--memory", "128MiB", "--log-level", "error"});
  }
  // The node of the first worker seen holding a partition of the job (a fixed node may get none
  // before a short job ends: the others claim as they start); -1 when srun ended or none did
  // within 60 s.
  static int FirstLeaseHolder(ledger::Ledger& ledger, ledger::JobId job, HostProcess& srun) {
    const auto deadline = std::chrono::steady_clock::now() + 60s;
    while (srun.Running() && std::chrono::steady_clock::now() < deadline) {
      for (const auto& p : ledger.ListPartitions(job)) {
        if (p.status != ledger::PartitionStatus::kRunning) continue;
        for (int k = 0; k < 3; ++k) {
          if (p.lease_owner.starts_with(cluster_->NodeName(k) + ":")) return k;
        }
      }
      std::this_thread::sleep_for(5ms);
    }
    return -1;
  }

  // The partitions of the ledger's one job, each expected done: how many each stage had, and the
  // hosts (lease owners' node names) that ran them.
  struct StagesRun {
    ledger::JobStatus status = ledger::JobStatus::kRunning;
    std::map<std::string, int> partitions;
    std::set<std::string> hosts;
  };
  static StagesRun DoneStages(const std::string& url) {
    auto ledger = ledger::OpenLedger(url);
    const ledger::JobRecord job = ledger->ListJobs().front();
    ledger::PartitionQuery query;
    query.limit = 1000;
    StagesRun run{.status = job.status};
    for (const auto& p : ledger->ListPartitions(job.id, query)) {
      EXPECT_EQ(p.status, ledger::PartitionStatus::kDone) << p.key << ": " << p.error;
      ++run.partitions[p.key.substr(0, p.key.find('/'))];
      run.hosts.insert(p.lease_owner.substr(0, p.lease_owner.find(':')));
    }
    return run;
  }

  static inline std::unique_ptr<SlurmCluster> cluster_;
  static inline std::string why_not_;  // why there is no cluster
  static inline bool start_failed_ = false;
};

TEST_F(SlurmClusterTest, ThreeNodesWithTheirOwnNamesAddressesAndProcesses) {
  HostProcessResult hosts =
      RunHostCommand(cluster_->Srun({"-N3", "hostname"}), 30s, cluster_->SlurmEnvironment());
  ASSERT_TRUE(hosts.ok()) << hosts.output << cluster_->LogTail();
  std::vector<std::string> names = TaskLines(hosts.output);
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names, (std::vector<std::string>{"n1", "n2", "n3"}));

  // Each task: its node's name and address, PID 1 of its PID namespace (the node's init shell,
  // not this machine's), and both servers reached on the controller's address.
  HostProcessResult each =
      RunHostCommand(cluster_->Srun({"-N3", "bash", "-c",
                                     "echo $(hostname) $(hostname -I) $(cat /proc/1/comm) && " +
                                         ReachServers() + " && echo reached"}),
                     30s, cluster_->SlurmEnvironment());
  ASSERT_TRUE(each.ok()) << each.output;
  std::vector<std::string> lines = TaskLines(each.output);
  std::sort(lines.begin(), lines.end());
  std::vector<std::string> expected;
  for (int i = 0; i < 3; ++i) {
    expected.push_back(cluster_->NodeName(i) + " " + cluster_->NodeAddress(i) + " sh");
  }
  for (int i = 0; i < 3; ++i) expected.push_back("reached");
  std::sort(expected.begin(), expected.end());
  EXPECT_EQ(lines, expected) << each.output;
}

TEST_F(SlurmClusterTest, CutLinksIsolateANodeOrTheControllerUntilRestored) {
  ASSERT_TRUE(NodeReachesServers(2, 2));
  cluster_->SetNodeLinkUp(2, false);
  EXPECT_FALSE(NodeReachesServers(2, 1)) << "n3 reached the servers with its link down";
  EXPECT_TRUE(NodeReachesServers(0, 2)) << "n1 lost the servers when n3's link went down";
  cluster_->SetNodeLinkUp(2, true);
  EXPECT_TRUE(NodeReachesServers(2, 5)) << "n3 did not reach the servers with its link up again";

  cluster_->SetControllerLinkUp(false);
  EXPECT_FALSE(NodeReachesServers(0, 1)) << "n1 reached the servers with the controller cut";
  cluster_->SetControllerLinkUp(true);
  EXPECT_TRUE(NodeReachesServers(0, 5)) << "n1 did not reach the servers after the cut";
}

// `sluice run` on every node (srun -N3) over one PostgreSQL ledger; node n2 is killed whole while
// it runs a partition, after it has committed some. Each attempt notes its host in starts/KEY and
// writes its host and key into its output.
TEST_F(SlurmClusterTest, RunAcrossNodesFinishesWhenANodeIsKilled) {
  constexpr int kPartitions = 90;
  constexpr int kVictim = 1;
  const std::string victim = cluster_->NodeName(kVictim);
  ScratchDir dir("sluice-slurm-run");
  fs::create_directories(dir.path() / "starts");
  WriteKeys(dir.path() / "keys.txt", kPartitions);
  const std::string url = cluster_->postgres().CreateDatabase("run_across_nodes");
  const fs::path out = dir.path() / "out";
  // The victim's first three attempts take 0.2 s like every other, its later ones hang until the
  // kill: the kill lands inside an attempt however loaded the machine is, and the job cannot end
  // before it (the hanging partitions are leased to the victim).
  const std::string task = "echo \"$(hostname) {attempt}\" >> " + dir.Path("starts") +
                           "/{key}; if [ $(hostname) = " + victim + " ]; then echo >> " +
                           dir.Path("victim_attempts") + "; [ $(wc -l < " +
                           dir.Path("victim_attempts") +
                           ") -gt 3 ] && sleep 600; fi; sleep 0.2; hostname > {output}/host; "
                           "echo {key} > {output}/data";
  // --lease: the dead node's partitions come back after it expires; --claim-batch 1 spreads the
  // partitions over the nodes; --no-kill: the job step goes on without a node that fails.
  std::vector<std::string> args = {"-N3", "--ntasks-per-node=1", "--no-kill", SLUICE_BINARY, "run"};
  auto add = [&args](std::initializer_list<std::string> more) { args.insert(args.end(), more); };
  add({"--job", "across", "--partition-by", "list:@" + dir.Path("keys.txt")});
  add({"--ledger", url, "--output", out.string(), "--log-level", "error"});
  add({"--workers", "2", "--lease", kLease, "--claim-batch", "1", "--max-attempts", "5"});
  add({"--", "sh", "-c", task});
  HostProcess srun(cluster_->Srun(args), dir.path() / "srun.log", cluster_->SlurmEnvironment());

  // Kill when the victim has committed an output and has an attempt hanging (its fourth or later;
  // counting commits instead would wait forever if one of its first three lost its lease).
  jobs::OutputLayout layout(out);
  auto committed_by = [&](const std::string& key) {
    return ReadFile(layout.FinalDir(key) / "host");
  };
  auto victim_hangs = [&] {
    bool committed = false;
    for (const auto& entry : fs::directory_iterator(dir.path() / "starts")) {
      committed = committed || committed_by(entry.path().filename().string()) == victim + "\n";
    }
    return committed && Lines(ReadFile(dir.Path("victim_attempts"))).size() > 3;
  };
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  while (!victim_hangs() && srun.Running() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(20ms);
  }
  ASSERT_TRUE(srun.Running()) << "the job ended before the kill: " << srun.Output();
  ASSERT_TRUE(victim_hangs()) << srun.Output() << cluster_->LogTail();
  cluster_->KillNode(kVictim);
  const auto killed = std::chrono::steady_clock::now();

  HostProcessResult run = srun.Wait(90s);
  ASSERT_FALSE(run.timed_out) << run.output << cluster_->LogTail();

  // The ledger: every partition done.
  auto ledger = ledger::OpenLedger(url);
  auto job = ledger->FindJob("across");
  ASSERT_TRUE(job.has_value()) << run.output;
  ledger::PartitionQuery query;
  query.limit = 1000;
  auto partitions = ledger->ListPartitions(job->id, query);
  ASSERT_EQ(partitions.size(), static_cast<size_t>(kPartitions)) << run.output;

  // The outputs: each partition's committed once, whole; every node committed some (the victim
  // before it died); partitions the victim was running were run again on another node.
  std::map<std::string, int> committed_per_host;
  int rerun_elsewhere = 0;
  std::set<std::string> expected_dirs;
  for (const auto& p : partitions) {
    EXPECT_EQ(p.status, ledger::PartitionStatus::kDone) << p.key << ": " << p.error;
    expected_dirs.insert(layout.FinalDir(p.key).filename().string());
    EXPECT_EQ(ReadFile(layout.FinalDir(p.key) / "data"), p.key + "\n");
    std::string host = committed_by(p.key);
    ++committed_per_host[host];
    const std::string starts = ReadFile(dir.path() / "starts" / p.key);
    if (host != victim + "\n" && starts.find(victim + " ") != std::string::npos) {
      ++rerun_elsewhere;
      EXPECT_GE(p.attempt, 2) << p.key << " started on " << victim << ": " << starts;
    }
  }
  for (int i = 0; i < 3; ++i) {
    EXPECT_GE(committed_per_host[cluster_->NodeName(i) + "\n"], 1) << cluster_->NodeName(i);
  }
  EXPECT_EQ(committed_per_host.size(), 3u) << "outputs from elsewhere than the three nodes";
  EXPECT_GE(rerun_elsewhere, 1) << "no partition of the killed node was run again elsewhere";
  std::set<std::string> found;
  for (const auto& entry : fs::directory_iterator(out)) {
    if (entry.path().filename() != ".sluice-attempts") found.insert(entry.path().filename());
  }
  EXPECT_EQ(found, expected_dirs);
  if (HasFailure()) ADD_FAILURE() << run.output << cluster_->LogTail();
  std::printf("killed %s; %d of its partitions run again elsewhere; committed per host:",
              victim.c_str(), rerun_elsewhere);
  for (const auto& [host, count] : committed_per_host) {
    std::printf(" %s=%d", host.substr(0, host.size() - 1).c_str(), count);
  }
  std::printf("; srun exit %d, %.1f s after the kill\n", run.exit_code,
              std::chrono::duration<double>(std::chrono::steady_clock::now() - killed).count());

  // Slurm saw the node die (srun waited for that), and takes it back once restarted.
  std::string victim_state;
  for (const auto& [node, state] : cluster_->NodeStates()) {
    if (node == victim) victim_state = state;
  }
  EXPECT_TRUE(victim_state.starts_with("down")) << victim << " is " << victim_state;
  cluster_->RestartNode(kVictim);
}

// Random Parquet inputs for a group-by: k (int64, 1,500 keys), v (int64).
std::vector<fs::path> WriteGroupByInputs(const fs::path& dir, int files, int rows) {
  auto schema = std::make_shared<const Schema>(
      std::vector<Field>{{"k", DataType::Int64()}, {"v", DataType::Int64()}});
  std::mt19937_64 rng(5);
  std::vector<fs::path> paths;
  for (int f = 0; f < files; ++f) {
    Int64Builder k, v;
    for (int r = 0; r < rows; ++r) {
      k.Append(static_cast<int64_t>(rng() % 1500));
      v.Append(static_cast<int64_t>(rng() % 1000));
    }
    paths.push_back(dir / ("in-" + std::to_string(f) + ".parquet"));
    parquet::WriteParquetFile(paths.back().string(), schema,
                              {RecordBatch::Make(schema, {k.Finish(), v.Finish()})});
  }
  return paths;
}

// Every row of Parquet tables (local paths, or URLs on the gateway), read in this process, as
// text, in order: `sluice cat` through a host command keeps only its output's last
// 64 KiB.
std::vector<std::string> TableRows(const std::vector<std::string>& tables) {
  std::vector<std::string> rows;
  for (const std::string& table : tables) {
    for (const RecordBatch& b : parquet::ParquetFileReader::Open(table)->ReadAll()) {
      for (int64_t r = 0; r < b.num_rows(); ++r) {
        std::string row;
        for (int c = 0; c < b.num_columns(); ++c) row += FormatValue(b.column(c), r) + ",";
        rows.push_back(std::move(row));
      }
    }
  }
  return rows;
}
std::vector<std::string> SortedTableRows(const std::vector<std::string>& tables) {
  std::vector<std::string> rows = TableRows(tables);
  std::sort(rows.begin(), rows.end());
  return rows;
}

// `sluice slurm --nodes 3 -- groupby ...`: a shuffle across the three nodes, with its inputs,
// map outputs, reduce parts and output in the S3 gateway: the same rows as one process computes.
TEST_F(SlurmClusterTest, AGroupByShufflesAcrossTheNodesThroughS3) {
  ScratchDir dir("sluice-slurm-groupby");
  const std::string bucket = cluster_->s3()->CreateBucket("shuffle");
  const sluice::testing::Environment s3_env = cluster_->s3()->Environment();
  std::vector<std::string> inputs;
  for (const fs::path& file : WriteGroupByInputs(dir.path(), 6, 20000)) {
    const std::string body = ReadFile(file);
    const std::string url = bucket + "in/" + file.filename().string();
    cluster_->s3()->client()->PutObject(sluice::fs::ParseS3Url(url), body);
    inputs.push_back(url);
  }
  const std::string url = cluster_->postgres().CreateDatabase("slurm_groupby");
  sluice::testing::Environment env = JobEnvironment(url);
  env.insert(env.end(), s3_env.begin(), s3_env.end());
  const std::string agg = "count(*) as n, sum(v) as t, median(v) as m";
  HostProcessResult done = RunHostCommand({SLUICE_BINARY,
                                           "slurm",
                                           "--nodes",
                                           "3",
                                           "--interval",
                                           "0.2",
                                           "--memory",
                                           "256MiB",
                                           "--sbatch=--chdir=" + dir.path().string(),
                                           "--",
                                           "groupby",
                                           bucket + "in/*.parquet",
                                           "--by",
                                           "k",
                                           "--agg",
                                           agg,
                                           "-o",
                                           bucket + "out.parquet",
                                           "--work-dir",
                                           bucket + "work",
                                           "--map-size",
                                           "1KiB",
                                           "--partitions",
                                           "3..12",
                                           "--advisory-partition-size",
                                           "64KiB"},
                                          180s, env);
  ASSERT_FALSE(done.timed_out) << done.output << cluster_->LogTail();
  ASSERT_EQ(done.exit_code, 0) << done.output << cluster_->LogTail();
  EXPECT_NE(done.output.find("6 map partitions listed"), std::string::npos) << done.output;

  const std::string local = dir.Path("local.parquet");
  sluice::testing::CheckHostCommand(
      {SLUICE_BINARY, "groupby", dir.Path("in-*.parquet"), "--by", "k", "--agg", agg, "-o", local},
      60s);
  const std::vector<std::string> ours = SortedTableRows({bucket + "out.parquet"});
  EXPECT_EQ(ours.size(), 1500u);  // the keys
  EXPECT_EQ(ours, SortedTableRows({local}));

  StagesRun stages = DoneStages(url);
  EXPECT_GE(stages.hosts.size(), 2u) << "the stages ran on one node";
  EXPECT_EQ(stages.partitions["map"], 6);
  EXPECT_GE(stages.partitions["reduce"], 3);
  EXPECT_EQ(stages.partitions["gather"], 1);
  EXPECT_TRUE(cluster_->s3()->client()->ListAll("shuffle", "work", "").empty())
      << "the work directory was not removed";
  EXPECT_TRUE(cluster_->s3()->client()->ListMultipartUploads("shuffle", "").empty());
}

// `sluice slurm --nodes 3 -- batch ...`: the submit splits the S3 inputs into chunk objects under
// the work prefix, workers on the three nodes run the command on the chunks they claim, and one
// of them publishes: the same chunk rows and manifest keys as one process on this host writes
// from and to the same store, with the work prefix, the submit's local state and multipart
// uploads all gone. Prints both wall times.
TEST_F(SlurmClusterTest, BatchRunsItsChunksAcrossTheNodesThroughS3) {
  ScratchDir dir("sluice-slurm-batch");
  const std::string bucket = cluster_->s3()->CreateBucket("batch");
  const sluice::testing::Environment s3_env = cluster_->s3()->Environment();
  for (const fs::path& file : WriteGroupByInputs(dir.path(), 4, 20000)) {
    cluster_->s3()->client()->PutObject(
        sluice::fs::ParseS3Url(bucket + "in/" + file.filename().string()), ReadFile(file));
  }
  std::ofstream(dir.Path("task.sh"))
      << "#!/bin/sh\nexec " << SLUICE_BINARY
      << " groupby \"$1\" --by k --agg 'count(*) as n, sum(v) as t' -o \"$2\" --progress off "
         "--log-level error\n";
  const std::string url = cluster_->postgres().CreateDatabase("slurm_batch");
  sluice::testing::Environment env = JobEnvironment(url);
  env.insert(env.end(), s3_env.begin(), s3_env.end());
  // Run from the scratch directory, where the submit's local state would be left.
  const auto started = std::chrono::steady_clock::now();
  HostProcessResult done = RunHostCommand({"env",
                                           "--chdir=" + dir.path().string(),
                                           SLUICE_BINARY,
                                           "slurm",
                                           "--nodes",
                                           "3",
                                           "--interval",
                                           "0.2",
                                           "--memory",
                                           "256MiB",
                                           "--sbatch=--chdir=" + dir.path().string(),
                                           "--",
                                           "batch",
                                           "-i",
                                           bucket + "in/*.parquet",
                                           "--by",
                                           "k",
                                           "--chunks",
                                           "9",
                                           "-o",
                                           bucket + "out",
                                           "--work-dir",
                                           bucket + "work",
                                           "--retry-delay",
                                           "0.1",
                                           "--",
                                           "sh",
                                           dir.Path("task.sh"),
                                           "{input}",
                                           "{output}"},
                                          180s, env);
  ASSERT_FALSE(done.timed_out) << done.output << cluster_->LogTail();
  ASSERT_EQ(done.exit_code, 0) << done.output << cluster_->LogTail();
  EXPECT_NE(done.output.find("9 of 9 chunks to compute"), std::string::npos) << done.output;

  const double across =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();

  // The same job in one process on this host, from and to the same store.
  const auto one_started = std::chrono::steady_clock::now();
  sluice::testing::CheckHostCommand(
      {"env", "--chdir=" + dir.path().string(), SLUICE_BINARY, "batch", "-i",
       bucket + "in/*.parquet", "--by", "k", "--chunks", "9", "-o", bucket + "one", "--state",
       dir.Path("one-state"), "--", "sh", dir.Path("task.sh"), "{input}", "{output}"},
      120s, s3_env);
  const double one =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - one_started).count();
  std::printf("batch: sluice slurm on 3 nodes %.2f s, one process %.2f s\n", across, one);
  std::vector<std::string> ours, local;
  for (const auto& o : cluster_->s3()->client()->ListAll("batch", "out/chunk-", "")) {
    ours.push_back(bucket + o.key);
  }
  for (const auto& o : cluster_->s3()->client()->ListAll("batch", "one/chunk-", "")) {
    local.push_back(bucket + o.key);
  }
  ASSERT_EQ(ours.size(), local.size());
  const std::vector<std::string> rows = SortedTableRows(ours);
  EXPECT_EQ(rows.size(), 1500u);  // the keys, each in one chunk
  EXPECT_EQ(rows, SortedTableRows(local));
  auto object = [&](const std::string& key) {
    const sluice::fs::S3Url object_url = sluice::fs::ParseS3Url(bucket + key);
    std::string text(static_cast<size_t>(cluster_->s3()->client()->HeadObject(object_url).size),
                     '\0');
    cluster_->s3()->client()->GetRange(object_url, 0, text);
    return text;
  };
  const std::string manifest = object("out/manifest.json");
  auto keys = [](const std::string& text) {
    std::vector<std::string> found;
    static const std::regex kKey("\"key\": ?\"([^\"]+)\"");
    for (std::sregex_iterator it(text.begin(), text.end(), kKey), end; it != end; ++it) {
      found.push_back((*it)[1]);
    }
    return found;
  };
  EXPECT_EQ(keys(manifest), keys(object("one/manifest.json"))) << manifest;
  EXPECT_EQ(keys(manifest).size(), 9u);

  StagesRun stages = DoneStages(url);
  EXPECT_EQ(stages.status, ledger::JobStatus::kDone);
  EXPECT_GE(stages.hosts.size(), 2u) << "the chunks ran on one node";
  EXPECT_EQ(stages.partitions["chunk"], 9);
  EXPECT_EQ(stages.partitions["publish"], 1);
  EXPECT_TRUE(cluster_->s3()->client()->ListAll("batch", "work", "").empty())
      << "the work prefix was not removed";
  EXPECT_TRUE(cluster_->s3()->client()->ListMultipartUploads("batch", "").empty());
  EXPECT_FALSE(fs::exists(dir.Path(".sluice")))
      << "local state left on the submitting host: "
      << RunHostCommand({"find", dir.Path(".sluice")}).output;
}

// A whole node killed while it holds a chunk of a batch job: its leases expire, the other nodes run
// its chunks again (each fetching the split from S3), and the output is still one process's.
TEST_F(SlurmClusterTest, ABatchFinishesWhenANodeIsKilled) {
  ScratchDir dir("sluice-slurm-batch-kill");
  const std::string bucket = cluster_->s3()->CreateBucket("batch-kill");
  const sluice::testing::Environment s3_env = cluster_->s3()->Environment();
  for (const fs::path& file : WriteGroupByInputs(dir.path(), 4, 20000)) {
    cluster_->s3()->client()->PutObject(
        sluice::fs::ParseS3Url(bucket + "in/" + file.filename().string()), ReadFile(file));
  }
  // Slow enough that every node holds chunks for a while.
  std::ofstream(dir.Path("task.sh"))
      << "#!/bin/sh\nsleep 0.5\nexec " << SLUICE_BINARY
      << " groupby \"$1\" --by k --agg 'count(*) as n, sum(v) as t' -o \"$2\" --progress off "
         "--log-level error\n";
  const std::string url = cluster_->postgres().CreateDatabase("batch_kill");
  sluice::testing::Environment env = JobEnvironment(url);
  env.insert(env.end(), s3_env.begin(), s3_env.end());
  const std::vector<std::string> task = {"--", "sh", dir.Path("task.sh"), "{input}", "{output}"};
  std::vector<std::string> submit = {
      SLUICE_BINARY, "batch", "-i", bucket + "in/*.parquet", "--by",       "k",
      "--chunks",    "12",    "-o", bucket + "out",          "--work-dir", bucket + "work",
      "--submit"};
  submit.insert(submit.end(), task.begin(), task.end());
  const std::string submitted = sluice::testing::CheckHostCommand(submit, 60s, env);
  const std::string job = submitted.substr(14, submitted.find(':') - 14);
  HostProcess srun(WorkerPerNode(job), dir.path() / "srun.log", env);
  auto ledger = ledger::OpenLedger(url);
  const ledger::JobId id = ledger->FindJob(job)->id;
  const int victim_node = FirstLeaseHolder(*ledger, id, srun);
  ASSERT_TRUE(srun.Running()) << "the job ended before the kill: " << srun.Output();
  ASSERT_GE(victim_node, 0) << "no node held a chunk within 60 s";
  cluster_->KillNode(victim_node);
  const auto killed = std::chrono::steady_clock::now();
  while (ledger->GetJob(id).status == ledger::JobStatus::kRunning &&
         std::chrono::steady_clock::now() < killed + 90s) {
    std::this_thread::sleep_for(50ms);
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - killed).count();
  cluster_->RestartNode(victim_node);
  HostProcessResult run = srun.Wait(90s);
  ASSERT_FALSE(run.timed_out) << run.output << cluster_->LogTail();
  EXPECT_EQ(ledger->GetJob(id).status, ledger::JobStatus::kDone) << run.output;
  int rerun = 0, publishes = 0;
  for (const auto& p : ledger->ListPartitions(id)) {
    rerun += p.attempt > 1 ? 1 : 0;
    publishes += p.key.starts_with("publish/") ? 1 : 0;
  }
  EXPECT_GE(rerun, 1) << "no chunk of the killed node was run again";
  EXPECT_EQ(publishes, 1);

  std::vector<std::string> local_run = {
      SLUICE_BINARY, "batch", "-i", dir.Path("in-*.parquet"), "--by", "k",
      "--chunks",    "12",    "-o", dir.Path("local")};
  local_run.insert(local_run.end(), task.begin(), task.end());
  sluice::testing::CheckHostCommand(local_run, 120s);
  std::vector<std::string> ours, local;
  for (const auto& o : cluster_->s3()->client()->ListAll("batch-kill", "out/chunk-", "")) {
    ours.push_back(bucket + o.key);
  }
  for (const auto& e : fs::directory_iterator(dir.Path("local"))) {
    if (e.path().extension() == ".parquet") local.push_back(e.path().string());
  }
  EXPECT_EQ(ours.size(), local.size());
  EXPECT_EQ(SortedTableRows(ours), SortedTableRows(local));
  EXPECT_TRUE(cluster_->s3()->client()->ListAll("batch-kill", "work", "").empty());
  EXPECT_TRUE(cluster_->s3()->client()->ListMultipartUploads("batch-kill", "").empty());
  std::printf("batch: killed %s; %d chunks run again; job done %.1f s after the kill\n",
              cluster_->NodeName(victim_node).c_str(), rerun, seconds);
}

// Distinct, sort and join run as shuffles across the three nodes through S3, and a compaction
// whose partitions the nodes share: each result equals one process's on the same inputs (the
// sort's in the same order).

// Distinct, sort, a top-N per group and join run as shuffles across the three nodes through S3,
// and a compaction whose partitions the nodes share: each result equals one process's on the same
// inputs (the sort's in the same order).
TEST_F(SlurmClusterTest, DistinctSortJoinAndCompactRunAcrossTheNodes) {
  ScratchDir dir("sluice-slurm-commands");
  const std::string bucket = cluster_->s3()->CreateBucket("commands");
  const sluice::testing::Environment s3_env = cluster_->s3()->Environment();
  auto upload = [&](const fs::path& file, const std::string& key) {
    cluster_->s3()->client()->PutObject(sluice::fs::ParseS3Url(bucket + key), ReadFile(file));
  };
  const std::vector<fs::path> files = WriteGroupByInputs(dir.path(), 6, 20000);
  for (size_t f = 0; f < files.size(); ++f) {
    upload(files[f], "in/" + files[f].filename().string());
    upload(files[f], "lake/p=" + std::to_string(f % 3) + "/" + files[f].filename().string());
  }
  {  // the join's right side: each key once, with a value of its own
    auto schema = std::make_shared<const Schema>(
        std::vector<Field>{{"k", DataType::Int64()}, {"w", DataType::Int64()}});
    Int64Builder k, w;
    for (int64_t key = 0; key < 1500; key += 2) {
      k.Append(key);
      w.Append(key * 7);
    }
    parquet::WriteParquetFile(dir.Path("right.parquet"), schema,
                              {RecordBatch::Make(schema, {k.Finish(), w.Finish()})});
    upload(dir.Path("right.parquet"), "right.parquet");
  }
  sluice::testing::Environment env =
      JobEnvironment(cluster_->postgres().CreateDatabase("commands"));
  env.insert(env.end(), s3_env.begin(), s3_env.end());
  auto slurm = [&](std::vector<std::string> job) {
    std::vector<std::string> command = {
        SLUICE_BINARY, "slurm",      "--nodes",
        "3",           "--interval", "0.2",
        "--memory",    "256MiB",     "--sbatch=--chdir=" + dir.path().string(),
        "--"};
    command.insert(command.end(), job.begin(), job.end());
    HostProcessResult done = RunHostCommand(command, 180s, env);
    ASSERT_FALSE(done.timed_out) << done.output << cluster_->LogTail();
    ASSERT_EQ(done.exit_code, 0) << done.output << cluster_->LogTail();
  };

  struct Shuffle {
    std::string kind;
    std::vector<std::string> flags;
    bool ordered = false;
    std::string name = kind;  // of the output and work directory
  };
  for (const Shuffle& s :
       {Shuffle{"distinct", {"--by", "k"}}, Shuffle{"sort", {"--by", "k,v:desc"}, true},
        Shuffle{"sort", {"--by", "v:desc", "--top", "3", "--per", "k"}, false, "topn"},
        Shuffle{"join", {"--on", "k"}}}) {
    SCOPED_TRACE(s.name);
    auto job = [&](const std::string& in, const std::string& right, const std::string& out) {
      std::vector<std::string> args = {s.kind, in};
      if (s.kind == "join") args.push_back(right);
      args.insert(args.end(), s.flags.begin(), s.flags.end());
      args.insert(args.end(), {"-o", out});
      return args;
    };
    std::vector<std::string> across =
        job(bucket + "in/*.parquet", bucket + "right.parquet", bucket + s.name + ".parquet");
    across.insert(across.end(), {"--work-dir", bucket + "work-" + s.name, "--map-size", "1KiB"});
    slurm(across);
    const std::string local = dir.Path(s.name + ".parquet");
    std::vector<std::string> one = job(dir.Path("in-*.parquet"), dir.Path("right.parquet"), local);
    one.insert(one.begin(), SLUICE_BINARY);
    sluice::testing::CheckHostCommand(one, 60s);
    const std::string ours = bucket + s.name + ".parquet";
    if (s.ordered) {
      EXPECT_EQ(TableRows({ours}), TableRows({local}));
    } else {
      EXPECT_EQ(SortedTableRows({ours}), SortedTableRows({local}));
    }
    EXPECT_TRUE(cluster_->s3()->client()->ListAll("commands", "work-" + s.name, "").empty());
  }

  slurm({"compact", bucket + "lake", bucket + "compacted"});
  std::vector<std::string> outputs;
  for (const sluice::fs::S3ObjectInfo& o :
       cluster_->s3()->client()->ListAll("commands", "compacted/", "")) {
    if (o.key.ends_with(".parquet")) outputs.push_back(bucket + o.key);
  }
  std::string listed;
  for (const auto& o : cluster_->s3()->client()->ListAll("commands", "", "")) listed += o.key + " ";
  ASSERT_GE(outputs.size(), 3u) << listed;
  std::vector<std::string> inputs;
  for (const fs::path& f : files) inputs.push_back(f.string());
  EXPECT_EQ(SortedTableRows(outputs), SortedTableRows(inputs));
  EXPECT_TRUE(cluster_->s3()->client()->ListMultipartUploads("commands", "").empty());
}

// A whole node killed while it holds a partition of a shuffle job (a median group-by, so map
// tasks ship every row through S3): the other nodes' workers run its partitions again once its
// leases expire, and the result is still exactly one process's.
TEST_F(SlurmClusterTest, AShuffleFinishesWhenANodeIsKilled) {
  ScratchDir dir("sluice-slurm-shuffle-kill");
  const std::string bucket = cluster_->s3()->CreateBucket("shuffle-kill");
  const sluice::testing::Environment s3_env = cluster_->s3()->Environment();
  for (const fs::path& file : WriteGroupByInputs(dir.path(), 12, 100000)) {
    cluster_->s3()->client()->PutObject(
        sluice::fs::ParseS3Url(bucket + "in/" + file.filename().string()), ReadFile(file));
  }
  const std::string url = cluster_->postgres().CreateDatabase("shuffle_kill");
  sluice::testing::Environment env = JobEnvironment(url);
  env.insert(env.end(), s3_env.begin(), s3_env.end());
  const std::string agg = "median(v) as m, count(*) as n";
  const std::string submitted = sluice::testing::CheckHostCommand(
      {SLUICE_BINARY, "groupby", bucket + "in/*.parquet", "--by", "k", "--agg", agg, "-o",
       bucket + "out.parquet", "--work-dir", bucket + "work", "--map-size", "1KiB", "--submit"},
      60s, env);
  const std::string job = submitted.substr(14, submitted.find(':') - 14);
  HostProcess srun(WorkerPerNode(job), dir.path() / "srun.log", env);
  auto ledger = ledger::OpenLedger(url);
  const ledger::JobId id = ledger->FindJob(job)->id;
  const int victim_node = FirstLeaseHolder(*ledger, id, srun);
  ASSERT_TRUE(srun.Running()) << "the job ended before the kill: " << srun.Output();
  ASSERT_GE(victim_node, 0) << "no node held a partition within 60 s";
  const std::string victim = cluster_->NodeName(victim_node);
  cluster_->KillNode(victim_node);
  const auto killed = std::chrono::steady_clock::now();
  // The job is done when the ledger says so; srun itself would wait for Slurm to declare the
  // node dead (SlurmdTimeout), so the node comes back at once and the step ends with it.
  while (ledger->GetJob(id).status == ledger::JobStatus::kRunning &&
         std::chrono::steady_clock::now() < killed + 90s) {
    std::this_thread::sleep_for(50ms);
  }
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - killed).count();
  cluster_->RestartNode(victim_node);
  HostProcessResult run = srun.Wait(90s);
  ASSERT_FALSE(run.timed_out) << run.output << cluster_->LogTail();
  EXPECT_EQ(ledger->GetJob(id).status, ledger::JobStatus::kDone) << run.output;
  int rerun = 0;
  for (const auto& p : ledger->ListPartitions(id)) rerun += p.attempt > 1 ? 1 : 0;
  EXPECT_GE(rerun, 1) << "no partition of the killed node was run again";

  const std::string local = dir.Path("local.parquet");
  sluice::testing::CheckHostCommand(
      {SLUICE_BINARY, "groupby", dir.Path("in-*.parquet"), "--by", "k", "--agg", agg, "-o", local},
      60s);
  EXPECT_EQ(SortedTableRows({bucket + "out.parquet"}), SortedTableRows({local}));
  EXPECT_TRUE(cluster_->s3()->client()->ListAll("shuffle-kill", "work", "").empty());
  std::printf("shuffle: killed %s; %d partitions run again; job done %.1f s after the kill\n",
              victim.c_str(), rerun, seconds);
}

// CSV inputs for a bloom filter: id, email (every 40th empty: null).
std::vector<fs::path> WriteBloomInputs(const fs::path& dir, int files, int rows) {
  std::vector<fs::path> paths;
  for (int f = 0; f < files; ++f) {
    paths.push_back(dir / ("in-" + std::to_string(f) + ".csv"));
    std::ofstream out(paths.back());
    out << "id,email\n";
    for (int r = 0; r < rows; ++r) {
      out << r << "," << (r % 40 == 0 ? "" : "u" + std::to_string(r * 13 + f) + "@x.org") << "\n";
    }
  }
  return paths;
}

// `sluice slurm --nodes 3 -- bloom ...`: partial filters built on the nodes from CSV objects in
// the S3 gateway, merged into one filter object there: byte for byte the file `sluice bloom`
// writes in one process from the same files, and the work prefix empty after.
TEST_F(SlurmClusterTest, ABloomFilterIsBuiltAcrossTheNodesThroughS3) {
  ScratchDir dir("sluice-slurm-bloom");
  const std::string bucket = cluster_->s3()->CreateBucket("bloom");
  const sluice::testing::Environment s3_env = cluster_->s3()->Environment();
  for (const fs::path& file : WriteBloomInputs(dir.path(), 6, 20000)) {
    cluster_->s3()->client()->PutObject(
        sluice::fs::ParseS3Url(bucket + "in/" + file.filename().string()), ReadFile(file));
  }
  const std::string url = cluster_->postgres().CreateDatabase("slurm_bloom");
  sluice::testing::Environment env = JobEnvironment(url);
  env.insert(env.end(), s3_env.begin(), s3_env.end());
  HostProcessResult done = RunHostCommand({SLUICE_BINARY,
                                           "slurm",
                                           "--nodes",
                                           "3",
                                           "--interval",
                                           "0.2",
                                           "--memory",
                                           "256MiB",
                                           "--sbatch=--chdir=" + dir.path().string(),
                                           "--",
                                           "bloom",
                                           bucket + "in/*.csv",
                                           "--column",
                                           "email",
                                           "-o",
                                           bucket + "out.bloom",
                                           "--work-dir",
                                           bucket + "work",
                                           "--map-size",
                                           "1KiB"},
                                          180s, env);
  ASSERT_FALSE(done.timed_out) << done.output << cluster_->LogTail();
  ASSERT_EQ(done.exit_code, 0) << done.output << cluster_->LogTail();
  EXPECT_NE(done.output.find("6 partial partitions listed"), std::string::npos) << done.output;

  const std::string local = dir.Path("local.bloom");
  sluice::testing::CheckHostCommand(
      {SLUICE_BINARY, "bloom", dir.Path("in-*.csv"), "--column", "email", "-o", local}, 60s);
  // Through the gateway's own client: the process-wide one keeps an earlier cluster's endpoint
  // when the tests repeat.
  const sluice::fs::S3Url filter = sluice::fs::ParseS3Url(bucket + "out.bloom");
  std::string ours(static_cast<size_t>(cluster_->s3()->client()->HeadObject(filter).size), '\0');
  cluster_->s3()->client()->GetRange(filter, 0, ours);
  EXPECT_EQ(ours.size(), fs::file_size(local));
  EXPECT_TRUE(ours == ReadFile(local)) << "the filter differs from the one-process filter";

  StagesRun stages = DoneStages(url);
  EXPECT_GE(stages.hosts.size(), 2u) << "the stages ran on one node";
  EXPECT_EQ(stages.partitions["partial"], 6);
  EXPECT_EQ(stages.partitions["merge"], 1);
  EXPECT_TRUE(cluster_->s3()->client()->ListAll("bloom", "work", "").empty())
      << "the work directory was not removed";
  EXPECT_TRUE(cluster_->s3()->client()->ListMultipartUploads("bloom", "").empty());
}

// A worker stopped with SIGSTOP (inside its node's PID namespace) while it runs a partition, for
// longer than its lease, then continued: another node's worker took the partition over when the
// lease expired and committed it, and the stopped worker's late call, whichever reaches the
// ledger first (its heartbeat or its completion: the task finished while it was stopped), is
// refused for its old attempt, its output discarded. Every partition is committed once, by the
// attempt the ledger names.
TEST_F(SlurmClusterTest, AStoppedWorkerContinuedPastItsLeaseHasItsLateCommitRefused) {
  constexpr int kPartitions = 30;
  const std::string stopped_key = "k05";
  ScratchDir dir("sluice-slurm-stop");
  WriteKeys(dir.path() / "keys.txt", kPartitions);
  const std::string url = cluster_->postgres().CreateDatabase("slurm_stop");
  const fs::path out = dir.path() / "out";
  // The stopped partition's first attempt runs 2 s, so the stop lands inside it; each output
  // records the attempt that wrote it.
  const std::string task = "if [ {key} = " + stopped_key +
                           " ] && [ {attempt} = 1 ]; then sleep 2; else sleep 0.2; fi; "
                           "hostname > {output}/host; echo {attempt} > {output}/attempt; "
                           "echo {key} > {output}/data";
  std::vector<std::string> args = {"-N3", "--ntasks-per-node=1", "--no-kill", SLUICE_BINARY, "run"};
  auto add = [&args](std::initializer_list<std::string> more) { args.insert(args.end(), more); };
  add({"--job", "stop", "--partition-by", "list:@" + dir.Path("keys.txt")});
  add({"--ledger", url, "--output", out.string(), "--log-level", "warn"});
  add({"--workers", "1", "--lease", kLease, "--claim-batch", "1", "--max-attempts", "3"});
  add({"--", "sh", "-c", task});
  HostProcess srun(cluster_->Srun(args), dir.path() / "srun.log", cluster_->SlurmEnvironment());

  // The worker holding the partition's first attempt: "n2:1234", its PID in its node's namespace.
  std::unique_ptr<ledger::Ledger> ledger;
  std::optional<ledger::JobRecord> job;
  auto partition = [&]() -> std::optional<ledger::PartitionRecord> {
    for (const auto& p : ledger->ListPartitions(job->id)) {
      if (p.key == stopped_key) return p;
    }
    return std::nullopt;
  };
  std::string owner;
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  while (owner.empty() && srun.Running() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(20ms);
    if (ledger == nullptr) {
      try {
        ledger = ledger::OpenLedger(url);
      } catch (const Error&) {
        continue;  // the workers have not created the schema yet
      }
    }
    if (!job) job = ledger->FindJob("stop");
    if (!job) continue;
    const std::optional<ledger::PartitionRecord> p = partition();
    if (p && p->status == ledger::PartitionStatus::kRunning && p->attempt == 1) {
      owner = p->lease_owner;
    }
  }
  ASSERT_FALSE(owner.empty()) << "no worker ran " << stopped_key << ": " << srun.Output();
  const std::string host = owner.substr(0, owner.find(':'));
  const std::string pid = owner.substr(owner.find(':') + 1);
  int node = -1;
  for (int i = 0; i < cluster_->size(); ++i) node = cluster_->NodeName(i) == host ? i : node;
  ASSERT_GE(node, 0) << owner;
  sluice::testing::CheckHostCommand(cluster_->OnNode(node, {"kill", "-STOP", pid}), 10s);
  const auto stopped = std::chrono::steady_clock::now();

  // Past the lease: another worker claims the partition again and commits it.
  while (std::chrono::steady_clock::now() < stopped + 60s) {
    const std::optional<ledger::PartitionRecord> p = partition();
    if (p && p->status == ledger::PartitionStatus::kDone) break;
    std::this_thread::sleep_for(50ms);
  }
  const std::optional<ledger::PartitionRecord> taken = partition();
  const double stopped_for =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - stopped).count();
  sluice::testing::CheckHostCommand(cluster_->OnNode(node, {"kill", "-CONT", pid}), 10s);
  HostProcessResult run = srun.Wait(90s);
  ASSERT_FALSE(run.timed_out) << run.output << cluster_->LogTail();
  ASSERT_TRUE(taken.has_value());
  EXPECT_EQ(taken->status, ledger::PartitionStatus::kDone) << run.output;
  EXPECT_GE(taken->attempt, 2) << run.output;
  EXPECT_FALSE(taken->lease_owner.starts_with(owner)) << "the stopped worker committed it";

  // The stopped worker's attempt was refused, by name, and never completed in the ledger.
  const std::string refused =
      "partition " + stopped_key + " attempt 1: completion refused (lease taken over)";
  const std::string lost = "partition " + stopped_key + " attempt 1: lease lost";
  const bool completion_refused = run.output.find(refused) != std::string::npos;
  EXPECT_TRUE(completion_refused || run.output.find(lost) != std::string::npos) << run.output;
  int completed_attempts = 0;
  for (ledger::EventId after = 0;;) {
    const std::vector<ledger::EventRecord> page = ledger->ReadEvents(job->id, after);
    if (page.empty()) break;
    after = page.back().id;
    for (const ledger::EventRecord& e : page) {
      if (e.partition_id != taken->id || e.kind != "completed") continue;
      ++completed_attempts;
      EXPECT_EQ(e.attempt, taken->attempt) << e.detail_json;
    }
  }
  EXPECT_EQ(completed_attempts, 1);

  // Every partition committed once, whole, by the attempt the ledger names; the stopped
  // attempt's output is gone.
  jobs::OutputLayout layout(out);
  ledger::PartitionQuery query;
  query.limit = 1000;
  const auto partitions = ledger->ListPartitions(job->id, query);
  ASSERT_EQ(partitions.size(), static_cast<size_t>(kPartitions));
  std::set<std::string> expected_dirs;
  for (const auto& p : partitions) {
    EXPECT_EQ(p.status, ledger::PartitionStatus::kDone) << p.key << ": " << p.error;
    expected_dirs.insert(layout.FinalDir(p.key).filename().string());
    EXPECT_EQ(ReadFile(layout.FinalDir(p.key) / "data"), p.key + "\n");
    EXPECT_EQ(ReadFile(layout.FinalDir(p.key) / "attempt"), std::to_string(p.attempt) + "\n")
        << p.key;
  }
  std::set<std::string> found;
  for (const auto& entry : fs::directory_iterator(out)) {
    if (entry.path().filename() != ".sluice-attempts") found.insert(entry.path().filename());
  }
  EXPECT_EQ(found, expected_dirs);
  EXPECT_TRUE(!fs::exists(layout.AttemptsDir()) || fs::is_empty(layout.AttemptsDir()))
      << "an attempt's output was left behind";
  if (HasFailure()) ADD_FAILURE() << run.output << cluster_->LogTail();
  std::printf("stopped %s for %.1f s; %s attempt %lld committed it; the late %s was refused\n",
              owner.c_str(), stopped_for, taken->lease_owner.c_str(),
              static_cast<long long>(taken->attempt),
              completion_refused ? "completion" : "heartbeat");
}

// `sluice slurm --nodes 3 -- run ...`: the job goes to the ledger, one allocation starts a worker
// on every node, and the command follows the job to its end; its exit status is the job's. The
// ledger URL reaches the workers in $SLUICE_LEDGER only, never on a command line.
TEST_F(SlurmClusterTest, SlurmCommandRunsAJobOnEveryNodeWithItsExitStatus) {
  constexpr int kPartitions = 30;
  ScratchDir dir("sluice-slurm-command");
  WriteKeys(dir.path() / "keys.txt", kPartitions);
  const std::string url = cluster_->postgres().CreateDatabase("slurm_command");
  const fs::path out = dir.path() / "out";
  // Each attempt also notes the worker's command line, to show the URL is not on it.
  const std::string task =
      "sleep 0.3; hostname > {output}/host; echo {key} > {output}/data; "
      "tr '\\0' ' ' < /proc/$PPID/cmdline > {output}/worker";
  auto slurm = [&](const std::string& job, const std::string& command) {
    std::vector<std::string> argv = SlurmRunArgv(dir.path(), job, out / job, 1, command);
    return RunHostCommand(argv, 120s, JobEnvironment(url));
  };
  HostProcessResult done = slurm("everywhere", task);
  ASSERT_FALSE(done.timed_out) << done.output << cluster_->LogTail();
  EXPECT_EQ(done.exit_code, 0) << done.output << cluster_->LogTail();
  EXPECT_NE(done.output.find("submitted job everywhere"), std::string::npos) << done.output;
  EXPECT_NE(done.output.find("runs a worker on each of 3 nodes"), std::string::npos) << done.output;

  auto ledger = ledger::OpenLedger(url);
  auto job = ledger->FindJob("everywhere");
  ASSERT_TRUE(job.has_value()) << done.output;
  EXPECT_EQ(job->status, ledger::JobStatus::kDone);
  ledger::PartitionQuery query;
  query.limit = 1000;
  jobs::OutputLayout layout(out / "everywhere");
  std::set<std::string> hosts;
  for (const auto& p : ledger->ListPartitions(job->id, query)) {
    EXPECT_EQ(p.status, ledger::PartitionStatus::kDone) << p.key << ": " << p.error;
    EXPECT_EQ(ReadFile(layout.FinalDir(p.key) / "data"), p.key + "\n");
    hosts.insert(ReadFile(layout.FinalDir(p.key) / "host"));
    const std::string worker = ReadFile(layout.FinalDir(p.key) / "worker");
    EXPECT_NE(worker.find(" worker --job everywhere"), std::string::npos) << worker;
    EXPECT_EQ(worker.find(url), std::string::npos) << "the ledger URL on a command line";
  }
  EXPECT_EQ(ledger->ListPartitions(job->id, query).size(), static_cast<size_t>(kPartitions));
  EXPECT_EQ(hosts.size(), 3u) << "partitions ran on fewer than the three nodes";

  // A job whose every partition fails: the command says so with exit status 1, after the
  // workers left.
  HostProcessResult failed = slurm("failing", "echo no {output} >&2; exit 3");
  ASSERT_FALSE(failed.timed_out) << failed.output << cluster_->LogTail();
  EXPECT_EQ(failed.exit_code, 1) << failed.output;
  auto failed_job = ledger->FindJob("failing");
  ASSERT_TRUE(failed_job.has_value()) << failed.output;
  EXPECT_EQ(failed_job->status, ledger::JobStatus::kFailed) << failed.output;
}

// A job across three nodes rides out the controller's link cut for 20 s (every node loses the
// ledger, and its leases expire) and then a PostgreSQL restart: `sluice slurm` finishes it, every
// partition committed once.
TEST_F(SlurmClusterTest, AJobRidesOutAControllerLinkCutAndAPostgresRestart) {
  constexpr int kPartitions = 40;
  ScratchDir dir("sluice-slurm-outage");
  WriteKeys(dir.path() / "keys.txt", kPartitions);
  const std::string url = cluster_->postgres().CreateDatabase("slurm_outage");
  const fs::path out = dir.path() / "out";
  std::vector<std::string> argv =
      SlurmRunArgv(dir.path(), "outage", out, 10,
                   "sleep 1; echo {key} > {output}/data; echo x >> " + dir.Path("runs") + "/{key}");
  fs::create_directories(dir.path() / "runs");
  HostProcess slurm(argv, dir.path() / "slurm.log", JobEnvironment(url));

  // Partitions run so far (one line per attempt that got past its sleep).
  auto done_count = [&] {
    return std::distance(fs::directory_iterator(dir.path() / "runs"), fs::directory_iterator{});
  };
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  while (done_count() < 6 && slurm.Running() && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(50ms);
  }
  ASSERT_TRUE(slurm.Running()) << "the job ended before the outage: " << slurm.Output();
  cluster_->SetControllerLinkUp(false);
  std::this_thread::sleep_for(20s);
  cluster_->SetControllerLinkUp(true);
  cluster_->postgres().Restart();

  HostProcessResult result = slurm.Wait(180s);
  ASSERT_FALSE(result.timed_out) << result.output << cluster_->LogTail();
  EXPECT_EQ(result.exit_code, 0) << result.output << cluster_->LogTail();
  auto ledger = ledger::OpenLedger(url);
  auto job = ledger->FindJob("outage");
  ASSERT_TRUE(job.has_value()) << result.output;
  EXPECT_EQ(job->status, ledger::JobStatus::kDone) << result.output;
  ledger::PartitionQuery query;
  query.limit = 1000;
  jobs::OutputLayout layout(out);
  const auto partitions = ledger->ListPartitions(job->id, query);
  EXPECT_EQ(partitions.size(), static_cast<size_t>(kPartitions));
  int retried = 0;
  for (const auto& p : partitions) {
    EXPECT_EQ(p.status, ledger::PartitionStatus::kDone) << p.key << ": " << p.error;
    EXPECT_EQ(ReadFile(layout.FinalDir(p.key) / "data"), p.key + "\n");
    retried += p.attempt > 1 ? 1 : 0;
  }
  std::printf("outage: %d of %d partitions needed another attempt\n", retried, kPartitions);
}

}  // namespace
}  // namespace sluice
