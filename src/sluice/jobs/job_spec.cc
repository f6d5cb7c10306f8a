#include "sluice/jobs/job_spec.h"

#include <nlohmann/json.hpp>

#include "sluice/base/check.h"
#include "sluice/base/error.h"
#include "sluice/version.h"

namespace sluice::jobs {
namespace {

constexpr std::string_view kKindKey = "kind";
constexpr std::string_view kVersionKey = "sluice_version";

// The stored options as a JSON object; an empty object when they are not one.
nlohmann::json StoredObject(const ledger::JobRecord& job) {
  nlohmann::json j = nlohmann::json::parse(job.options_json, nullptr, /*allow_exceptions=*/false);
  return j.is_object() ? j : nlohmann::json::object();
}

std::string StringField(const nlohmann::json& j, std::string_view key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

}  // namespace

std::string_view SluiceVersion() { return SLUICE_VERSION_STRING; }

std::string StampJobSpec(std::string_view kind, std::string_view options_json) {
  nlohmann::json j = nlohmann::json::parse(options_json);
  SLUICE_CHECK(j.is_object());
  j[std::string(kKindKey)] = kind;
  j[std::string(kVersionKey)] = SluiceVersion();
  return j.dump();
}

std::string JobKindOf(const ledger::JobRecord& job) {
  return StringField(StoredObject(job), kKindKey);
}

void CheckJobVersion(const ledger::JobRecord& job) {
  std::string version = StringField(StoredObject(job), kVersionKey);
  if (version.empty() || version == SluiceVersion()) return;
  throw InvalidArgument(
      "job '{}' was created by sluice {} and this is sluice {}; run its workers with sluice {}, "
      "or start the job again under another name",
      job.name, version, SluiceVersion(), version)
      .With("job", job.name);
}

}  // namespace sluice::jobs
