#include "sluice/jobs/compact/hive_partitioner.h"

#include <algorithm>
#include <chrono>
#include <nlohmann/json.hpp>

#include "sluice/base/error.h"
#include "sluice/io/fs/file_system_for.h"
#include "sluice/io/fs/s3_url.h"
#include "sluice/jobs/partition_definition.h"

namespace sluice::compact {

namespace fs = std::filesystem;

bool IsDataFileName(const std::string& name) {
  if (name.empty() || name[0] == '.' || name[0] == '_') return false;
  if (name.size() > 8 && name.ends_with(".parquet")) return true;
  return name.find('.') == std::string::npos;
}

namespace {

bool Hidden(const std::string& name) { return name.empty() || name[0] == '.' || name[0] == '_'; }

struct DirListing {
  std::vector<ListedFile> files;
  std::vector<fs::path> dirs;
};

std::string LastSegment(const std::string& path) { return path.substr(path.rfind('/') + 1); }

// An s3:// "directory": the objects and key prefixes one level under it.
DirListing ListS3Dir(const std::string& dir) {
  DirListing out;
  sluice::fs::DirectoryListing listing = sluice::fs::FileSystemFor(dir)->ListDirectory(dir);
  for (const sluice::fs::FileInfo& f : listing.files) {
    std::string name = LastSegment(f.path);
    if (!Hidden(name) && IsDataFileName(name)) out.files.push_back({f.path, f.size});
  }
  for (const std::string& d : listing.directories) {
    if (!Hidden(LastSegment(d))) out.dirs.emplace_back(d);
  }
  return out;
}

DirListing ListDir(const fs::path& dir) {
  if (sluice::fs::IsS3Url(dir.string())) return ListS3Dir(dir.string());
  DirListing out;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    std::string name = it->path().filename().string();
    if (Hidden(name)) continue;
    std::error_code type_ec;
    if (it->is_directory(type_ec)) {
      out.dirs.push_back(it->path());
    } else if (it->is_regular_file(type_ec) && IsDataFileName(name)) {
      std::error_code size_ec, time_ec;
      auto size = it->file_size(size_ec);
      auto modified = it->last_write_time(time_ec);
      int64_t modified_ns =
          time_ec
              ? 0
              : std::chrono::duration_cast<std::chrono::nanoseconds>(modified.time_since_epoch())
                    .count();
      out.files.push_back(
          {it->path().string(), size_ec ? 0 : static_cast<int64_t>(size), modified_ns});
    }
  }
  if (ec)
    throw IoError("cannot list the directory: {}", ec.message()).With("directory", dir.string());
  std::sort(out.dirs.begin(), out.dirs.end());
  std::sort(out.files.begin(), out.files.end(),
            [](const ListedFile& a, const ListedFile& b) { return a.path < b.path; });
  return out;
}

}  // namespace

std::vector<ListedFile> ListDataFiles(const fs::path& dir) { return ListDir(dir).files; }

std::string HivePartition::ToJson() const { return nlohmann::json{{"dir", dir}}.dump(); }

HivePartition HivePartition::FromJson(std::string_view json) {
  return jobs::ReadDefinition(json, "a compaction partition", [](const nlohmann::json& j) {
    return HivePartition{j.at("dir").get<std::string>()};
  });
}

HivePartitioner::HivePartitioner(fs::path root) {
  if (sluice::fs::IsS3Url(root.string())) {
    std::string url = root.string();
    while (url.ends_with('/') && url.size() > 5) url.pop_back();
    root_ = url;
    DirListing top = ListS3Dir(url);
    if (top.files.empty() && top.dirs.empty()) {
      throw NotFound("the source holds no objects").With("directory", url);
    }
    return;
  }
  root_ = fs::absolute(std::move(root));
  std::error_code ec;
  if (!fs::is_directory(root_, ec)) {
    throw NotFound("the source is not a directory").With("directory", root_.string());
  }
}

std::string HivePartitioner::Describe() const { return "partitions under " + root_.string(); }

std::set<std::string, std::less<>> HivePartitioner::Fields() const { return {"dir"}; }

void HivePartitioner::Generate(const std::function<void(ledger::PartitionSpec)>& emit) {
  Walk(root_, emit);
}

void HivePartitioner::Walk(const fs::path& dir,
                           const std::function<void(ledger::PartitionSpec)>& emit) {
  DirListing listing = ListDir(dir);
  if (!listing.files.empty()) {
    std::string key = fs::relative(dir, root_).generic_string();
    if (sluice::fs::IsS3Url(root_.string())) {
      key = dir == root_ ? "." : dir.string().substr(root_.string().size() + 1);
    }
    emit({key, HivePartition{dir.string()}.ToJson()});
  }
  for (const fs::path& sub : listing.dirs) Walk(sub, emit);
}

}  // namespace sluice::compact
