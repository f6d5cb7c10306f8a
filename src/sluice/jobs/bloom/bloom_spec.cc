#include "sluice/jobs/bloom/bloom_spec.h"

#include <fmt/format.h>

#include <cctype>
#include <nlohmann/json.hpp>

#include "sluice/base/error.h"
#include "sluice/io/csv/csv_schema.h"
#include "sluice/table/xxhash64.h"

namespace sluice {
namespace {

nlohmann::json CsvToJson(const BloomCsvSpec& c) {
  // Characters as numbers: '\0' (none) is not a JSON string's character.
  return {{"delimiter", static_cast<int>(c.delimiter)},
          {"quote", static_cast<int>(c.quote)},
          {"escape", static_cast<int>(c.escape)},
          {"comment", static_cast<int>(c.comment)},
          {"header", c.header},
          {"lenient_quotes", c.lenient_quotes},
          {"null_values", c.null_values},
          {"schema", c.schema},
          {"skip_bad_rows", c.skip_bad_rows},
          {"chunk_bytes", c.chunk_bytes}};
}

BloomCsvSpec CsvFromJson(const nlohmann::json& j) {
  BloomCsvSpec c;
  c.delimiter = static_cast<char>(j.at("delimiter").get<int>());
  c.quote = static_cast<char>(j.at("quote").get<int>());
  c.escape = static_cast<char>(j.at("escape").get<int>());
  c.comment = static_cast<char>(j.at("comment").get<int>());
  j.at("header").get_to(c.header);
  j.at("lenient_quotes").get_to(c.lenient_quotes);
  j.at("null_values").get_to(c.null_values);
  j.at("schema").get_to(c.schema);
  j.at("skip_bad_rows").get_to(c.skip_bad_rows);
  j.at("chunk_bytes").get_to(c.chunk_bytes);
  return c;
}

}  // namespace

csv::CsvReadOptions BloomCsvSpec::ToOptions() const {
  csv::CsvReadOptions options;
  csv::CsvDialect& d = options.dialect;
  d.delimiter = delimiter;
  d.quote = quote;
  d.escape = escape;
  d.comment = comment;
  d.header = header;
  d.lenient_quotes = lenient_quotes;
  d.null_values = null_values;
  options.column_types = csv::ParseColumnTypes(schema);
  options.bad_rows = skip_bad_rows ? csv::BadRowPolicy::kSkip : csv::BadRowPolicy::kError;
  options.chunk_bytes = static_cast<size_t>(chunk_bytes);
  return options;
}

std::string BloomSpec::ToJson() const {
  nlohmann::json j;
  j["inputs"] = inputs;
  j["input_bytes"] = input_bytes;
  j["column"] = column;
  j["fpr"] = fpr;
  j["where"] = where;
  j["csv"] = CsvToJson(csv);
  j["expected_items"] = expected_items;
  j["sizing"] = sizing;
  j["output"] = output;
  j["work_dir"] = work_dir;
  j["partial_bytes"] = partial_bytes;
  j["stages"] = {kPartialStage, kMergeStage};  // for sluice status (job_status.h)
  return j.dump();
}

BloomSpec BloomSpec::FromJson(const std::string& json) {
  BloomSpec s;
  try {
    const nlohmann::json j = nlohmann::json::parse(json);
    j.at("inputs").get_to(s.inputs);
    j.at("input_bytes").get_to(s.input_bytes);
    j.at("column").get_to(s.column);
    j.at("fpr").get_to(s.fpr);
    j.at("where").get_to(s.where);
    s.csv = CsvFromJson(j.at("csv"));
    j.at("expected_items").get_to(s.expected_items);
    j.at("sizing").get_to(s.sizing);
    j.at("output").get_to(s.output);
    j.at("work_dir").get_to(s.work_dir);
    j.at("partial_bytes").get_to(s.partial_bytes);
  } catch (const nlohmann::json::exception& e) {
    throw InvalidArgument("the job's stored bloom spec is not readable: {}", e.what());
  }
  if (s.inputs.size() != s.input_bytes.size()) {
    throw InvalidArgument("the job's stored bloom spec lists inputs and sizes of other counts");
  }
  return s;
}

BloomJobOptions BloomSpec::JobOptions(std::vector<std::string> files) const {
  BloomJobOptions o;
  o.inputs = std::move(files);
  o.column = column;
  o.fpr = fpr;
  o.expected_items = expected_items;
  o.csv = csv.ToOptions();
  o.where = where;
  return o;
}

std::string BloomSpec::DefaultWorkDir(const std::string& output) {
  return output + ".sluice-bloom";
}

std::string BloomSpec::JobName() const {
  // One word (launchers and scripts pass it on), as a shuffle job's name.
  std::string file = output.substr(output.find_last_of('/') + 1);
  for (char& c : file) {
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '.' && c != '_' && c != '-') c = '_';
  }
  const std::string whole = ToJson();
  return fmt::format("{}-{}-{:08x}", kBloomJobKind, file,
                     static_cast<uint32_t>(XxHash64(whole.data(), whole.size(), 0)));
}

}  // namespace sluice
