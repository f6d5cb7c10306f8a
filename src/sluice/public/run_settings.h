// RunSettings (include/sluice/table_commands.h) as the flow executor's RunOptions.
//
// Thread safety: a pure function.
#pragma once

#include "sluice/flow/options.h"
#include "sluice/table_commands.h"

namespace sluice::api {

// InvalidArgument for a negative memory budget or thread count; 0 keeps RunOptions' default.
RunOptions RunOptionsOf(const RunSettings& settings);

}  // namespace sluice::api
