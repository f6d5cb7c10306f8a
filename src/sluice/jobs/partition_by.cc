#include "sluice/jobs/partition_by.h"

#include <fstream>

#include "sluice/base/error.h"
#include "sluice/jobs/file_partitioner.h"
#include "sluice/jobs/key_range_partitioner.h"
#include "sluice/jobs/list_partitioner.h"

namespace sluice::jobs {
namespace {

std::unique_ptr<Partitioner> Parse(std::string_view text, const PartitionByOptions& options) {
  size_t colon = text.find(':');
  if (colon == std::string_view::npos) {
    throw InvalidArgument("expected KIND:VALUE with KIND files, ranges, keys or list");
  }
  std::string_view kind = text.substr(0, colon);
  std::string value(text.substr(colon + 1));
  if (kind == "files") {
    FileGrouping grouping;
    if (options.batch_bytes > 0) {
      grouping = {FileGrouping::Kind::kBatches, options.batch_bytes, 0};
    }
    return std::make_unique<FilePartitioner>(value, grouping);
  }
  if (kind == "ranges") {
    return std::make_unique<FilePartitioner>(
        value, FileGrouping{FileGrouping::Kind::kByteRanges, 0, options.range_bytes});
  }
  if (kind == "keys") {
    size_t dot = value.rfind('.');
    if (dot == std::string::npos || dot == 0 || dot + 1 == value.size()) {
      throw InvalidArgument("expected keys:TABLE.COLUMN");
    }
    if (options.key_source.empty()) {
      throw InvalidArgument("keys: partitioning needs the URL of the database holding the table");
    }
    return std::make_unique<KeyRangePartitioner>(options.key_source, value.substr(0, dot),
                                                 value.substr(dot + 1), options.key_step);
  }
  if (kind == "list") {
    std::vector<std::string> keys;
    if (!value.empty() && value[0] == '@') {
      std::ifstream in(value.substr(1));
      if (!in) throw NotFound("cannot read the key list").With("file", value.substr(1));
      for (std::string line; std::getline(in, line);) {
        if (!line.empty()) keys.push_back(line);
      }
    } else {
      size_t start = 0;
      while (start <= value.size()) {
        size_t end = value.find(',', start);
        if (end == std::string::npos) end = value.size();
        keys.push_back(value.substr(start, end - start));
        start = end + 1;
      }
    }
    return std::make_unique<ListPartitioner>(std::move(keys));
  }
  throw InvalidArgument("unknown partitioning '{}': use files, ranges, keys or list", kind);
}

}  // namespace

std::unique_ptr<Partitioner> ParsePartitionBy(std::string_view text,
                                              const PartitionByOptions& options) {
  try {
    return Parse(text, options);
  } catch (Error& e) {
    throw std::move(e).With("partitioning", std::string(text));
  }
}

}  // namespace sluice::jobs
