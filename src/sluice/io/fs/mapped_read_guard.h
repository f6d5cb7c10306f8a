// MappedReadGuard: a truncation of a file under a mapping of it makes a read of the lost pages
// raise SIGBUS, which would kill the process with no word of why. Each mapped view of an input
// registers its address range here; a SIGBUS inside one ends the process at once with
// "sluice: invalid data: input P changed while it was read ..." on stderr and exit status 1. A
// SIGBUS anywhere else goes to the handler that was there before (or the default action).
//
// Why this and not the alternatives: stamp checks before and after each mapping (stamped_file.h)
// turn almost every change into an ordinary error, but a mapped chunk is read later by other
// threads, so no check can close the window; a sigsetjmp guard would have to wrap every reader of
// every chunk and jump over C++ frames; patching in zero pages and going on would let zeros reach
// a result unless every reader looked for them; pread instead of mmap costs the copy that mapping
// saves (about a sixth of `sluice bloom`'s CPU, docs/benchmarks.md). Ending the process is what a
// crash would do, with the file named; outputs stay unpublished as after a kill.
//
// Thread safety: ranges are registered and removed from any thread without locks (fixed slots of
// atomics), which the handler reads on the faulting thread.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>

namespace sluice::fs {

class MappedReadGuard {
 public:
  // Guards [begin, begin + size) of a mapping of `path` (`file_bytes` long when opened). Past the
  // fixed number of slots a range is left unguarded.
  MappedReadGuard(const void* begin, size_t size, std::string path, int64_t file_bytes);
  ~MappedReadGuard();
  MappedReadGuard(const MappedReadGuard&) = delete;
  MappedReadGuard& operator=(const MappedReadGuard&) = delete;

 private:
  std::string path_;
  int slot_ = -1;
};

}  // namespace sluice::fs
