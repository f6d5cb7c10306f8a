// S3FileSystem: the FileSystem interface over an S3-compatible object store, for paths of the
// form s3://bucket/key. What each operation becomes:
//   Stat           HeadObject
//   OpenForRead    the size and ETag a listing of this process just returned
//                  (s3_listed_objects.h), else a HeadObject; then ranged GETs, each pinned to
//                  that ETag (If-Match) so an object replaced mid-read fails instead of mixing. A
//                  ReadAt smaller than read_ahead_bytes fetches read_ahead_bytes and keeps them
//                  (one window per open file), so the column chunks of a small row group read
//                  one after another cost one GET; a read that ends at the object's end (a
//                  footer) is fetched as asked (whole when no larger than a window) and kept;
//                  larger reads go straight into the caller's buffer. An object of at most
//                  whole_object_bytes is fetched whole by its first read that is not at its
//                  end, and kept
//   List(dir)      ListObjectsV2 under "dir/" with delimiter "/" (objects directly inside)
//   ListDirectory  the same, with the common prefixes one level down as directories
//   Glob(pattern)  ListObjectsV2 under the pattern's literal prefix, filtered like glob(3)
//                  (`*`, `?`, `[...]` do not cross '/'); a plain key is one object, or a
//                  "directory" (the objects directly under key/) when no object has that key
//   OpenForWrite   bytes gather into one part (part_size); a file that stays within one part is
//                  one PutObject at Commit, a larger one a multipart upload of equal-sized parts
//                  (the last may be shorter) completed by Commit, up to parts_in_flight parts
//                  sent at once while the next is gathered (s3_part_uploader.h). Destroying an
//                  uncommitted file aborts its upload: nothing appears.
//
// Memory: every part being gathered or sent, every read-ahead window and every whole object kept
// is held in `memory`, the process's S3 share of the memory budget. A writer waits for room; a
// read that finds none keeps nothing and fetches only what it asked for. Large reads go straight
// into the caller's buffer, as ranges of 8 MiB fetched at once.
//   Rename         CopyObject then DeleteObject (not atomic: S3 has no rename)
//   Delete         DeleteObject (a missing object is not an error)
//
// Ownership: files share the FileSystem's S3Client and may outlive the FileSystem.
// Thread safety: as FileSystem (methods and ReadAt from any thread; a WritableFile from one).
#pragma once

#include <cstdint>
#include <memory>

#include "sluice/base/memory_gate.h"
#include "sluice/io/fs/file_system.h"
#include "sluice/io/fs/s3_client.h"

namespace sluice::fs {

struct S3FileSystemOptions {
  // The size of every part of a multipart upload but the last; also the largest object written
  // with one PutObject. S3 allows 5 MiB..5 GiB and at most 10,000 parts (16 MiB: 156 GiB).
  int64_t part_size = 16 << 20;
  // Parts of one file's multipart upload sent at once.
  int parts_in_flight = 4;
  // Small reads are widened to this many bytes, kept per open file (0: no read-ahead, nor
  // whole objects).
  int64_t read_ahead_bytes = 256 << 10;
  // An object no larger than this is fetched whole by its first read that does not end at its
  // end (a footer read fetches what it asks), and kept while the file is open: a compaction's
  // small input then costs two GETs (footer, data) instead of one per column and row group.
  int64_t whole_object_bytes = 8 << 20;
  // Where the buffers above are held; nullptr: a gate of 256 MiB of the file system's own.
  std::shared_ptr<MemoryGate> memory;
};

std::shared_ptr<FileSystem> MakeS3FileSystem(std::shared_ptr<S3Client> client,
                                             S3FileSystemOptions options = {});

}  // namespace sluice::fs
