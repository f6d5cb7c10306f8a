// TemporaryPathFor: the name a file is written under before it is renamed onto its target, so a
// reader never sees it half-written: a hidden sibling of the target (same directory, hence the
// same file system, so the rename is atomic), unique per process and call.
//
// Thread safety: may be called from any thread.
#pragma once

#include <string>

namespace sluice {

// "dir/.name.tmp-PID-N" for "dir/name".
std::string TemporaryPathFor(const std::string& path);

}  // namespace sluice
