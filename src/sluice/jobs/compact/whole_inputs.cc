#include "sluice/jobs/compact/whole_inputs.h"

#include <algorithm>
#include <atomic>
#include <exception>
#include <future>
#include <mutex>
#include <optional>

#include "sluice/io/fs/file_system_for.h"
#include "sluice/io/fs/s3_url.h"
#include "sluice/io/parquet/fetched_bytes_source.h"
#include "sluice/jobs/compact/listed_input.h"

namespace sluice::compact {
namespace {

constexpr size_t kFetchesAtOnce = 16;

}  // namespace

bool FetchedWhole(const InputFile& file) {
  return fs::IsS3Url(file.path) && file.size <= kWholeInputBytes;
}

void FetchWholeInputs(const std::vector<InputFile>& files, const std::vector<RowGroupRef>& inputs,
                      MemoryGate& gate, const CancellationToken& cancel, MemoryGate::Hold& hold,
                      std::map<int, std::unique_ptr<parquet::RandomAccessSource>>& sources) {
  int64_t kept = 0, wanted = 0;
  std::vector<int> whole;
  for (const auto& [i, source] : sources) {
    if (FetchedWhole(files[static_cast<size_t>(i)])) kept += files[static_cast<size_t>(i)].size;
  }
  for (const RowGroupRef& ref : inputs) {
    const int i = ref.file;
    const InputFile& file = files[static_cast<size_t>(i)];
    // Past the share's limit a file is read where it lies, chunk by chunk, as a local one is.
    if (!FetchedWhole(file) || sources.contains(i) || kept + wanted + file.size > gate.limit() ||
        std::find(whole.begin(), whole.end(), i) != whole.end()) {
      continue;
    }
    whole.push_back(i);
    wanted += file.size;
  }
  if (hold.bytes() > kept) hold.Resize(kept);  // what the last row group alone needed goes back
  if (whole.empty()) return;
  if (std::optional<MemoryGate::Hold> more = gate.TryAcquire(wanted)) {
    hold.Absorb(std::move(*more));
  } else {
    std::erase_if(sources, [&](const auto& source) {
      if (!FetchedWhole(files[static_cast<size_t>(source.first)])) return false;
      whole.push_back(source.first);
      return true;
    });
    hold.Release();
    hold = gate.Acquire(kept + wanted, cancel);
  }
  std::vector<std::unique_ptr<parquet::RandomAccessSource>> fetched(whole.size());
  std::atomic<size_t> next{0};
  std::mutex mu;
  std::exception_ptr first_error;
  auto fetch_some = [&] {
    for (size_t k = next++; k < whole.size(); k = next++) {
      try {
        cancel.ThrowIfCancelled();
        const InputFile& file = files[static_cast<size_t>(whole[k])];
        // One read of the whole object, straight into the buffer.
        fetched[k] = std::make_unique<parquet::FetchedBytesSource>(
            file.path, fs::ReadWholeFileBytes(*fs::FileSystemFor(file.path), file.path));
        CheckListedInput(file, *fetched[k]);
      } catch (...) {
        std::lock_guard lock(mu);
        if (!first_error) first_error = std::current_exception();
        next = whole.size();  // the row group fails: fetch no more
      }
    }
  };
  std::vector<std::future<void>> helpers;
  for (size_t t = 1; t < std::min(kFetchesAtOnce, whole.size()); ++t) {
    helpers.push_back(std::async(std::launch::async, fetch_some));
  }
  fetch_some();
  for (std::future<void>& helper : helpers) helper.get();
  if (first_error) std::rethrow_exception(first_error);
  for (size_t k = 0; k < whole.size(); ++k) sources[whole[k]] = std::move(fetched[k]);
}

}  // namespace sluice::compact
