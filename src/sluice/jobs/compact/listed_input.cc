#include "sluice/jobs/compact/listed_input.h"

#include <array>
#include <cstdint>
#include <cstring>

#include "sluice/base/error.h"
#include "sluice/io/fs/s3_url.h"
#include "sluice/io/parquet/file_system_source.h"

namespace sluice::compact {
namespace {

constexpr const char* kRerun =
    "it changed while the job ran; run the job again once its inputs are settled";

}  // namespace

void CheckListedInput(const InputFile& file, parquet::RandomAccessSource& source) {
  const int64_t size = source.Size();
  if (size != file.size) {
    throw InvalidData("input {} is {} bytes, not the {} it had when listed: {}", file.path, size,
                      file.size, kRerun)
        .With("file", file.path);
  }
  // The same size but another footer: a file replaced by a different one. (An S3 read sends the
  // listed ETag, so a replaced object already fails it; this would cost a request per file.)
  if (size < 8 || file.footer == nullptr || fs::IsS3Url(file.path)) return;
  std::array<uint8_t, 8> tail{};
  source.ReadAt(size - 8, tail);
  uint32_t footer_length = 0;
  std::memcpy(&footer_length, tail.data(), sizeof(footer_length));  // little-endian
  if (footer_length != static_cast<uint32_t>(file.footer->metadata_length)) {
    throw InvalidData("input {} has a footer of {} bytes, not the {} it had when listed: {}",
                      file.path, footer_length, file.footer->metadata_length, kRerun)
        .With("file", file.path);
  }
}

std::unique_ptr<parquet::RandomAccessSource> OpenListedInput(const InputFile& file) {
  std::unique_ptr<parquet::RandomAccessSource> source;
  try {
    source = parquet::OpenRandomAccessSource(file.path);
  } catch (const Error& e) {
    if (e.kind() != ErrorKind::kNotFound) throw;
    throw InvalidData("input {} was removed after it was listed: {}", file.path, kRerun)
        .With("file", file.path);
  }
  CheckListedInput(file, *source);
  return source;
}

}  // namespace sluice::compact
