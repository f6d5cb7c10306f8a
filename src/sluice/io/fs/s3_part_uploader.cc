#include "sluice/io/fs/s3_part_uploader.h"

#include <algorithm>

#include "sluice/base/cancellation.h"
#include "sluice/base/error.h"

namespace sluice::fs {

S3PartUploader::S3PartUploader(S3Client& client, S3Url url, std::string upload_id, int in_flight)
    : client_(client),
      url_(std::move(url)),
      upload_id_(std::move(upload_id)),
      in_flight_(static_cast<size_t>(std::max(1, in_flight))) {}

S3PartUploader::~S3PartUploader() {
  for (std::future<std::string>& part : out_) part.wait();
}

S3PartUploader::Part S3PartUploader::NewPart(MemoryGate& memory, size_t capacity) {
  Part part{{}, memory.Acquire(static_cast<int64_t>(capacity), CancellationToken())};
  part.bytes.reserve(capacity);
  return part;
}

void S3PartUploader::Send(Part part) {
  const int number = parts() + 1;
  if (number > 10'000) {
    throw ResourceExhausted("{} needs more than 10,000 parts of {} bytes", url_.ToString(),
                            part.bytes.size())
        .With("url", url_.ToString());
  }
  while (out_.size() >= in_flight_) CollectOldest();
  out_.push_back(std::async(std::launch::async, [this, number, part = std::move(part)]() mutable {
    std::string etag = client_.UploadPart(url_, upload_id_, number, part.bytes);
    // Given back as soon as the store has the part, not when its future is collected.
    std::string().swap(part.bytes);
    part.hold.Release();
    return etag;
  }));
}

void S3PartUploader::CollectOldest() {
  std::future<std::string> oldest = std::move(out_.front());
  out_.pop_front();
  etags_.push_back(oldest.get());
}

std::vector<std::string> S3PartUploader::Finish() {
  while (!out_.empty()) CollectOldest();
  return etags_;
}

}  // namespace sluice::fs
