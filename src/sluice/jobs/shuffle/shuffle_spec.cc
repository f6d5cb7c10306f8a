#include "sluice/jobs/shuffle/shuffle_spec.h"

#include <fmt/format.h>

#include <cctype>
#include <nlohmann/json.hpp>

#include "sluice/base/error.h"
#include "sluice/jobs/shuffle/shuffle_plan.h"
#include "sluice/table/xxhash64.h"

namespace sluice::shuffle {

std::string ShuffleSpec::ToJson() const {
  nlohmann::json j;
  j["shuffle"] = kind;
  j["inputs"] = inputs;
  j["input_bytes"] = input_bytes;
  j["where"] = where;
  j["keys"] = keys;
  j["aggregates"] = aggregates;
  j["order_by"] = order_by;
  j["top"] = top;
  j["per"] = per;
  j["right_inputs"] = right_inputs;
  j["right_input_bytes"] = right_input_bytes;
  j["right_keys"] = right_keys;
  j["right_where"] = right_where;
  j["how"] = how;
  j["suffix"] = suffix;
  j["output"] = output;
  j["work_dir"] = work_dir;
  j["map_bytes"] = map_bytes;
  j["partitions"] = partitions;
  j["min_reducers"] = min_reducers;
  j["advisory_bytes"] = advisory_bytes;
  j["stages"] = Stages();  // for sluice status (job_status.h)
  return j.dump();
}

ShuffleSpec ShuffleSpec::FromJson(const std::string& json) {
  ShuffleSpec s;
  try {
    const nlohmann::json j = nlohmann::json::parse(json);
    j.at("shuffle").get_to(s.kind);
    j.at("inputs").get_to(s.inputs);
    j.at("input_bytes").get_to(s.input_bytes);
    j.at("where").get_to(s.where);
    j.at("keys").get_to(s.keys);
    j.at("aggregates").get_to(s.aggregates);
    j.at("order_by").get_to(s.order_by);
    s.top = j.value("top", int64_t{-1});  // absent in the specs of versions before top-N
    s.per = j.value("per", std::vector<std::string>{});
    j.at("right_inputs").get_to(s.right_inputs);
    j.at("right_input_bytes").get_to(s.right_input_bytes);
    j.at("right_keys").get_to(s.right_keys);
    j.at("right_where").get_to(s.right_where);
    j.at("how").get_to(s.how);
    j.at("suffix").get_to(s.suffix);
    j.at("output").get_to(s.output);
    j.at("work_dir").get_to(s.work_dir);
    j.at("map_bytes").get_to(s.map_bytes);
    j.at("partitions").get_to(s.partitions);
    j.at("min_reducers").get_to(s.min_reducers);
    j.at("advisory_bytes").get_to(s.advisory_bytes);
  } catch (const nlohmann::json::exception& e) {
    throw InvalidArgument("the job's stored shuffle spec is not readable: {}", e.what());
  }
  if (s.inputs.size() != s.input_bytes.size() ||
      s.right_inputs.size() != s.right_input_bytes.size()) {
    throw InvalidArgument("the job's stored shuffle spec lists inputs and sizes of other counts");
  }
  return s;
}

std::vector<std::string> ShuffleSpec::Stages() const {
  if (kind == kSortJobKind && !IsTopN())
    return {kSampleStage, kMapStage, kReduceStage, kGatherStage};
  return {kMapStage, kReduceStage, kGatherStage};
}

std::string ShuffleSpec::DefaultWorkDir(const std::string& output) {
  return output + ".sluice-shuffle";
}

std::string ShuffleSpec::JobName() const {
  // One word (launchers and scripts pass it on): the output's file name, characters beyond
  // [A-Za-z0-9._-] replaced, and a hash of the whole spec, so other work gets another name.
  std::string file = output.substr(output.find_last_of('/') + 1);
  for (char& c : file) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-') c = '_';
  }
  const std::string whole = ToJson();
  return fmt::format("{}-{}-{:08x}", kind, file,
                     static_cast<uint32_t>(XxHash64(whole.data(), whole.size(), 0)));
}

}  // namespace sluice::shuffle
