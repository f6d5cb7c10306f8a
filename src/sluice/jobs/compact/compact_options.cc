#include "sluice/jobs/compact/compact_options.h"

#include <nlohmann/json.hpp>

#include "sluice/base/error.h"

namespace sluice::compact {
namespace {

parquet::CompressionCodec CodecNamed(const std::string& name) {
  for (int32_t c = 0; c <= static_cast<int32_t>(parquet::CompressionCodec::kLz4Raw); ++c) {
    auto codec = static_cast<parquet::CompressionCodec>(c);
    if (parquet::CompressionCodecName(codec) == name) return codec;
  }
  throw InvalidData("unknown codec {}", name).With("field", "codec");
}

}  // namespace

std::string CompactOptions::WorkJson() const {
  nlohmann::json j = {
      {"source", source},
      {"destination", destination},
      {"target_file_bytes", target_file_bytes},
      {"row_group_bytes", row_group_bytes},
      {"row_group_rows", row_group_rows},
      {"order_by", order_by},
      {"sort_by", sort_by},
      {"zorder_by", zorder_by},
      {"codec", parquet::CompressionCodecName(codec)},
      {"max_dictionary_bytes", max_dictionary_bytes},
      {"union_by_name", union_by_name},
      {"compat", ReaderCompatName(compat)},
      {"page_index", page_index},
      {"bloom_filter_columns", bloom_filter_columns},
      {"bloom_filter_fpp", bloom_filter_fpp},
  };
  if (compression_level) j["compression_level"] = *compression_level;
  return j.dump();
}

CompactOptions CompactOptions::FromWorkJson(std::string_view json) {
  nlohmann::json j = nlohmann::json::parse(json, nullptr, /*allow_exceptions=*/false);
  CompactOptions o;
  try {
    o.source = j.at("source").get<std::string>();
    o.destination = j.at("destination").get<std::string>();
    o.target_file_bytes = j.at("target_file_bytes").get<int64_t>();
    o.row_group_bytes = j.at("row_group_bytes").get<int64_t>();
    o.row_group_rows = j.at("row_group_rows").get<int64_t>();
    o.order_by = j.at("order_by").get<std::string>();
    o.codec = CodecNamed(j.at("codec").get<std::string>());
    o.max_dictionary_bytes = j.at("max_dictionary_bytes").get<int64_t>();
    if (j.contains("compression_level")) o.compression_level = j["compression_level"].get<int>();
    // A job stored before these options existed takes their defaults.
    if (j.contains("union_by_name")) o.union_by_name = j["union_by_name"].get<bool>();
    if (j.contains("compat")) o.compat = ParseReaderCompat(j["compat"].get<std::string>());
    if (j.contains("page_index")) o.page_index = j["page_index"].get<bool>();
    if (j.contains("bloom_filter_columns")) {
      o.bloom_filter_columns = j["bloom_filter_columns"].get<std::vector<std::string>>();
    }
    if (j.contains("sort_by")) o.sort_by = j["sort_by"].get<std::string>();
    if (j.contains("zorder_by")) o.zorder_by = j["zorder_by"].get<std::vector<std::string>>();
    if (j.contains("bloom_filter_fpp")) o.bloom_filter_fpp = j["bloom_filter_fpp"].get<double>();
  } catch (const nlohmann::json::exception& e) {
    throw InvalidData("the job's options are not a compaction's: {}", e.what());
  }
  return o;
}

}  // namespace sluice::compact
