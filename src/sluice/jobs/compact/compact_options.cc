#include "sluice/jobs/compact/compact_options.h"

#include <nlohmann/json.hpp>

namespace sluice::compact {

std::string CompactOptions::WorkJson() const {
  nlohmann::json j = {
      {"source", source},
      {"destination", destination},
      {"target_file_bytes", target_file_bytes},
      {"row_group_bytes", row_group_bytes},
      {"row_group_rows", row_group_rows},
      {"order_by", order_by},
      {"codec", parquet::CompressionCodecName(codec)},
      {"max_dictionary_bytes", max_dictionary_bytes},
  };
  if (compression_level) j["compression_level"] = *compression_level;
  return j.dump();
}

}  // namespace sluice::compact
