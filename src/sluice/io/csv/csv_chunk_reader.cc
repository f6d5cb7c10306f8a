#include "sluice/io/csv/csv_chunk_reader.h"

#include <fmt/format.h>

#include <cstring>

#include "sluice/io/fs/stamped_file.h"

namespace sluice::csv {

std::string Describe(const CsvChunk& chunk) {
  return fmt::format("{} from line {}", chunk.path ? *chunk.path : "?", chunk.first_line);
}

void CsvChunk::CopyViewToBytes() {
  ChunkBuffer copy(end);
  std::memcpy(copy.get(), view->data(), end);
  bytes = std::move(copy);
  view.reset();
}

CsvChunkReader::CsvChunkReader(fs::FileSystem& fs, const std::string& path, int file_index,
                               const CsvDialect& dialect, size_t chunk_bytes, bool map)
    : path_(std::make_shared<const std::string>(path)),
      file_index_(file_index),
      chunk_bytes_(std::max<size_t>(chunk_bytes, 64)),
      scanner_(dialect) {
  // Held to the version it had at open: a change while it is read is an error naming it.
  auto file = fs::OpenInput(fs, path);
  compression_ = DetectCompression(*file);
  if (map && compression_ == Compression::kNone) {
    if (auto head = file->Map(0, 3)) {
      if (head->size() == 3 && std::memcmp(head->data(), "\xEF\xBB\xBF", 3) == 0) {
        map_pos_ = map_scanned_ = 3;
      }
      if (const auto* stamped = dynamic_cast<const fs::StampedFile*>(file.get())) {
        mapped_stamp_ = std::make_shared<const fs::FileStamp>(stamped->opened());
      }
      mapped_file_ = std::move(file);
      return;
    }
  }
  stream_ = OpenByteStream(std::move(file));
}

bool CsvChunkReader::NextMapped(CsvChunk& out) {
  for (;;) {
    // From the next chunk's start: the bytes scanned already (the carry) and as many new ones,
    // at least a chunk's worth, so a huge row is still read in linear time.
    const size_t carry = static_cast<size_t>(map_scanned_ - map_pos_);
    auto view = mapped_file_->Map(map_pos_, carry + std::max(chunk_bytes_, carry));
    const size_t got = view->size() - carry;
    bytes_read_ += static_cast<int64_t>(got);
    out = CsvChunk{};
    out.file_index = file_index_;
    out.path = path_;
    out.opened = mapped_stamp_;
    out.first_line = line_;
    if (got == 0) {
      done_ = true;
      if (carry == 0) return false;
      out.index = index_++;
      out.view = std::move(view);
      out.end = carry;
      out.last = true;
      ++row_ends_;  // the final row without a newline
      return true;
    }
    RowBoundaryScanner::Result r = scanner_.Scan(view->data() + carry, got);
    row_ends_ += r.row_ends;
    map_scanned_ += static_cast<int64_t>(got);
    if (r.last_row_end < 0) {
      carry_newlines_ += r.newlines;
      continue;
    }
    const size_t cut = carry + static_cast<size_t>(r.last_row_end);
    out.index = index_++;
    out.end = cut;
    line_ += carry_newlines_ + r.newlines_before_end;
    carry_newlines_ = r.newlines - r.newlines_before_end;
    map_pos_ += static_cast<int64_t>(cut);
    out.view = std::move(view);
    return true;
  }
}

bool CsvChunkReader::Next(CsvChunk& out) {
  if (done_) return false;
  if (mapped_file_ != nullptr) return NextMapped(out);
  for (;;) {
    // Buffers of one size, a chunk and a sixteenth for the partial row carried over, so a
    // freed one always fits the next chunk. A carry bigger than that (a huge row) grows the
    // read so progress stays linear.
    const size_t capacity = std::max(chunk_bytes_ + chunk_bytes_ / 16,
                                     carry_size_ + std::max(chunk_bytes_, carry_size_));
    const size_t want = capacity - carry_size_;
    ChunkBuffer buf(capacity);
    if (carry_size_ > 0) std::memcpy(buf.get(), carry_.get(), carry_size_);
    size_t got = stream_->Read(buf.get() + carry_size_, want);
    bytes_read_ += static_cast<int64_t>(got);
    size_t fresh = carry_size_;
    if (!started_) {
      started_ = true;
      if (got >= 3 && std::memcmp(buf.get(), "\xEF\xBB\xBF", 3) == 0) {
        std::memmove(buf.get(), buf.get() + 3, got - 3);
        got -= 3;
      }
    }
    const size_t total = carry_size_ + got;
    if (got == 0) {
      done_ = true;
      if (carry_size_ == 0) return false;
      out = CsvChunk{};
      out.file_index = file_index_;
      out.path = path_;
      out.first_line = line_;
      out.index = index_++;
      out.bytes = std::move(buf);
      out.end = carry_size_;
      out.last = true;
      ++row_ends_;  // the final row without a newline
      carry_size_ = 0;
      return true;
    }
    RowBoundaryScanner::Result r = scanner_.Scan(buf.get() + fresh, got);
    row_ends_ += r.row_ends;
    if (r.last_row_end < 0) {
      carry_newlines_ += r.newlines;
      carry_ = std::move(buf);
      carry_size_ = total;
      continue;
    }
    const size_t cut = fresh + static_cast<size_t>(r.last_row_end);
    out = CsvChunk{};
    out.file_index = file_index_;
    out.path = path_;
    out.first_line = line_;
    out.index = index_++;
    out.end = cut;
    line_ += carry_newlines_ + r.newlines_before_end;
    carry_newlines_ = r.newlines - r.newlines_before_end;
    carry_size_ = total - cut;
    if (carry_size_ > 0) {
      carry_ = ChunkBuffer(carry_size_);
      std::memcpy(carry_.get(), buf.get() + cut, carry_size_);
    }
    out.bytes = std::move(buf);
    return true;
  }
}

}  // namespace sluice::csv
