// The fault injection shim: a test-only shared library, loaded with LD_PRELOAD into a `sluice`
// process, that makes the libc calls touching one kind of file fail as a failing disk would. It
// interposes the calls sluice and SQLite make (SQLite's VFS calls these same symbols, bound at
// load time, so the ledger's files are reached too):
//
//   write   write, pwrite, writev, fwrite          fsync   fsync, fdatasync
//   read    read, pread                            mmap    mmap of a file
//   rename  rename, renameat, renameat2 (either)   open    open, openat, fopen
// (and their 64-bit names, the same calls on a 64-bit system).
//
// Configured by the environment, read once at load:
//   SLUICE_FAULT_OP     one of the operations above (nothing is injected without it)
//   SLUICE_FAULT_PATH   a substring of the file's path (for fd calls, the path the fd is open on)
//   SLUICE_FAULT_NTH    the first matching call to fail, 1-based (default 1); every later matching
//                       call fails too, as a full or broken disk stays so until someone fixes it
//   SLUICE_FAULT_ERRNO  ENOSPC, EIO or EACCES (default EIO)
//   SLUICE_FAULT_LOG    a file that gets one line per injected failure ("write #3 /path: EIO"),
//                       so a test can tell that its fault was met
//   SLUICE_FAULT_CHANGE instead of failing, the Nth matching call (only that one) first changes
//                       the file as another process would, then goes on: "truncate:BYTES" cuts it
//                       to BYTES, "grow:ROWS" appends ROWS lines "1,1,grown", "remove" unlinks it
//                       (an input that changes while it is read)
//
// The fault is the loaded process's own, known by its pid (SLUICE_FAULT_PID, set at the first
// load): an exec keeps the pid, so when sluice re-executes itself at start (base/heap_tuning.h)
// its new image fails as the first would have. The commands that sluice runs (batch and run
// tasks) have pids of their own: the shim loads there idle and takes itself out of LD_PRELOAD,
// so theirs do not load it at all.
//
// Thread safety: any thread; the call counter is atomic and the configuration is read-only after
// load.
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <string>

namespace {

struct FaultConfig {
  std::string op;
  std::string path;
  long nth = 1;
  int error = EIO;
  std::string log;
  std::string change;  // "truncate:BYTES", "grow:ROWS" or "remove"; empty: fail the call
};

FaultConfig& Config() {
  static FaultConfig config;
  return config;
}

std::atomic<long> matched_calls{0};

int ErrnoByName(const char* name) {
  if (name == nullptr) return EIO;
  if (strcmp(name, "ENOSPC") == 0) return ENOSPC;
  if (strcmp(name, "EACCES") == 0) return EACCES;
  return EIO;
}

const char* ErrnoName(int error) {
  return error == ENOSPC ? "ENOSPC" : error == EACCES ? "EACCES" : "EIO";
}

__attribute__((constructor)) void LoadFaultConfig() {
  const std::string pid = std::to_string(getpid());
  const char* owner = getenv("SLUICE_FAULT_PID");
  if (owner != nullptr && pid != owner) {
    unsetenv("LD_PRELOAD");
    return;
  }
  setenv("SLUICE_FAULT_PID", pid.c_str(), 1);
  FaultConfig& config = Config();
  if (const char* op = getenv("SLUICE_FAULT_OP")) config.op = op;
  if (const char* path = getenv("SLUICE_FAULT_PATH")) config.path = path;
  if (const char* nth = getenv("SLUICE_FAULT_NTH")) config.nth = strtol(nth, nullptr, 10);
  config.error = ErrnoByName(getenv("SLUICE_FAULT_ERRNO"));
  if (const char* log = getenv("SLUICE_FAULT_LOG")) config.log = log;
  if (const char* change = getenv("SLUICE_FAULT_CHANGE")) config.change = change;
}

template <typename Fn>
Fn Next(const char* name) {
  return reinterpret_cast<Fn>(dlsym(RTLD_NEXT, name));
}

std::string PathOfFd(int fd) {
  char link[64];
  snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
  char target[4096];
  ssize_t n = readlink(link, target, sizeof(target) - 1);
  return n < 0 ? std::string() : std::string(target, static_cast<size_t>(n));
}

// Appends one line to the log with raw open/write calls (never the interposed ones).
void LogFault(const char* op, long call, const std::string& path) {
  const FaultConfig& config = Config();
  if (config.log.empty()) return;
  static auto real_open = Next<int (*)(const char*, int, ...)>("open");
  static auto real_write = Next<ssize_t (*)(int, const void*, size_t)>("write");
  int fd = real_open(config.log.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) return;
  std::string line = std::string(op) + " #" + std::to_string(call) + " " + path + ": " +
                     (config.change.empty() ? ErrnoName(config.error) : config.change) + "\n";
  [[maybe_unused]] ssize_t written = real_write(fd, line.data(), line.size());
  close(fd);
}

// Changes the file at `path` as SLUICE_FAULT_CHANGE says, with calls the shim does not count.
void ChangeFile(const std::string& change, const std::string& path) {
  static auto real_open = Next<int (*)(const char*, int, ...)>("open");
  static auto real_write = Next<ssize_t (*)(int, const void*, size_t)>("write");
  const size_t colon = change.find(':');
  const long amount = strtol(change.c_str() + colon + 1, nullptr, 10);
  if (change == "remove") {
    unlink(path.c_str());
    return;
  }
  if (change.starts_with("truncate:")) {
    [[maybe_unused]] int rc = truncate(path.c_str(), amount);
    return;
  }
  int fd = real_open(path.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
  if (fd < 0) return;
  std::string rows;
  for (long i = 0; i < amount; ++i) rows += "1,1,grown\n";
  [[maybe_unused]] ssize_t written = real_write(fd, rows.data(), rows.size());
  close(fd);
}

// Whether this call on `path` fails; sets errno when it does. Counts only matching calls. With
// SLUICE_FAULT_CHANGE the Nth call changes the file instead and never fails.
bool Inject(const char* op, const std::string& path) {
  const FaultConfig& config = Config();
  if (config.op != op || path.empty() || path.find(config.path) == std::string::npos) {
    return false;
  }
  long call = ++matched_calls;
  if (call < config.nth) return false;
  if (!config.change.empty()) {
    if (call == config.nth) {
      LogFault(op, call, path);
      ChangeFile(config.change, path);
    }
    return false;
  }
  LogFault(op, call, path);
  errno = config.error;
  return true;
}

bool InjectFd(const char* op, int fd) {
  if (Config().op != op) return false;  // no readlink on the hot path of other operations
  return Inject(op, PathOfFd(fd));
}

bool InjectPath(const char* op, const char* path) {
  if (Config().op != op || path == nullptr) return false;
  return Inject(op, path);
}

std::string PathAt(int dirfd, const char* path) {
  if (path[0] == '/' || dirfd == AT_FDCWD) return path;
  return PathOfFd(dirfd) + "/" + path;
}

bool InjectAt(const char* op, int dirfd, const char* path) {
  if (Config().op != op || path == nullptr) return false;
  return Inject(op, PathAt(dirfd, path));
}

// A rename is one call whichever of its paths matches (the source when both do).
bool InjectRename(int from_dir, const char* from, int to_dir, const char* to) {
  const FaultConfig& config = Config();
  if (config.op != "rename" || from == nullptr || to == nullptr) return false;
  std::string source = PathAt(from_dir, from);
  if (source.find(config.path) != std::string::npos) return Inject("rename", source);
  return Inject("rename", PathAt(to_dir, to));
}

// open's mode argument is there only when the flags create a file.
mode_t ModeOf(int flags, va_list args) {
  return (flags & (O_CREAT | O_TMPFILE)) != 0 ? static_cast<mode_t>(va_arg(args, int)) : 0;
}

}  // namespace

extern "C" {

ssize_t write(int fd, const void* buf, size_t count) {
  static auto real = Next<ssize_t (*)(int, const void*, size_t)>("write");
  if (InjectFd("write", fd)) return -1;
  return real(fd, buf, count);
}

ssize_t pwrite(int fd, const void* buf, size_t count, off_t offset) {
  static auto real = Next<ssize_t (*)(int, const void*, size_t, off_t)>("pwrite");
  if (InjectFd("write", fd)) return -1;
  return real(fd, buf, count, offset);
}

ssize_t writev(int fd, const struct iovec* iov, int iovcnt) {
  static auto real = Next<ssize_t (*)(int, const struct iovec*, int)>("writev");
  if (InjectFd("write", fd)) return -1;
  return real(fd, iov, iovcnt);
}

size_t fwrite(const void* ptr, size_t size, size_t n, FILE* stream) {
  static auto real = Next<size_t (*)(const void*, size_t, size_t, FILE*)>("fwrite");
  if (InjectFd("write", fileno(stream))) return 0;
  return real(ptr, size, n, stream);
}

int fsync(int fd) {
  static auto real = Next<int (*)(int)>("fsync");
  if (InjectFd("fsync", fd)) return -1;
  return real(fd);
}

int fdatasync(int fd) {
  static auto real = Next<int (*)(int)>("fdatasync");
  if (InjectFd("fsync", fd)) return -1;
  return real(fd);
}

ssize_t read(int fd, void* buf, size_t count) {
  static auto real = Next<ssize_t (*)(int, void*, size_t)>("read");
  if (InjectFd("read", fd)) return -1;
  return real(fd, buf, count);
}

ssize_t pread(int fd, void* buf, size_t count, off_t offset) {
  static auto real = Next<ssize_t (*)(int, void*, size_t, off_t)>("pread");
  if (InjectFd("read", fd)) return -1;
  return real(fd, buf, count, offset);
}

void* mmap(void* addr, size_t length, int prot, int flags, int fd, off_t offset) {
  static auto real = Next<void* (*)(void*, size_t, int, int, int, off_t)>("mmap");
  if (fd >= 0 && (flags & MAP_ANONYMOUS) == 0 && InjectFd("mmap", fd)) return MAP_FAILED;
  return real(addr, length, prot, flags, fd, offset);
}

int rename(const char* from, const char* to) {
  static auto real = Next<int (*)(const char*, const char*)>("rename");
  if (InjectRename(AT_FDCWD, from, AT_FDCWD, to)) return -1;
  return real(from, to);
}

int renameat(int from_dir, const char* from, int to_dir, const char* to) {
  static auto real = Next<int (*)(int, const char*, int, const char*)>("renameat");
  if (InjectRename(from_dir, from, to_dir, to)) return -1;
  return real(from_dir, from, to_dir, to);
}

int renameat2(int from_dir, const char* from, int to_dir, const char* to, unsigned flags) {
  static auto real = Next<int (*)(int, const char*, int, const char*, unsigned)>("renameat2");
  if (InjectRename(from_dir, from, to_dir, to)) return -1;
  return real(from_dir, from, to_dir, to, flags);
}

int open(const char* path, int flags, ...) {
  static auto real = Next<int (*)(const char*, int, ...)>("open");
  va_list args;
  va_start(args, flags);
  mode_t mode = ModeOf(flags, args);
  va_end(args);
  if (InjectPath("open", path)) return -1;
  return real(path, flags, mode);
}

int openat(int dirfd, const char* path, int flags, ...) {
  static auto real = Next<int (*)(int, const char*, int, ...)>("openat");
  va_list args;
  va_start(args, flags);
  mode_t mode = ModeOf(flags, args);
  va_end(args);
  if (InjectAt("open", dirfd, path)) return -1;
  return real(dirfd, path, flags, mode);
}

FILE* fopen(const char* path, const char* mode) {
  static auto real = Next<FILE* (*)(const char*, const char*)>("fopen");
  if (InjectPath("open", path)) return nullptr;
  return real(path, mode);
}

// The 64-bit names are the same calls on a 64-bit system.
ssize_t pwrite64(int, const void*, size_t, off64_t) __attribute__((alias("pwrite")));
ssize_t pread64(int, void*, size_t, off64_t) __attribute__((alias("pread")));
void* mmap64(void*, size_t, int, int, int, off64_t) __attribute__((alias("mmap")));
int open64(const char*, int, ...) __attribute__((alias("open")));
int openat64(int, const char*, int, ...) __attribute__((alias("openat")));
FILE* fopen64(const char*, const char*) __attribute__((alias("fopen")));

}  // extern "C"
