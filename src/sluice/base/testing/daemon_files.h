// Files of the test servers' daemons (the S3 gateway, the Slurm cluster): the end of a log for an
// error message, and the scratch directories of test processes that died without their
// destructors (their daemons died with them), named /tmp/<prefix><pid>-...
//
// Thread safety: free functions; RemoveDirectoriesOfDeadProcesses races only with another test
// process removing the same directories, which it tolerates.
#pragma once

#include <cstddef>
#include <filesystem>
#include <string>
#include <string_view>

namespace sluice::testing {

// The last `bytes` bytes of the file; empty when it cannot be read.
std::string FileTail(const std::filesystem::path& path, size_t bytes);

// Removes /tmp/<prefix><pid>-* whose process <pid> is gone (never this process's).
void RemoveDirectoriesOfDeadProcesses(std::string_view prefix);

}  // namespace sluice::testing
