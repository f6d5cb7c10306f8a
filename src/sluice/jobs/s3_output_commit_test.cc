// The S3 output commit protocol against a real S3 server (Ceph RGW, started once for this binary)
// and a SQLite ledger: an attempt's objects stay invisible until the ledger accepted it and the
// publish completed them; a stale attempt's uploads are aborted; the sweep completes the uploads
// of an attempt committed before a crash and aborts those of attempts that can never commit,
// leaving running attempts and other jobs' uploads alone.
#include "sluice/jobs/s3_output_commit.h"

#include <gtest/gtest.h>

#include <atomic>
#include <fstream>
#include <nlohmann/json.hpp>
#include <thread>

#include "sluice/base/error.h"
#include "sluice/base/testing/require_test_data.h"
#include "sluice/io/fs/file_system.h"
#include "sluice/io/fs/s3_file_system.h"
#include "sluice/io/fs/testing/s3_server.h"
#include "sluice/jobs/lost_output.h"
#include "sluice/jobs/testing/sqlite_ledger_fixture.h"

namespace sluice::jobs {
namespace {

using namespace std::chrono_literals;
namespace stdfs = std::filesystem;

constexpr int64_t kPart = 5 << 20;  // the smallest part S3 allows

class S3OutputCommitTest : public SqliteLedgerFixture {
 protected:
  void SetUp() override {
    SqliteLedgerFixture::SetUp();
    std::string why_not;
    server_ = fs::testing::SharedS3Server(&why_not);
    SLUICE_REQUIRE_TEST_DATA(server_ != nullptr, why_not);
    static std::atomic<int> counter{0};
    bucket_ = "commit-" + std::to_string(counter++);
    root_ = server_->CreateBucket(bucket_) + "out";
    committer_ =
        std::make_unique<S3OutputCommitter>(root_, server_->client(), dir_ / "staging", kPart);
    files_ = fs::MakeS3FileSystem(server_->client());
    job_ = ledger_->CreateJob("job").id;
  }

  ledger::Lease Claim(ledger::Duration lease = 60s) {
    std::vector<ledger::Lease> leases = ledger_->Claim(job_, {"test", lease, 1, {}});
    EXPECT_EQ(leases.size(), 1u);
    return leases.empty() ? ledger::Lease{} : leases.front();
  }
  // Claims the partition of that key (others claimed on the way are given back).
  ledger::Lease ClaimKey(const std::string& key) {
    ledger::Lease found;
    for (ledger::Lease& lease : ledger_->Claim(job_, {"test", 60s, 10, {}})) {
      if (lease.key == key) {
        found = lease;
      } else {
        ledger_->Release(lease.ref());
      }
    }
    EXPECT_EQ(found.key, key);
    return found;
  }
  void AddPartitions(const std::vector<std::string>& keys) {
    std::vector<ledger::PartitionSpec> specs;
    for (const std::string& key : keys) specs.push_back({key, "{}", 5});
    ledger_->AddPartitions(job_, specs);
  }
  // Writes the attempt's files into its staging directory: name -> bytes.
  void Write(const ledger::Lease& lease, const std::map<std::string, std::string>& files) {
    stdfs::path dir = committer_->Prepare(lease.ref());
    for (const auto& [name, bytes] : files) {
      stdfs::create_directories((dir / name).parent_path());
      std::ofstream(dir / name, std::ios::binary) << bytes;
    }
  }
  std::vector<std::string> Visible() {
    std::vector<std::string> keys;
    for (const auto& o : server_->client()->ListAll(bucket_, "out/", "")) keys.push_back(o.key);
    return keys;
  }
  size_t OpenUploads() { return server_->client()->ListMultipartUploads(bucket_, "").size(); }
  std::string Read(const std::string& key) {
    return fs::ReadWholeFile(*files_, "s3://" + bucket_ + "/out/" + key);
  }
  static std::string Bytes(size_t n, char seed) {
    std::string out(n, '\0');
    for (size_t i = 0; i < n; ++i) out[i] = static_cast<char>(seed + i * 131 % 251);
    return out;
  }

  fs::testing::S3Server* server_ = nullptr;
  std::string bucket_, root_;
  std::unique_ptr<S3OutputCommitter> committer_;
  std::shared_ptr<fs::FileSystem> files_;
  ledger::JobId job_ = 0;
};

TEST_F(S3OutputCommitTest, ObjectsAppearOnlyWhenPublishedAfterTheLedgerAccepted) {
  AddPartitions({"dt=1/x"});
  ledger::Lease lease = Claim();
  const std::string big = Bytes(2 * kPart + 12345, 'a');  // three parts
  Write(lease, {{"part-0.parquet", big}, {"sub/part-1.parquet", "small"}, {"empty", ""}});
  std::string manifest = committer_->Manifest(lease);

  // Uploaded, not completed: no listing shows the objects and HEAD answers 404.
  EXPECT_TRUE(Visible().empty());
  EXPECT_EQ(OpenUploads(), 3u);
  const std::string first = "s3://" + bucket_ + "/out/dt=1%2Fx/part-0.parquet";
  EXPECT_EQ(committer_->FinalPrefix(lease.key) + "/part-0.parquet", first);
  try {
    files_->Stat(first);
    ADD_FAILURE() << "visible before the publish";
  } catch (const Error& e) {
    EXPECT_EQ(e.kind(), ErrorKind::kNotFound) << e.what();
  }
  EXPECT_FALSE(stdfs::exists(dir_ / "staging" / ".sluice-attempts" /
                             ("p" + std::to_string(lease.partition_id) + "-a1")));
  nlohmann::json m = nlohmann::json::parse(manifest);
  EXPECT_EQ(m["path"], "s3://" + bucket_ + "/out/dt=1%2Fx");
  EXPECT_EQ(m["bytes"], static_cast<int64_t>(big.size()) + 5);
  ASSERT_EQ(m["files"].size(), 3u);
  EXPECT_EQ(m["files"][1]["name"], "part-0.parquet");
  EXPECT_EQ(m["files"][1]["parts"].size(), 3u);

  ledger_->Complete(lease.ref(), manifest);
  EXPECT_TRUE(Visible().empty());  // the ledger commit alone shows nothing either
  EXPECT_TRUE(committer_->Publish(lease.ref(), lease.key, manifest));
  EXPECT_EQ(Visible(),
            (std::vector<std::string>{"out/dt=1%2Fx/empty", "out/dt=1%2Fx/part-0.parquet",
                                      "out/dt=1%2Fx/sub/part-1.parquet"}));
  EXPECT_EQ(Read("dt=1%2Fx/part-0.parquet"), big);
  EXPECT_EQ(Read("dt=1%2Fx/sub/part-1.parquet"), "small");
  EXPECT_EQ(Read("dt=1%2Fx/empty"), "");
  EXPECT_EQ(OpenUploads(), 0u);
  // A second publish (a sweep racing the worker) finds the objects there and succeeds.
  EXPECT_TRUE(committer_->Publish(lease.ref(), lease.key, manifest));
  EXPECT_EQ(committer_->Sweep(*ledger_, job_).published, 0);
}

TEST_F(S3OutputCommitTest, AStaleAttemptsUploadsAreAborted) {
  AddPartitions({"p"});
  ledger::Lease stale = Claim(100ms);
  Write(stale, {{"f", "from the stale attempt"}});
  std::string stale_manifest = committer_->Manifest(stale);
  std::this_thread::sleep_for(300ms);
  ledger::Lease live = Claim();  // takes over the expired lease
  EXPECT_EQ(live.attempt, stale.attempt + 1);
  Write(live, {{"f", "from the live attempt"}});
  std::string live_manifest = committer_->Manifest(live);
  EXPECT_EQ(OpenUploads(), 2u);

  // The stale attempt's completion is refused; the worker discards it: its upload is aborted.
  EXPECT_EQ(ledger_->CompleteMany({{{stale.ref(), stale_manifest}}})[0],
            ledger::TransitionResult::kConflict);
  committer_->Discard(stale.ref(), stale_manifest);
  ASSERT_EQ(OpenUploads(), 1u);
  EXPECT_EQ(server_->client()->ListMultipartUploads(bucket_, "")[0].upload_id,
            nlohmann::json::parse(live_manifest)["files"][0]["upload_id"]);

  ledger_->Complete(live.ref(), live_manifest);
  committer_->Publish(live.ref(), live.key, live_manifest);
  EXPECT_EQ(Read("p/f"), "from the live attempt");
  EXPECT_EQ(OpenUploads(), 0u);
}

TEST_F(S3OutputCommitTest, SweepRollsCommittedAttemptsForwardAndAbortsDeadOnes) {
  AddPartitions({"committed", "dead", "running"});
  // "committed": the ledger accepted it, then the worker died before completing the upload.
  ledger::Lease committed = ClaimKey("committed");
  Write(committed, {{"a", "committed bytes"}, {"b", Bytes(kPart + 1, 'b')}});
  std::string committed_manifest = committer_->Manifest(committed);
  ledger_->Complete(committed.ref(), committed_manifest);
  // "dead": uploaded, then its worker stopped and the partition went back to pending; its
  // staging directory on this machine was left behind too.
  ledger::Lease dead = ClaimKey("dead");
  Write(dead, {{"a", "dead bytes"}});
  std::string dead_manifest = committer_->Manifest(dead);
  Write(dead, {{"leftover", "x"}});
  ledger_->Release(dead.ref());
  // "running": still being uploaded by a live attempt.
  ledger::Lease running = ClaimKey("running");
  Write(running, {{"a", "running bytes"}});
  committer_->Manifest(running);
  Write(running, {{"more", "still writing"}});
  // Another job's upload under the same root, and one under no partition at all.
  server_->client()->CreateMultipartUpload({bucket_, "out/other-job/a"});
  server_->client()->CreateMultipartUpload({bucket_, "out/stray"});
  EXPECT_EQ(OpenUploads(), 6u);

  OutputCommitter::SweepResult result = committer_->Sweep(*ledger_, job_);
  EXPECT_EQ(result.published, 2);
  EXPECT_EQ(result.discarded, 1);
  EXPECT_EQ(Read("committed/a"), "committed bytes");
  EXPECT_EQ(Read("committed/b"), Bytes(kPart + 1, 'b'));
  std::set<std::string> open;
  for (const auto& u : server_->client()->ListMultipartUploads(bucket_, "")) open.insert(u.key);
  EXPECT_EQ(open, (std::set<std::string>{"out/running/a", "out/other-job/a", "out/stray"}));
  EXPECT_EQ(Visible(), (std::vector<std::string>{"out/committed/a", "out/committed/b"}));
  stdfs::path attempts = dir_ / "staging" / ".sluice-attempts";
  auto name = [](const ledger::Lease& l) {
    return "p" + std::to_string(l.partition_id) + "-a" + std::to_string(l.attempt);
  };
  EXPECT_FALSE(stdfs::exists(attempts / name(dead)));
  EXPECT_TRUE(stdfs::exists(attempts / name(running)));

  // The committed attempt's own publish, late, still succeeds (the objects are whole).
  EXPECT_TRUE(committer_->Publish(committed.ref(), committed.key, committed_manifest));
  // Once the running partition is done by another attempt, its old upload is aborted too.
  ledger_->Fail(running.ref(), "lost", 0ms);
  ledger::Lease again = ClaimKey("running");
  Write(again, {{"a", "second try"}});
  std::string again_manifest = committer_->Manifest(again);
  ledger_->Complete(again.ref(), again_manifest);
  result = committer_->Sweep(*ledger_, job_);
  EXPECT_EQ(result.published, 1);
  EXPECT_EQ(result.discarded, 1);
  EXPECT_EQ(Read("running/a"), "second try");
  EXPECT_FALSE(stdfs::exists(dir_ / "staging"));  // nothing staged is left, nor the staging root
}

TEST_F(S3OutputCommitTest, AFailedUploadAbortsWhatItStartedAndNamesTheUrl) {
  AddPartitions({"p"});
  ledger::Lease lease = Claim();
  S3OutputCommitter missing("s3://no-such-bucket-here/out", server_->client(), dir_ / "staging",
                            kPart);
  missing.Prepare(lease.ref());
  std::ofstream(dir_ / "staging" / ".sluice-attempts" /
                ("p" + std::to_string(lease.partition_id) + "-a1") / "f")
      << "bytes";
  try {
    missing.Manifest(lease);
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    std::string what = e.what();
    EXPECT_NE(what.find("s3://no-such-bucket-here/out/p/f"), std::string::npos) << what;
    EXPECT_NE(what.find("CreateMultipartUpload"), std::string::npos) << what;
    EXPECT_EQ(e.ContextValue("s3 error"), "NoSuchBucket") << what;
    EXPECT_EQ(what.find(std::string(fs::testing::S3Server::kSecretKey)), std::string::npos);
  }
  EXPECT_EQ(OpenUploads(), 0u);
}

// A reduce's lost input on S3 (lost_output.h): a partition whose published objects are all there
// is left done; one whose object is gone since is reopened, once.
TEST_F(S3OutputCommitTest, LostInputIsReopenedOnlyWhenAnObjectIsGone) {
  AddPartitions({"map/00000", "map/00001"});
  for (const std::string key : {"map/00000", "map/00001"}) {
    const ledger::Lease lease = ClaimKey(key);
    Write(lease, {{"index.json", "{}"}, {"data-a1.parquet", "rows"}});
    const std::string manifest = committer_->Manifest(lease);
    ledger_->Complete(lease.ref(), manifest);
    ASSERT_TRUE(committer_->Publish(lease.ref(), lease.key, manifest));
  }
  const std::string gone = committer_->FinalPrefix("map/00001") + "/data-a1.parquet";
  files_->Delete(gone);
  const auto partition = [&](std::string_view key) {
    for (const ledger::PartitionRecord& p : ledger_->ListPartitions(job_)) {
      if (p.key == key) return p;
    }
    return ledger::PartitionRecord{};
  };
  EXPECT_EQ(committer_->MissingPublishedFile(partition("map/00000").output_manifest_json), "");
  EXPECT_EQ(committer_->MissingPublishedFile(partition("map/00001").output_manifest_json), gone);

  EXPECT_EQ(
      ReopenLostInputs(*ledger_, job_, *committer_, {"map/00000", "map/00001"}, "gone").reopened,
      1);
  EXPECT_EQ(partition("map/00000").status, ledger::PartitionStatus::kDone);
  EXPECT_EQ(partition("map/00001").status, ledger::PartitionStatus::kPending);
  EXPECT_EQ(partition("map/00001").error, "gone");
  // Asked again (another reducer met the same loss): nothing more to do.
  EXPECT_EQ(ReopenLostInputs(*ledger_, job_, *committer_, {"map/00001"}, "gone").reopened, 0);
}

}  // namespace
}  // namespace sluice::jobs
