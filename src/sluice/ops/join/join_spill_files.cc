#include "sluice/ops/join/join_spill_files.h"

#include "sluice/base/check.h"

namespace sluice {
namespace {

// A column chunk's metadata as the Parquet writer keeps it until the file is closed (measured at
// about 1.8 KiB with its strings and vectors), with room to spare.
constexpr int64_t kColumnChunkMetadataBytes = 4 << 10;

}  // namespace

JoinSpillFiles::JoinSpillFiles(SpillDirectory& directory, std::string stem,
                               std::shared_ptr<const Schema> schema, int writers)
    : directory_(directory),
      stem_(std::move(stem)),
      schema_(std::move(schema)),
      slots_(static_cast<size_t>(std::max(writers, 1))) {
  for (Slot& slot : slots_) free_.push_back(&slot);
}

JoinSpillFiles::~JoinSpillFiles() = default;

int64_t JoinSpillFiles::WriterBytes(int64_t block_bytes, int columns) {
  // The page, its compressed copy and the compressed column chunk, each at most about a block;
  // and every row group's column chunk metadata until the file is finished.
  return 3 * block_bytes +
         kBlocksPerFile * static_cast<int64_t>(columns) * kColumnChunkMetadataBytes;
}

JoinSpillFiles::Address JoinSpillFiles::Write(const RecordBatch& block) {
  SLUICE_CHECK_GT(block.num_rows(), 0);
  Slot* slot = nullptr;
  {
    std::unique_lock lock(mu_);
    free_cv_.wait(lock, [this] { return !free_.empty(); });
    slot = free_.back();
    free_.pop_back();
    if (slot->writer == nullptr) {
      slot->file = next_file_++;
      slot->blocks = 0;
    }
  }
  // Returns the slot whatever happens, so an error does not leave other writers waiting.
  struct Release {
    JoinSpillFiles* files;
    Slot* slot;
    ~Release() {
      std::lock_guard lock(files->mu_);
      files->free_.push_back(slot);
      files->free_cv_.notify_one();
    }
  } release{this, slot};
  if (slot->writer == nullptr) {
    slot->writer = std::make_unique<SpillRunWriter>(directory_, stem_, schema_);
  }
  const Address address{slot->file, slot->blocks};
  slot->writer->Write(block);
  if (++slot->blocks == kBlocksPerFile) FinishSlot(*slot);
  return address;
}

void JoinSpillFiles::FinishSlot(Slot& slot) {
  SpillRun run = slot.writer->Finish();
  slot.writer.reset();
  std::lock_guard lock(mu_);
  if (runs_.size() <= static_cast<size_t>(slot.file))
    runs_.resize(static_cast<size_t>(slot.file) + 1);
  runs_[static_cast<size_t>(slot.file)] = std::move(run);
}

std::vector<SpillRun> JoinSpillFiles::Finish() {
  for (Slot& slot : slots_) {
    if (slot.writer != nullptr) FinishSlot(slot);
  }
  std::lock_guard lock(mu_);
  runs_.resize(static_cast<size_t>(next_file_));
  return std::move(runs_);
}

}  // namespace sluice
