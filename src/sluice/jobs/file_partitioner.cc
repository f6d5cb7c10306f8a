#include "sluice/jobs/file_partitioner.h"

#include <glob.h>

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <system_error>
#include <vector>

#include "sluice/base/error.h"
#include "sluice/io/fs/file_system_for.h"
#include "sluice/io/fs/s3_url.h"
#include "sluice/jobs/partition_definition.h"

namespace sluice::jobs {
namespace {

namespace fs = std::filesystem;

struct FileEntry {
  std::string path;
  int64_t size = 0;
};

// Every object under an s3:// prefix, one listing per "directory" level.
void WalkS3(sluice::fs::FileSystem& s3, const std::string& dir, std::vector<FileEntry>* files) {
  sluice::fs::DirectoryListing listing = s3.ListDirectory(dir);
  for (const sluice::fs::FileInfo& f : listing.files) files->push_back({f.path, f.size});
  for (const std::string& sub : listing.directories) WalkS3(s3, sub, files);
}

// s3://: a pattern with wildcards is globbed; a plain URL is the objects under it as a prefix
// (recursively, as a directory), else the one object it names.
std::vector<FileEntry> ListS3Files(const std::string& pattern) {
  auto s3 = sluice::fs::FileSystemFor(pattern);
  std::vector<FileEntry> files;
  if (pattern.find_first_of("*?[") == std::string::npos) {
    WalkS3(*s3, pattern, &files);
    if (!files.empty() || pattern.ends_with('/')) return files;
  }
  try {
    for (const sluice::fs::FileInfo& f : s3->Glob(pattern)) files.push_back({f.path, f.size});
  } catch (const Error& error) {
    if (error.kind() != ErrorKind::kNotFound || error.ContextValue("s3 error") == "NoSuchBucket") {
      throw;
    }
  }
  return files;
}

std::vector<FileEntry> ListFiles(const std::string& pattern) {
  if (sluice::fs::IsS3Url(pattern)) return ListS3Files(pattern);
  std::vector<FileEntry> files;
  std::error_code ec;
  if (fs::is_directory(pattern, ec)) {
    fs::recursive_directory_iterator it(pattern, ec), end;
    if (ec) throw IoError("cannot read directory: {}", ec.message()).With("directory", pattern);
    for (; it != end; it.increment(ec)) {
      if (ec) throw IoError("cannot read directory: {}", ec.message()).With("directory", pattern);
      if (it->is_regular_file(ec)) {
        files.push_back({it->path().string(), static_cast<int64_t>(it->file_size(ec))});
      }
    }
  } else {
    glob_t matches{};
    int rc = glob(pattern.c_str(), GLOB_NOSORT, nullptr, &matches);
    if (rc != 0 && rc != GLOB_NOMATCH) {
      globfree(&matches);
      throw IoError("cannot expand the pattern (glob error {})", rc).With("pattern", pattern);
    }
    for (size_t i = 0; i < matches.gl_pathc; ++i) {
      fs::path path = matches.gl_pathv[i];
      if (fs::is_regular_file(path, ec)) {
        files.push_back({path.string(), static_cast<int64_t>(fs::file_size(path, ec))});
      }
    }
    globfree(&matches);
  }
  std::sort(files.begin(), files.end(),
            [](const FileEntry& a, const FileEntry& b) { return a.path < b.path; });
  return files;
}

}  // namespace

FilePartitioner::FilePartitioner(std::string pattern, FileGrouping grouping)
    : pattern_(std::move(pattern)), grouping_(grouping) {
  if (pattern_.empty()) throw InvalidArgument("empty file pattern");
  if (grouping_.kind == FileGrouping::Kind::kBatches && grouping_.batch_bytes <= 0) {
    throw InvalidArgument("batch size must be positive").With("pattern", pattern_);
  }
  if (grouping_.kind == FileGrouping::Kind::kByteRanges && grouping_.range_bytes <= 0) {
    throw InvalidArgument("range size must be positive").With("pattern", pattern_);
  }
}

std::string FilePartitioner::Describe() const {
  switch (grouping_.kind) {
    case FileGrouping::Kind::kPerFile:
      return "files " + pattern_;
    case FileGrouping::Kind::kBatches:
      return "file batches " + pattern_;
    case FileGrouping::Kind::kByteRanges:
      return "byte ranges " + pattern_;
  }
  return pattern_;
}

std::set<std::string, std::less<>> FilePartitioner::Fields() const {
  switch (grouping_.kind) {
    case FileGrouping::Kind::kPerFile:
      return {"path", "size"};
    case FileGrouping::Kind::kBatches:
      return {"path", "paths", "size"};
    case FileGrouping::Kind::kByteRanges:
      return {"path", "offset", "length", "size"};
  }
  return {};
}

std::string FilePartition::ToJson() const {
  return nlohmann::json{{"path", path}, {"size", size}}.dump();
}

FilePartition FilePartition::FromJson(std::string_view json) {
  return ReadDefinition(json, "a file partition", [](const nlohmann::json& j) {
    return FilePartition{j.at("path").get<std::string>(), j.at("size").get<int64_t>()};
  });
}

std::string FileBatchPartition::ToJson() const {
  return nlohmann::json{{"path", path}, {"paths", paths}, {"size", size}}.dump();
}

FileBatchPartition FileBatchPartition::FromJson(std::string_view json) {
  return ReadDefinition(json, "a file batch partition", [](const nlohmann::json& j) {
    return FileBatchPartition{j.at("path").get<std::string>(),
                              j.at("paths").get<std::vector<std::string>>(),
                              j.at("size").get<int64_t>()};
  });
}

std::string ByteRangePartition::ToJson() const {
  return nlohmann::json{{"path", path}, {"offset", offset}, {"length", length}, {"size", size}}
      .dump();
}

ByteRangePartition ByteRangePartition::FromJson(std::string_view json) {
  return ReadDefinition(json, "a byte range partition", [](const nlohmann::json& j) {
    return ByteRangePartition{j.at("path").get<std::string>(), j.at("offset").get<int64_t>(),
                              j.at("length").get<int64_t>(), j.at("size").get<int64_t>()};
  });
}

void FilePartitioner::Generate(const std::function<void(ledger::PartitionSpec)>& emit) {
  std::vector<FileEntry> files = ListFiles(pattern_);
  switch (grouping_.kind) {
    case FileGrouping::Kind::kPerFile:
      for (const FileEntry& file : files) {
        emit({file.path, FilePartition{file.path, file.size}.ToJson()});
      }
      break;
    case FileGrouping::Kind::kBatches: {
      size_t i = 0;
      while (i < files.size()) {
        FileBatchPartition batch{files[i].path, {}, 0};
        size_t first = i;
        while (i < files.size() &&
               (i == first || batch.size + files[i].size <= grouping_.batch_bytes)) {
          batch.paths.push_back(files[i].path);
          batch.size += files[i].size;
          ++i;
        }
        std::string key = files[first].path + "+" + std::to_string(i - first);
        emit({key, batch.ToJson()});
      }
      break;
    }
    case FileGrouping::Kind::kByteRanges:
      for (const FileEntry& file : files) {
        int64_t offset = 0;
        do {
          int64_t length = std::min(grouping_.range_bytes, file.size - offset);
          emit({file.path + "@" + std::to_string(offset),
                ByteRangePartition{file.path, offset, length, file.size}.ToJson()});
          offset += length;
        } while (offset < file.size);
      }
      break;
  }
}

}  // namespace sluice::jobs
