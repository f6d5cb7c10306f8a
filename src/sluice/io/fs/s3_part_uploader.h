// S3PartUploader: sends the parts of one multipart upload several at a time. Each part goes out on
// a thread of its own while the writer fills the next; at most `in_flight` parts are out at once.
// Each part's bytes are held in a memory gate (the process's S3 share of the memory budget,
// file_system_for.h) from before its buffer is allocated until the store has them, so a writer
// faster than the store waits for room instead of piling parts up.
//
// Thread safety: one writer thread at a time; the sends run on threads of their own.
#pragma once

#include <cstddef>
#include <deque>
#include <future>
#include <string>
#include <vector>

#include "sluice/base/memory_gate.h"
#include "sluice/io/fs/s3_client.h"

namespace sluice::fs {

class S3PartUploader {
 public:
  // A part's bytes and their hold in the memory gate.
  struct Part {
    std::string bytes;
    MemoryGate::Hold hold;
  };

  S3PartUploader(S3Client& client, S3Url url, std::string upload_id, int in_flight);
  // Waits for the parts still out; their failures are dropped (the caller aborts the upload).
  ~S3PartUploader();
  S3PartUploader(const S3PartUploader&) = delete;
  S3PartUploader& operator=(const S3PartUploader&) = delete;

  // An empty buffer with room for `capacity` bytes, held in `memory` (waits for room; a writer
  // fills it before it knows whether its file needs a multipart upload at all).
  static Part NewPart(MemoryGate& memory, size_t capacity);
  // Sends `part` as the next part. Returns at once, or, with in_flight parts out, once the oldest
  // is done. Rethrows a failure of an earlier part (the error names the URL and the operation).
  void Send(Part part);
  // Waits for every part: their ETags in part order. Rethrows the first failure.
  std::vector<std::string> Finish();
  // Parts sent so far.
  int parts() const { return static_cast<int>(etags_.size() + out_.size()); }

 private:
  void CollectOldest();

  S3Client& client_;
  S3Url url_;
  std::string upload_id_;
  size_t in_flight_;
  std::deque<std::future<std::string>> out_;  // the parts out, oldest first
  std::vector<std::string> etags_;            // of the parts done, in order
};

}  // namespace sluice::fs
