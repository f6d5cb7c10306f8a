#include "sluice/flow/pipeline.h"

namespace sluice {

void Pipeline::AddStage(std::string name, flow_internal::StageType type,
                        const StageOptions& options,
                        std::unique_ptr<flow_internal::StageLogic> logic, bool sequential) {
  if (name.empty()) throw InvalidArgument("pipeline '{}': stage names must not be empty", name_);
  for (const auto& stage : stages_) {
    if (stage.name == name) {
      throw InvalidArgument("pipeline '{}': two stages are named '{}'", name_, name);
    }
  }
  if (type == flow_internal::StageType::kSource && !stages_.empty()) {
    throw InvalidArgument("pipeline '{}': '{}' is a second source; a pipeline is one chain", name_,
                          name);
  }
  flow_internal::StageSpec spec;
  spec.name = std::move(name);
  spec.type = type;
  spec.options = options;
  spec.logic = std::move(logic);
  spec.sequential = sequential;
  stages_.push_back(std::move(spec));
}

void Pipeline::CheckExtends(size_t index, const std::string& name) const {
  if (index + 1 != stages_.size()) {
    throw InvalidArgument(
        "pipeline '{}': stage '{}' must follow the last stage '{}'; a pipeline is one chain", name_,
        name, stages_.back().name);
  }
}

RunReport Pipeline::Run(const RunOptions& options) {
  if (ran_) throw InvalidArgument("pipeline '{}' has already run", name_);
  ran_ = true;
  return flow_internal::RunPipeline(name_, stages_, options);
}

}  // namespace sluice
