#include "sluice/jobs/output_commit.h"

#include <fcntl.h>
#include <stdio.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <system_error>

#include "sluice/base/error.h"
#include "sluice/base/log.h"
#include "sluice/io/fs/file_system_for.h"
#include "sluice/io/fs/s3_url.h"
#include "sluice/jobs/s3_output_commit.h"

namespace sluice::jobs {
namespace {

namespace fs = std::filesystem;
constexpr std::string_view kAttempts = ".sluice-attempts";

uint64_t Fnv1a(std::string_view text) {
  uint64_t hash = 1469598103934665603ull;
  for (unsigned char c : text) hash = (hash ^ c) * 1099511628211ull;
  return hash;
}

// "p12-a3" -> {12, 3}; false for anything else.
bool ParseAttemptName(const std::string& name, ledger::LeaseRef& out) {
  long long id = 0, attempt = 0;
  int consumed = 0;
  if (std::sscanf(name.c_str(), "p%lld-a%lld%n", &id, &attempt, &consumed) != 2) return false;
  if (static_cast<size_t>(consumed) != name.size()) return false;
  out = {id, attempt};
  return true;
}

// The regular files under `dir`, by path relative to it, with their sizes.
std::map<std::string, uintmax_t> FilesUnder(const fs::path& dir) {
  std::map<std::string, uintmax_t> files;
  std::error_code ec;
  for (fs::recursive_directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->is_regular_file(ec)) files[fs::relative(it->path(), dir).string()] = it->file_size(ec);
  }
  if (ec) throw IoError("cannot list {}: {}", dir.string(), ec.message());
  return files;
}

bool SameBytes(const fs::path& a, const fs::path& b) {
  std::ifstream in_a(a, std::ios::binary), in_b(b, std::ios::binary);
  if (!in_a || !in_b) return false;
  std::vector<char> buffer_a(1 << 20), buffer_b(1 << 20);
  while (in_a && in_b) {
    in_a.read(buffer_a.data(), static_cast<std::streamsize>(buffer_a.size()));
    in_b.read(buffer_b.data(), static_cast<std::streamsize>(buffer_b.size()));
    if (in_a.gcount() != in_b.gcount() ||
        !std::equal(buffer_a.begin(), buffer_a.begin() + in_a.gcount(), buffer_b.begin())) {
      return false;
    }
  }
  return in_a.eof() && in_b.eof();
}

}  // namespace

std::string DifferenceBetweenTrees(const fs::path& a, const fs::path& b) {
  std::map<std::string, uintmax_t> in_a = FilesUnder(a), in_b = FilesUnder(b);
  for (const auto& [name, bytes] : in_a) {
    auto it = in_b.find(name);
    if (it == in_b.end()) return fmt::format("{} is missing there", name);
    if (it->second != bytes) {
      return fmt::format("{} has {} bytes there, {} in the attempt", name, it->second, bytes);
    }
    if (!SameBytes(a / name, b / name)) return fmt::format("{} has other bytes there", name);
  }
  for (const auto& [name, bytes] : in_b) {
    if (!in_a.contains(name)) return fmt::format("{} is there but not in the attempt", name);
  }
  return {};
}

std::string EncodeKeyForPath(std::string_view key) {
  std::string out;
  for (size_t i = 0; i < key.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(key[i]);
    if (c == '/' || c == '%' || c < 0x20 || c == 0x7f || (i == 0 && c == '.')) {
      out += fmt::format("%{:02X}", c);
    } else {
      out += static_cast<char>(c);
    }
  }
  if (out.size() > 200) out = out.substr(0, 150) + fmt::format("~{:016x}", Fnv1a(key));
  return out;
}

fs::path OutputLayout::AttemptsDir() const { return root_ / kAttempts; }

fs::path OutputLayout::AttemptDir(const ledger::LeaseRef& lease) const {
  return AttemptsDir() / fmt::format("p{}-a{}", lease.partition_id, lease.attempt);
}

fs::path OutputLayout::FinalDir(std::string_view key) const {
  return root_ / EncodeKeyForPath(key);
}

fs::path OutputLayout::Prepare(const ledger::LeaseRef& lease) const {
  fs::path dir = AttemptDir(lease);
  std::error_code ec;
  fs::remove_all(dir, ec);
  fs::create_directories(dir, ec);
  if (ec)
    throw IoError("cannot create the attempt's output directory: {}", ec.message())
        .With("directory", dir.string());
  return dir;
}

std::vector<std::pair<std::string, int64_t>> OutputLayout::AttemptFiles(
    const ledger::LeaseRef& lease) const {
  fs::path dir = AttemptDir(lease);
  std::vector<std::pair<std::string, int64_t>> files;
  std::error_code ec;
  for (fs::recursive_directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (!it->is_regular_file(ec)) continue;
    auto bytes = static_cast<int64_t>(it->file_size(ec));
    files.emplace_back(fs::relative(it->path(), dir).string(), bytes);
  }
  if (ec)
    throw IoError("cannot list the attempt's output: {}", ec.message())
        .With("directory", dir.string());
  std::sort(files.begin(), files.end());
  return files;
}

std::string OutputLayout::Manifest(const ledger::Lease& lease) const {
  nlohmann::json files = nlohmann::json::array();
  int64_t total = 0;
  for (const auto& [name, bytes] : AttemptFiles(lease.ref())) {
    total += bytes;
    files.push_back({{"name", name}, {"bytes", bytes}});
  }
  return nlohmann::json{{"path", FinalDir(lease.key).string()},
                        {"attempt", lease.attempt},
                        {"bytes", total},
                        {"files", files}}
      .dump();
}

void RemoveWorkDirectory(const std::string& dir) {
  if (!sluice::fs::IsS3Url(dir)) {
    std::error_code ignored;
    std::filesystem::remove_all(dir, ignored);
    return;
  }
  auto store = sluice::fs::FileSystemFor(dir);
  std::vector<std::string> pending = {dir};
  while (!pending.empty()) {
    const std::string next = pending.back();
    pending.pop_back();
    sluice::fs::DirectoryListing listing = store->ListDirectory(next);
    for (const sluice::fs::FileInfo& file : listing.files) store->Delete(file.path);
    for (std::string& sub : listing.directories) pending.push_back(std::move(sub));
  }
}

std::unique_ptr<OutputCommitter> MakeOutputCommitter(const std::string& root) {
  if (!sluice::fs::IsS3Url(root)) return std::make_unique<OutputLayout>(root);
  return std::make_unique<S3OutputCommitter>(root, sluice::fs::ProcessS3Client(),
                                             S3OutputCommitter::DefaultStagingRoot(root));
}

AttemptFate FateOf(ledger::Ledger& ledger, ledger::JobId job, const ledger::LeaseRef& attempt,
                   ledger::PartitionRecord* partition) {
  ledger::PartitionRecord record;
  try {
    record = ledger.GetPartition(attempt.partition_id);
  } catch (const Error& e) {
    if (e.kind() != ErrorKind::kNotFound) throw;
    return AttemptFate::kDead;
  }
  if (partition != nullptr) *partition = record;
  if (record.job_id != job) return AttemptFate::kOtherJob;
  if (record.status == ledger::PartitionStatus::kRunning && record.attempt == attempt.attempt) {
    return AttemptFate::kRunning;
  }
  if (record.status == ledger::PartitionStatus::kDone) {
    auto manifest = nlohmann::json::parse(record.output_manifest_json, nullptr, false);
    if (manifest.is_object() && manifest.value("attempt", int64_t{-1}) == attempt.attempt) {
      return AttemptFate::kCommitted;
    }
  }
  return AttemptFate::kDead;
}

std::vector<std::pair<ledger::LeaseRef, fs::path>> OutputLayout::AttemptDirs() const {
  std::vector<std::pair<ledger::LeaseRef, fs::path>> out;
  std::error_code ec;
  for (fs::directory_iterator it(AttemptsDir(), ec), end; !ec && it != end; it.increment(ec)) {
    ledger::LeaseRef ref;
    if (ParseAttemptName(it->path().filename().string(), ref)) out.push_back({ref, it->path()});
  }
  return out;
}

bool OutputLayout::Publish(const ledger::LeaseRef& lease, std::string_view key,
                           std::string_view) const {
  fs::path from = AttemptDir(lease);
  fs::path to = FinalDir(key);
  if (renameat2(AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(), RENAME_NOREPLACE) == 0) return true;
  int error = errno;
  if (error == ENOENT && fs::exists(to)) return false;  // a racing publish or sweep got there
  if (error == EEXIST || error == ENOTEMPTY) {
    // The target is there already: this output published by an earlier run of the same work (an
    // output directory moved with its state and run again, which is another job by name), or
    // something else. Identical files are this output; anything else is not ours to replace.
    std::string difference = DifferenceBetweenTrees(from, to);
    if (difference.empty()) {
      Discard(lease, {});
      return false;
    }
    throw Conflict(
        "cannot publish the committed output: {} already holds other files ({}); move it away "
        "and run the command again, or remove the attempt's files",
        to.string(), difference)
        .With("output directory", to.string())
        .With("attempt directory", from.string());
  }
  throw IoErrorFromErrno(error, "publish the committed output", to.string())
      .With("attempt directory", from.string());
}

std::string OutputLayout::MissingPublishedFile(std::string_view manifest) const {
  const nlohmann::json m = nlohmann::json::parse(manifest);
  const fs::path output = m.at("path").get<std::string>();
  for (const nlohmann::json& file : m.value("files", nlohmann::json::array())) {
    const fs::path path = output / file.at("name").get<std::string>();
    std::error_code ec;
    if (!fs::exists(path, ec) && !ec) return path.string();
  }
  return {};
}

void OutputLayout::Discard(const ledger::LeaseRef& lease, std::string_view) const noexcept {
  std::error_code ec;
  fs::remove_all(AttemptDir(lease), ec);
  if (ec) SLUICE_LOG_WARN("cannot delete {}: {}", AttemptDir(lease).string(), ec.message());
}

OutputLayout::SweepResult OutputLayout::Sweep(ledger::Ledger& ledger, ledger::JobId job) const {
  SweepResult result;
  for (const auto& [ref, path] : AttemptDirs()) {
    ledger::PartitionRecord partition;
    switch (FateOf(ledger, job, ref, &partition)) {
      case AttemptFate::kRunning:
      case AttemptFate::kOtherJob:
        break;
      case AttemptFate::kCommitted:
        if (Publish(ref, partition.key, partition.output_manifest_json)) ++result.published;
        break;
      case AttemptFate::kDead:
        Discard(ref, {});
        ++result.discarded;
        break;
    }
  }
  return result;
}

}  // namespace sluice::jobs
