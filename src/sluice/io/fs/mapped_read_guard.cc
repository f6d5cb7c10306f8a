#include "sluice/io/fs/mapped_read_guard.h"

#include <signal.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <cstring>
#include <mutex>

namespace sluice::fs {
namespace {

// Views in flight are bounded by the memory budget (4 MiB chunks); past this, unguarded.
constexpr int kSlots = 4096;

struct Slot {
  std::atomic<bool> used{false};
  std::atomic<uintptr_t> begin{0};  // 0: not (yet) a range; set last, cleared first
  std::atomic<uintptr_t> end{0};
  std::atomic<const char*> path{nullptr};
  std::atomic<int64_t> file_bytes{0};
};

std::array<Slot, kSlots> slots;
struct sigaction previous_action;

// Async-signal-safe appends to a fixed buffer.
struct Line {
  char text[4096 + 512];
  size_t size = 0;
  void Add(const char* s) {
    if (s == nullptr) s = "?";
    for (; *s != '\0' && size < sizeof(text) - 1; ++s) text[size++] = *s;
  }
  void Add(int64_t n) {
    char digits[24];
    int count = 0;
    uint64_t v = n < 0 ? 0 : static_cast<uint64_t>(n);
    do {
      digits[count++] = static_cast<char>('0' + v % 10);
      v /= 10;
    } while (v != 0);
    while (count > 0 && size < sizeof(text) - 1) text[size++] = digits[--count];
  }
};

[[noreturn]] void ReportAndExit(const Slot& slot) {
  Line line;
  line.Add("sluice: invalid data: input ");
  line.Add(slot.path.load());
  line.Add(" changed while it was read: was ");
  line.Add(slot.file_bytes.load());
  line.Add(
      " bytes, now truncated under a mapped read; stopped at once, nothing of it was "
      "committed (file ");
  line.Add(slot.path.load());
  line.Add(
      ", what to do let whatever writes it finish (or read a copy) and run the command "
      "again)\n");
  [[maybe_unused]] ssize_t written = ::write(STDERR_FILENO, line.text, line.size);
  ::_exit(1);
}

void OnSigbus(int signal, siginfo_t* info, void* context) {
  const auto address = reinterpret_cast<uintptr_t>(info->si_addr);
  for (const Slot& slot : slots) {
    const uintptr_t begin = slot.begin.load(std::memory_order_acquire);
    if (begin != 0 && address >= begin && address < slot.end.load()) ReportAndExit(slot);
  }
  if ((previous_action.sa_flags & SA_SIGINFO) != 0 && previous_action.sa_sigaction != nullptr) {
    previous_action.sa_sigaction(signal, info, context);
    return;
  }
  if (previous_action.sa_handler != SIG_DFL && previous_action.sa_handler != SIG_IGN) {
    previous_action.sa_handler(signal);
    return;
  }
  // The default action: dies of the signal (a fault would only recur on return).
  ::signal(signal, SIG_DFL);
  ::raise(signal);
}

void InstallHandlerOnce() {
  static std::once_flag once;
  std::call_once(once, [] {
    struct sigaction action {};
    action.sa_sigaction = OnSigbus;
    action.sa_flags = SA_SIGINFO | SA_ONSTACK;
    sigemptyset(&action.sa_mask);
    ::sigaction(SIGBUS, &action, &previous_action);
  });
}

}  // namespace

MappedReadGuard::MappedReadGuard(const void* begin, size_t size, std::string path,
                                 int64_t file_bytes)
    : path_(std::move(path)) {
  if (size == 0) return;
  InstallHandlerOnce();
  for (int i = 0; i < kSlots; ++i) {
    Slot& slot = slots[static_cast<size_t>(i)];
    if (slot.used.exchange(true)) continue;
    slot.path = path_.c_str();
    slot.file_bytes = file_bytes;
    slot.end = reinterpret_cast<uintptr_t>(begin) + size;
    slot.begin.store(reinterpret_cast<uintptr_t>(begin), std::memory_order_release);
    slot_ = i;
    return;
  }
}

MappedReadGuard::~MappedReadGuard() {
  if (slot_ < 0) return;
  Slot& slot = slots[static_cast<size_t>(slot_)];
  slot.begin.store(0, std::memory_order_release);
  slot.end = 0;
  slot.path = nullptr;
  slot.used.store(false);
}

}  // namespace sluice::fs
