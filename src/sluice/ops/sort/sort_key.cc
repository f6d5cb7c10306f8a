#include "sluice/ops/sort/sort_key.h"

#include "sluice/base/error.h"
#include "sluice/ops/key_encoder.h"

namespace sluice {
namespace {

std::string_view Trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

std::vector<SortKey> ParseSortKeys(std::string_view text) {
  std::vector<SortKey> keys;
  std::string_view rest = text;
  while (true) {
    const size_t comma = rest.find(',');
    const std::string_view entry = Trim(rest.substr(0, comma));
    SortKey key;
    const size_t colon = entry.rfind(':');
    key.column = std::string(Trim(entry.substr(0, colon)));
    if (colon != std::string_view::npos) {
      const std::string_view direction = Trim(entry.substr(colon + 1));
      if (direction == "desc" || direction == "DESC") {
        key.descending = true;
      } else if (direction != "asc" && direction != "ASC") {
        throw InvalidArgument("sort key '{}': the direction is asc or desc, not '{}'", entry,
                              direction)
            .With("by", std::string(text));
      }
    }
    if (key.column.empty()) {
      throw InvalidArgument("a sort key has no column name; write col[:desc][,col...]")
          .With("by", std::string(text));
    }
    keys.push_back(std::move(key));
    if (comma == std::string_view::npos) break;
    rest.remove_prefix(comma + 1);
  }
  return keys;
}

std::vector<int> ResolveSortKeys(const Schema& schema, const std::vector<SortKey>& keys) {
  if (keys.empty()) throw InvalidArgument("a sort needs at least one key column");
  std::vector<int> indices;
  for (const SortKey& key : keys) {
    std::optional<int> index = schema.FieldIndex(key.column);
    if (!index) {
      std::string names;
      for (const Field& f : schema.fields()) names += (names.empty() ? "" : ", ") + f.name;
      throw NotFound("unknown sort column '{}'", key.column)
          .With("column", key.column)
          .With("columns", names);
    }
    CheckFlatKey(schema.field(*index), "the sort key");
    indices.push_back(*index);
  }
  return indices;
}

std::string FormatSortKeys(const std::vector<SortKey>& keys) {
  std::string text;
  for (const SortKey& key : keys) {
    if (!text.empty()) text += ", ";
    text += key.column + (key.descending ? " desc" : " asc");
  }
  return text;
}

}  // namespace sluice
