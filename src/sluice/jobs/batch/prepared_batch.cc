// PreparedBatch's stored form (batched_job.h): what a submitted job's workers read from the
// ledger. Each chunk's key and per-input rows and fingerprints, and each input's schema and
// stamps, are a manifest's fields, so they are stored as one (batch_manifest.h).
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "sluice/base/error.h"
#include "sluice/jobs/batch/batch_location.h"
#include "sluice/jobs/batch/batched_job.h"

namespace sluice {
namespace {

using nlohmann::json;

ChunkStatus ChunkStatusFromName(const std::string& name) {
  for (ChunkStatus s :
       {ChunkStatus::kHit, ChunkStatus::kMiss, ChunkStatus::kRecomputed, ChunkStatus::kFailed}) {
    if (ChunkStatusName(s) == name) return s;
  }
  throw InvalidData("unknown chunk status '{}'", name);
}

batch::BatchManifest ChunksAsManifest(const PreparedBatch& p) {
  batch::BatchManifest m;
  m.inputs = p.input_sources;
  for (const ChunkOutcome& o : p.chunks) {
    batch::ManifestChunk chunk{o.chunk, o.key, "", 0, 0, {}};
    for (size_t i = 0; i < p.input_names.size(); ++i) {
      const batch::SplitChunk& in = p.chunk_inputs[i][static_cast<size_t>(o.chunk)];
      chunk.inputs[p.input_names[i]] = {in.rows, in.fingerprint};
    }
    m.chunks.push_back(std::move(chunk));
  }
  return m;
}

json OutcomeJson(const ChunkOutcome& o) {
  json steps = json::array();
  for (const StepOutcome& s : o.steps) {
    steps.push_back({{"name", s.name}, {"status", s.status}, {"key", s.key}});
  }
  return {{"status", ChunkStatusName(o.status)}, {"reason", o.reason}, {"steps", steps}};
}

}  // namespace

std::string PreparedBatch::SplitPath(size_t input, int chunk) const {
  return batch::JoinLocation(batch::JoinLocation(work_dir, input_names[input]),
                             batch::ChunkFileName(chunk));
}

json PreparedBatch::ToJson() const {
  json outcomes = json::array();
  for (const ChunkOutcome& o : chunks) outcomes.push_back(OutcomeJson(o));
  return {{"output", out},
          {"work_dir", work_dir},
          {"inputs", input_names},
          {"chunks", ChunksAsManifest(*this).ToJson()},
          {"outcomes", outcomes},
          {"to_compute", to_compute},
          {"split_skipped", split_skipped}};
}

PreparedBatch PreparedBatch::FromJson(const json& j) {
  PreparedBatch p;
  try {
    p.out = j.at("output").get<std::string>();
    p.work_dir = j.at("work_dir").get<std::string>();
    p.input_names = j.at("inputs").get<std::vector<std::string>>();
    const batch::BatchManifest m = batch::BatchManifest::FromJson(j.at("chunks"), "the job spec");
    const json& outcomes = j.at("outcomes");
    if (outcomes.size() != m.chunks.size()) throw InvalidData("outcomes and chunks differ");
    p.input_sources = m.inputs;
    p.chunk_inputs.resize(p.input_names.size());
    for (size_t c = 0; c < m.chunks.size(); ++c) {
      const batch::ManifestChunk& mc = m.chunks[c];
      ChunkOutcome o;
      o.chunk = mc.chunk;
      o.key = mc.key;
      o.status = ChunkStatusFromName(outcomes[c].at("status").get<std::string>());
      o.reason = outcomes[c].at("reason").get<std::string>();
      for (const json& s : outcomes[c].at("steps")) {
        o.steps.push_back({s.at("name").get<std::string>(), s.at("status").get<std::string>(),
                           s.at("key").get<std::string>(), 0, ""});
      }
      for (size_t i = 0; i < p.input_names.size(); ++i) {
        const batch::ManifestInput& in = mc.inputs.at(p.input_names[i]);
        o.rows_in[p.input_names[i]] = in.rows;
        p.chunk_inputs[i].push_back({"", in.rows, in.fingerprint});
      }
      p.chunks.push_back(std::move(o));
    }
    p.to_compute = j.at("to_compute").get<std::vector<int>>();
    p.split_skipped = j.at("split_skipped").get<bool>();
  } catch (const json::exception& e) {
    throw InvalidData("malformed batch job spec: {}", e.what());
  } catch (const std::out_of_range& e) {
    throw InvalidData("malformed batch job spec: an input is missing from a chunk");
  }
  for (int c : p.to_compute) {
    if (c < 0 || static_cast<size_t>(c) >= p.chunks.size()) {
      throw InvalidData("malformed batch job spec: chunk {} to compute", c);
    }
  }
  return p;
}

}  // namespace sluice
