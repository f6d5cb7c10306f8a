// Schema: the fields (type.h) of a record batch's columns: names, types, nullability. A Schema is
// immutable once built and is shared between batches through std::shared_ptr<const Schema>.
//
// Thread safety: immutable values; safe to read from any thread.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "sluice/table/type.h"

namespace sluice {

class Schema {
 public:
  Schema() = default;
  // Duplicate names are allowed (Arrow allows them); FieldIndex returns the first.
  explicit Schema(std::vector<Field> fields) : fields_(std::move(fields)) {}

  int num_fields() const { return static_cast<int>(fields_.size()); }
  const Field& field(int i) const { return fields_.at(static_cast<size_t>(i)); }
  const std::vector<Field>& fields() const { return fields_; }
  std::optional<int> FieldIndex(std::string_view name) const;

  // One field per line.
  std::string ToString() const;
  friend bool operator==(const Schema& a, const Schema& b) = default;

 private:
  std::vector<Field> fields_;
};

}  // namespace sluice
