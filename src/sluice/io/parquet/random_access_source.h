// RandomAccessSource: the minimal ranged-read view of a file the Parquet reader needs (size and
// positioned reads), with a local-file implementation (pread) and an in-memory one for tests
// and fuzzing. io/fs's FileSystem will provide sources for other stores behind this interface.
//
// Ownership: LocalFileSource owns its descriptor; MemorySource borrows its bytes, which must
// outlive it. Thread safety: ReadAt and Size may be called concurrently on one source.
#pragma once

#include <cstdint>
#include <memory>
#include <span>
#include <string>

namespace sluice::parquet {

class RandomAccessSource {
 public:
  virtual ~RandomAccessSource() = default;
  // The name errors carry as their "file" context (a path or URL).
  virtual const std::string& name() const = 0;
  virtual int64_t Size() = 0;
  // Fills `out` from `offset`; InvalidData when the range passes the end, IoError on failure.
  virtual void ReadAt(int64_t offset, std::span<uint8_t> out) = 0;
};

class LocalFileSource final : public RandomAccessSource {
 public:
  // NotFound when the path does not exist, IoError on other failures.
  static std::unique_ptr<LocalFileSource> Open(const std::string& path);
  ~LocalFileSource() override;
  LocalFileSource(const LocalFileSource&) = delete;
  LocalFileSource& operator=(const LocalFileSource&) = delete;

  const std::string& name() const override { return path_; }
  int64_t Size() override { return size_; }
  void ReadAt(int64_t offset, std::span<uint8_t> out) override;

 private:
  LocalFileSource(std::string path, int fd, int64_t size);

  std::string path_;
  int fd_;
  int64_t size_;
};

class MemorySource final : public RandomAccessSource {
 public:
  explicit MemorySource(std::span<const uint8_t> data, std::string name = "<memory>")
      : data_(data), name_(std::move(name)) {}

  const std::string& name() const override { return name_; }
  int64_t Size() override { return static_cast<int64_t>(data_.size()); }
  void ReadAt(int64_t offset, std::span<uint8_t> out) override;

 private:
  std::span<const uint8_t> data_;
  std::string name_;
};

}  // namespace sluice::parquet
