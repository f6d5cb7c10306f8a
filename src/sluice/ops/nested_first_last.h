// first()/last() of a nested column (list, large list, fixed-size list, struct, map): per group
// the stream position of the row kept and where its value sits, in arrays of values this state
// owns. Each Update takes the batch's winning rows into one fresh array (so the input batch is
// not pinned); a Merge shares the other state's arrays. When the arrays hold more rows than
// twice the groups (last() replaces values batch after batch), the live values are gathered into
// one array again. Values travel whole, as Take and Concat copy them.
//
// Thread safety: an Aggregator is used by one thread at a time (aggregate.h); a state merged from
// is only read, and the arrays it shares are immutable.
#pragma once

#include <memory>

#include "sluice/ops/aggregate.h"

namespace sluice {

// type: a nested type (DataType::is_nested).
std::unique_ptr<Aggregator> MakeNestedFirstLast(const DataType& type, bool last);

}  // namespace sluice
