#include "sluice/jobs/s3_output_commit.h"

#include <map>
#include <nlohmann/json.hpp>
#include <utility>
#include <vector>

#include "sluice/base/error.h"
#include "sluice/base/log.h"
#include "sluice/io/fs/staged_file.h"

namespace sluice::jobs {
namespace {

namespace stdfs = std::filesystem;
using nlohmann::json;

// The uploads a manifest names; none for anything that is not a manifest of this committer.
std::vector<fs::PendingUpload> UploadsOf(std::string_view manifest, const std::string& bucket) {
  std::vector<fs::PendingUpload> out;
  json parsed = json::parse(manifest, nullptr, false);
  if (!parsed.is_object() || !parsed.contains("files") || !parsed["files"].is_array()) return out;
  for (const json& file : parsed["files"]) {
    if (!file.is_object() || !file.contains("upload_id") || !file.contains("key")) continue;
    out.push_back({{bucket, file.at("key").get<std::string>()},
                   file.at("upload_id").get<std::string>(),
                   file.value("parts", std::vector<std::string>{}),
                   file.value("bytes", int64_t{0})});
  }
  return out;
}

// Every partition of the job, by the encoded key that names its output.
std::map<std::string, ledger::PartitionRecord> PartitionsByEncodedKey(ledger::Ledger& ledger,
                                                                      ledger::JobId job) {
  std::map<std::string, ledger::PartitionRecord> out;
  for (ledger::PartitionId after = 0;;) {
    std::vector<ledger::PartitionRecord> page =
        ledger.ListPartitions(job, {.after_id = after, .limit = 1000});
    if (page.empty()) return out;
    for (ledger::PartitionRecord& p : page) {
      after = p.id;
      std::string encoded = EncodeKeyForPath(p.key);
      out.emplace(std::move(encoded), std::move(p));
    }
  }
}

}  // namespace

S3OutputCommitter::S3OutputCommitter(const std::string& root, std::shared_ptr<fs::S3Client> client,
                                     stdfs::path staging_root, int64_t part_bytes)
    : root_(fs::ParseS3Url(root)),
      client_(std::move(client)),
      staging_(std::move(staging_root)),
      part_bytes_(part_bytes) {
  while (root_.key.ends_with('/')) root_.key.pop_back();
}

stdfs::path S3OutputCommitter::DefaultStagingRoot(const std::string& root) {
  return stdfs::temp_directory_path() / "sluice-s3-staging" / EncodeKeyForPath(root);
}

std::string S3OutputCommitter::KeyPrefix() const {
  return root_.key.empty() ? std::string() : root_.key + "/";
}

std::string S3OutputCommitter::FinalPrefix(std::string_view key) const {
  return fs::S3Url{root_.bucket, KeyPrefix() + EncodeKeyForPath(key)}.ToString();
}

stdfs::path S3OutputCommitter::Prepare(const ledger::LeaseRef& lease) const {
  return staging_.Prepare(lease);
}

std::string S3OutputCommitter::Manifest(const ledger::Lease& lease) const {
  const stdfs::path dir = staging_.AttemptDir(lease.ref());
  const std::string prefix = KeyPrefix() + EncodeKeyForPath(lease.key) + "/";
  json files = json::array();
  std::vector<fs::PendingUpload> uploads;
  int64_t total = 0;
  try {
    for (const auto& [name, bytes] : staging_.AttemptFiles(lease.ref())) {
      fs::PendingUpload& upload = uploads.emplace_back(fs::UploadStagedFilePending(
          *client_, (dir / name).string(), {root_.bucket, prefix + name}, part_bytes_));
      total += upload.bytes;
      files.push_back({{"name", name},
                       {"bytes", upload.bytes},
                       {"key", upload.url.key},
                       {"upload_id", upload.upload_id},
                       {"parts", upload.etags}});
    }
  } catch (...) {
    for (const fs::PendingUpload& u : uploads) fs::AbortPendingUpload(*client_, u.url, u.upload_id);
    throw;
  }
  staging_.Discard(lease.ref(), {});  // the bytes are in the store now
  return json{{"path", FinalPrefix(lease.key)},
              {"attempt", lease.attempt},
              {"bytes", total},
              {"files", files}}
      .dump();
}

bool S3OutputCommitter::Publish(const ledger::LeaseRef&, std::string_view,
                                std::string_view manifest) const {
  for (const fs::PendingUpload& upload : UploadsOf(manifest, root_.bucket)) {
    fs::CompletePendingUpload(*client_, upload);
  }
  return true;
}

std::string S3OutputCommitter::MissingPublishedFile(std::string_view manifest) const {
  const nlohmann::json m = nlohmann::json::parse(manifest);
  const std::string output = m.at("path").get<std::string>();
  for (const nlohmann::json& file : m.value("files", nlohmann::json::array())) {
    const std::string url = output + "/" + file.at("name").get<std::string>();
    try {
      client_->HeadObject(fs::ParseS3Url(url));
    } catch (const Error& e) {
      if (e.kind() == ErrorKind::kNotFound) return url;
      throw;
    }
  }
  return {};
}

void S3OutputCommitter::Discard(const ledger::LeaseRef& lease,
                                std::string_view manifest) const noexcept {
  try {
    for (const fs::PendingUpload& upload : UploadsOf(manifest, root_.bucket)) {
      fs::AbortPendingUpload(*client_, upload.url, upload.upload_id);
    }
  } catch (const std::exception& e) {
    SLUICE_LOG_WARN("cannot abort the uploads of {} attempt {}: {}", root_.ToString(),
                    lease.attempt, e.what());
  }
  staging_.Discard(lease, {});
}

OutputCommitter::SweepResult S3OutputCommitter::Sweep(ledger::Ledger& ledger,
                                                      ledger::JobId job) const {
  SweepResult result;
  for (const auto& [ref, path] : staging_.AttemptDirs()) {
    AttemptFate fate = FateOf(ledger, job, ref);
    if (fate == AttemptFate::kCommitted || fate == AttemptFate::kDead) staging_.Discard(ref, {});
  }
  // One staging root per output root would pile up under $TMPDIR; removed when empty.
  std::error_code ec;
  stdfs::remove(staging_.AttemptsDir(), ec);
  stdfs::remove(staging_.root(), ec);
  // Listed before the ledger is read: an upload started later is not seen, and one listed whose
  // partition then commits is found in the manifest read below.
  const std::string prefix = KeyPrefix();
  std::vector<fs::S3MultipartUpload> open = client_->ListMultipartUploads(root_.bucket, prefix);
  if (open.empty()) return result;
  std::map<std::string, ledger::PartitionRecord> partitions = PartitionsByEncodedKey(ledger, job);
  for (const fs::S3MultipartUpload& upload : open) {
    std::string_view rest = std::string_view(upload.key).substr(prefix.size());
    size_t slash = rest.find('/');
    if (slash == std::string_view::npos) continue;
    auto it = partitions.find(std::string(rest.substr(0, slash)));
    if (it == partitions.end()) continue;  // not this job's output
    const ledger::PartitionRecord& p = it->second;
    if (p.status == ledger::PartitionStatus::kRunning) continue;  // its attempt's to finish
    fs::S3Url url{root_.bucket, upload.key};
    bool committed = false;
    if (p.status == ledger::PartitionStatus::kDone) {
      for (const fs::PendingUpload& pending : UploadsOf(p.output_manifest_json, root_.bucket)) {
        if (pending.upload_id != upload.upload_id || pending.url.key != upload.key) continue;
        fs::CompletePendingUpload(*client_, pending);
        committed = true;
        ++result.published;
      }
    }
    if (!committed) {
      fs::AbortPendingUpload(*client_, url, upload.upload_id);
      ++result.discarded;
    }
  }
  if (result.published + result.discarded > 0) {
    SLUICE_LOG_INFO(
        "output sweep of {}: {} uploads completed (committed before a crash), {} "
        "aborted (attempts that cannot commit)",
        root_.ToString(), result.published, result.discarded);
  }
  return result;
}

}  // namespace sluice::jobs
