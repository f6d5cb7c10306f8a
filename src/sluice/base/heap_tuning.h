// TuneHeapForStreaming: sets glibc malloc up for a process that hands large buffers (hundreds of
// KiB to a few MiB: file chunks, row groups, batches) from one thread to another at a high rate.
//
// glibc's defaults serve such buffers from fresh mmaps or trim them back to the system soon
// after they are freed, so the next buffer of the same size faults every page in again: on the
// demo pipeline a third of all CPU time went to page faults and the zeroing behind them. Tuned,
// a freed buffer is reused as it is, which is what jemalloc (DuckDB's and Polars' allocator)
// does by default:
// - buffers below 32 MiB come from the heap, not from an mmap each (fixed threshold);
// - a heap keeps up to 64 MiB free at its top instead of trimming it away;
// - one arena, so the memory kept for reuse stays near what the memory budget admits rather
//   than growing with every I/O thread (each arena keeps what its threads freed). Buffers are
//   allocated per chunk, not per value, so threads hardly ever contend for it: on the demo one
//   arena ran as fast as two, with 96 instead of 131 MB peak RSS.
// Buffers of 32 MiB and more still get their own mapping and go back when freed.
//
// Applies once per process; a user who set malloc tunables (GLIBC_TUNABLES with "malloc", or a
// MALLOC_*_ variable) keeps them. Returns whether this call or an earlier one tuned the heap.
//
// Thread safety: may be called from any thread, any number of times.
//
// RestartWithHugePageHeap: the heap itself on transparent huge pages. Column buffers of a few
// hundred KiB come from the heap, so a job's first touch of its working set (the sort's chunks,
// decoded row groups) is one page fault per 4 KiB: 140,000 faults and 11% of the CPU of a sorted
// compaction on a virtual machine. glibc advises its heap as huge pages only when the
// glibc.malloc.hugetlb tunable is set as the process starts (mallopt has no such option), so
// this re-executes the program once, with that tunable added to GLIBC_TUNABLES; the new image
// puts the environment back as it was, so the programs sluice starts do not inherit it. Returns
// at once, doing nothing, when the tunable is in force, when the user set malloc tunables, when
// the kernel's transparent huge pages are off, under a sanitizer's allocator, or when the exec
// fails. Call it first thing in main, before any thread starts; `argv` is main's.
#pragma once

namespace sluice {

bool TuneHeapForStreaming();

void RestartWithHugePageHeap(char** argv);

// Whether the kernel gives transparent huge pages to memory advised so ("always" or "madvise").
bool TransparentHugePagesOn();

}  // namespace sluice
