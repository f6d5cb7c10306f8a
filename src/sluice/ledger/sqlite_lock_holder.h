// Who holds a SQLite database's write lock, for the message a waiting process prints. SQLite takes
// POSIX record locks on fixed bytes (its documented file format): in WAL mode the write lock is
// byte 120 of the "-shm" file, in rollback mode the RESERVED byte (0x40000001) of the database
// file. The kernel's table of locks (/proc/locks) names the process that holds that byte, so the
// answer is exact, needs no bookkeeping a killed process could leave stale, and opens no file
// (closing a descriptor of a file would drop every POSIX lock this process holds on it, SQLite's
// included). WAL needs shared memory, so every process of a WAL ledger is on this host.
//
// Thread safety: any thread; reads /proc only.
#pragma once

#include <sys/types.h>

#include <filesystem>
#include <optional>
#include <string>

namespace sluice::ledger {

// The process that holds the write lock of the database at `db`, or nullopt when none does (or
// the lock table cannot be read: not Linux, or /proc not mounted).
std::optional<pid_t> WriteLockHolder(const std::filesystem::path& db);

// "pid 4242 on host h (sluice compact in out)", "this process (pid 4242, another of its
// connections)", or a sentence saying that no process on this host holds it.
std::string DescribeWriteLockHolder(const std::filesystem::path& db);

}  // namespace sluice::ledger
