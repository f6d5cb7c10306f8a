#include "sluice/io/csv/byte_stream.h"

#include <zlib.h>
#include <zstd.h>

#include <algorithm>
#include <cstring>
#include <vector>

#include "sluice/base/error.h"

namespace sluice::csv {
namespace {

constexpr size_t kCompressedBlock = 1 << 20;

// Reads the file front to back. A local file comes held to the version it had when opened
// (io/fs/stamped_file.h, from CsvChunkReader): reads stop at its size then, and one that shrinks,
// grows or is rewritten meanwhile fails naming it rather than giving rows of two versions (a
// writer still appending leaves a half-written last row that would read as a whole one).
class PlainStream final : public ByteStream {
 public:
  explicit PlainStream(std::unique_ptr<fs::ReadableFile> file) : file_(std::move(file)) {}
  size_t Read(char* out, size_t n) override {
    const size_t got = file_->ReadAt(offset_, std::span<char>(out, n));
    offset_ += static_cast<int64_t>(got);
    return got;
  }
  int64_t compressed_position() const override { return offset_; }

 private:
  std::unique_ptr<fs::ReadableFile> file_;
  int64_t offset_ = 0;
};

// Refills a compressed input block from the file.
class CompressedInput {
 public:
  explicit CompressedInput(std::unique_ptr<fs::ReadableFile> file)
      : file_(std::move(file)), buf_(kCompressedBlock) {}
  // Makes input available; false at the end of the file.
  bool Fill() {
    if (pos_ < len_) return true;
    len_ = file_->ReadAt(offset_, buf_);
    offset_ += static_cast<int64_t>(len_);
    pos_ = 0;
    return len_ > 0;
  }
  const char* data() const { return buf_.data() + pos_; }
  size_t available() const { return len_ - pos_; }
  void Consume(size_t n) { pos_ += n; }
  int64_t offset() const { return offset_ - static_cast<int64_t>(len_ - pos_); }
  const std::string& path() const { return file_->path(); }

 private:
  std::unique_ptr<fs::ReadableFile> file_;
  std::vector<char> buf_;
  size_t pos_ = 0;
  size_t len_ = 0;
  int64_t offset_ = 0;
};

class GzipStream final : public ByteStream {
 public:
  explicit GzipStream(std::unique_ptr<fs::ReadableFile> file) : in_(std::move(file)) {
    std::memset(&z_, 0, sizeof(z_));
    if (inflateInit2(&z_, 15 + 32) != Z_OK) throw IoError("cannot start a gzip decoder");
  }
  ~GzipStream() override { inflateEnd(&z_); }
  size_t Read(char* out, size_t n) override {
    size_t done = 0;
    while (done < n && !ended_) {
      if (!in_.Fill()) {
        if (member_started_) {
          throw InvalidData("truncated gzip data").With("file", in_.path());
        }
        ended_ = true;
        break;
      }
      z_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in_.data()));
      z_.avail_in = static_cast<uInt>(in_.available());
      z_.next_out = reinterpret_cast<Bytef*>(out + done);
      z_.avail_out = static_cast<uInt>(n - done);
      int rc = inflate(&z_, Z_NO_FLUSH);
      in_.Consume(in_.available() - z_.avail_in);
      done = n - z_.avail_out;
      member_started_ = true;
      if (rc == Z_STREAM_END) {
        member_started_ = false;
        inflateReset(&z_);  // another member may follow
      } else if (rc != Z_OK && rc != Z_BUF_ERROR) {
        throw InvalidData("corrupt gzip data: {}", z_.msg != nullptr ? z_.msg : "inflate failed")
            .With("file", in_.path())
            .With("offset", std::to_string(in_.offset()));
      }
    }
    return done;
  }
  int64_t compressed_position() const override { return in_.offset(); }

 private:
  CompressedInput in_;
  z_stream z_;
  bool member_started_ = false;
  bool ended_ = false;
};

class ZstdStream final : public ByteStream {
 public:
  explicit ZstdStream(std::unique_ptr<fs::ReadableFile> file)
      : in_(std::move(file)), ctx_(ZSTD_createDCtx()) {
    if (ctx_ == nullptr) throw IoError("cannot start a zstd decoder");
  }
  ~ZstdStream() override { ZSTD_freeDCtx(ctx_); }
  size_t Read(char* out, size_t n) override {
    ZSTD_outBuffer output{out, n, 0};
    while (output.pos < n) {
      if (!in_.Fill()) {
        if (frame_open_) throw InvalidData("truncated zstd data").With("file", in_.path());
        break;
      }
      ZSTD_inBuffer input{in_.data(), in_.available(), 0};
      size_t rc = ZSTD_decompressStream(ctx_, &output, &input);
      in_.Consume(input.pos);
      if (ZSTD_isError(rc)) {
        throw InvalidData("corrupt zstd data: {}", ZSTD_getErrorName(rc))
            .With("file", in_.path())
            .With("offset", std::to_string(in_.offset()));
      }
      frame_open_ = rc != 0;
    }
    return output.pos;
  }
  int64_t compressed_position() const override { return in_.offset(); }

 private:
  CompressedInput in_;
  ZSTD_DCtx* ctx_;
  bool frame_open_ = false;
};

}  // namespace

Compression DetectCompression(fs::ReadableFile& file) {
  unsigned char magic[4] = {0, 0, 0, 0};
  size_t n = file.ReadAt(0, std::span<char>(reinterpret_cast<char*>(magic), 4));
  if (n >= 2 && magic[0] == 0x1f && magic[1] == 0x8b) return Compression::kGzip;
  if (n >= 4 && magic[0] == 0x28 && magic[1] == 0xb5 && magic[2] == 0x2f && magic[3] == 0xfd) {
    return Compression::kZstd;
  }
  return Compression::kNone;
}

std::unique_ptr<ByteStream> OpenByteStream(std::unique_ptr<fs::ReadableFile> file) {
  switch (DetectCompression(*file)) {
    case Compression::kGzip:
      return std::make_unique<GzipStream>(std::move(file));
    case Compression::kZstd:
      return std::make_unique<ZstdStream>(std::move(file));
    case Compression::kNone:
      break;
  }
  return std::make_unique<PlainStream>(std::move(file));
}

}  // namespace sluice::csv
