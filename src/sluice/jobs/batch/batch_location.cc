#include "sluice/jobs/batch/batch_location.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <filesystem>
#include <vector>

#include "sluice/base/error.h"
#include "sluice/base/temp_path.h"
#include "sluice/io/fs/file_system_for.h"
#include "sluice/io/fs/s3_url.h"

namespace sluice::batch {
namespace {

namespace stdfs = std::filesystem;

// What a copy holds in memory at a time.
constexpr int64_t kCopyPieceBytes = 8 << 20;

// Streams `from` to `to` through their file systems; `to` appears at the commit.
void StreamCopy(const std::string& from, const std::string& to) {
  auto in = fs::FileSystemFor(from)->OpenForRead(from);
  auto out = fs::FileSystemFor(to)->OpenForWrite(to);
  std::vector<char> piece(
      static_cast<size_t>(std::clamp<int64_t>(in->size(), int64_t{1}, kCopyPieceBytes)));
  for (int64_t offset = 0; offset < in->size();) {
    const size_t n = in->ReadAt(offset, piece);
    if (n == 0) {
      throw IoError("the file ended at byte {} of {} while it was copied", offset, in->size())
          .With("file", from)
          .With("target", to);
    }
    out->Append({piece.data(), n});
    offset += static_cast<int64_t>(n);
  }
  out->Commit();
}

}  // namespace

std::string JoinLocation(std::string_view dir, std::string_view name) {
  std::string out(dir);
  if (!out.empty() && out.back() != '/') out += '/';
  out += name;
  return out;
}

std::string_view BaseName(std::string_view path) {
  const size_t slash = path.find_last_of('/');
  return slash == std::string_view::npos ? path : path.substr(slash + 1);
}

std::string NormalizeLocation(const std::string& location) {
  if (fs::IsS3Url(location)) {
    fs::ParseS3Url(location);  // InvalidArgument naming a malformed URL
    std::string url = location;
    while (url.ends_with('/') && url.size() > std::string_view("s3://x").size()) url.pop_back();
    return url;
  }
  std::error_code ec;
  const stdfs::path absolute = stdfs::absolute(location, ec);
  if (ec) throw IoErrorFromErrno(ec.value(), "resolving a directory", location);
  std::string out = absolute.lexically_normal().string();
  while (out.size() > 1 && out.ends_with('/')) out.pop_back();
  return out;
}

void MakeDirectories(const std::string& location) {
  if (fs::IsS3Url(location)) return;
  std::error_code ec;
  stdfs::create_directories(location, ec);
  if (ec) throw IoErrorFromErrno(ec.value(), "creating a directory", location);
}

void CopyFileInto(const std::string& from, const std::string& to) {
  if (!fs::IsS3Url(from) && !fs::IsS3Url(to)) {
    // A link costs no copy; the rename replaces the old file at once.
    const std::string temp = TemporaryPathFor(to);
    std::error_code ec;
    stdfs::create_hard_link(from, temp, ec);
    if (!ec) {
      stdfs::rename(temp, to, ec);
      if (!ec) return;
      std::error_code ignored;
      stdfs::remove(temp, ignored);
      throw IoErrorFromErrno(ec.value(), "rename", temp).With("target", to);
    }
  }
  StreamCopy(from, to);
}

void MoveLocalFileInto(const std::string& local, const std::string& to) {
  if (!fs::IsS3Url(to)) {
    if (std::rename(local.c_str(), to.c_str()) == 0) return;
    if (errno != EXDEV) throw IoErrorFromErrno(errno, "rename", local).With("target", to);
  }
  StreamCopy(local, to);
  std::remove(local.c_str());
}

}  // namespace sluice::batch
