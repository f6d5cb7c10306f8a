#include "sluice/jobs/run/command_job_spec.h"

#include <nlohmann/json.hpp>

#include "sluice/base/error.h"
#include "sluice/jobs/job_spec.h"

namespace sluice::jobs {

std::string CommandJobSpec::ToJson() const {
  nlohmann::json limits = nlohmann::json::object();
  for (const ledger::ResourceLimit& r : resources) limits[r.name] = r.limit;
  std::string json = nlohmann::json{
      {"command", command},
      {"fields", fields},
      {"partition_by", partition_by},
      {"output", output_root.string()},
      {"max_attempts", max_attempts},
      {"on_failure", stop_on_failure ? "fail" : "continue"},
      {"limits", limits}}.dump();
  return StampJobSpec(kCommandJobKind, json);
}

CommandJobSpec CommandJobSpec::FromJson(std::string_view json, std::string_view job_name) {
  try {
    auto j = nlohmann::json::parse(json);
    CommandJobSpec spec;
    spec.command = j.at("command").get<std::vector<std::string>>();
    for (const auto& f : j.at("fields")) spec.fields.insert(f.get<std::string>());
    spec.partition_by = j.at("partition_by").get<std::string>();
    spec.output_root = j.at("output").get<std::string>();
    spec.max_attempts = j.at("max_attempts").get<int64_t>();
    spec.stop_on_failure = j.at("on_failure").get<std::string>() == "fail";
    if (j.contains("limits")) {  // absent in jobs created before limits existed
      for (const auto& [name, limit] : j.at("limits").items()) {
        spec.resources.push_back({name, limit.get<int64_t>()});
      }
    }
    return spec;
  } catch (const nlohmann::json::exception& e) {
    throw InvalidData("the job was not created by `sluice run` (its options lack {})", e.what())
        .With("job", std::string(job_name));
  }
}

}  // namespace sluice::jobs
