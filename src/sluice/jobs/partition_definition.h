// Typed partition definitions. Every partition carries a definition in the ledger
// (PartitionSpec::definition_json) that a worker anywhere reads back to know its work. Each kind
// of partition has one struct for it with one ToJson and one FromJson (HivePartition,
// ChunkPartition, FilePartition...), so the fields are named in one place; ReadDefinition is the
// FromJson side's one way to turn a malformed definition into an error.
//
// Thread safety: pure functions.
#pragma once

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>

#include "sluice/base/error.h"

namespace sluice::jobs {

// read(the parsed definition); InvalidData ("not KIND: ...", with the definition) when the text
// is not JSON or lacks a field read asks for.
template <typename Read>
auto ReadDefinition(std::string_view json, std::string_view kind, Read read)
    -> decltype(read(nlohmann::json())) {
  try {
    return read(nlohmann::json::parse(json));
  } catch (const nlohmann::json::exception& e) {
    throw InvalidData("not {}: {}", kind, e.what()).With("definition", std::string(json));
  }
}

}  // namespace sluice::jobs
