// first()/last() of a string or binary column: per group the value's bytes in an arena, their
// length and validity, and the stream position of the row they came from, in flat arrays. The
// general first()/last() keeps an encoded std::string per group, two to three times the memory
// and a key encoding of every input row; a distinct over a few string payload columns spent
// most of its merge there.
//
// Thread safety: an Aggregator is used by one thread at a time (aggregate.h).
#pragma once

#include <memory>

#include "sluice/ops/aggregate.h"

namespace sluice {

// type: string or binary.
std::unique_ptr<Aggregator> MakeBinaryFirstLast(const DataType& type, bool last);

}  // namespace sluice
