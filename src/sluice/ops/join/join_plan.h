// JoinPlan: a hash join resolved against its two input schemas: which columns are the keys on
// each side, the common type each key pair is compared in, and the output schema.
//
// Semantics are SQL's `JOIN ... USING (keys)` as DuckDB implements it:
// - keys compare with SQL equality: a row whose key has a null in any key column matches no row,
//   but outer joins still emit it with nulls on the other side;
// - integer keys of different widths compare as the wider type (signed when the signedness
//   differs; uint64 against a signed type is refused), float32 against float64 as float64; any
//   other type difference is InvalidArgument naming both columns and types;
// - the output is the left columns, then the right columns without the keys. Each key column
//   appears once, in its left position, as COALESCE(left key, right key) in the common type (the
//   left value for inner and left joins, the right value for a right join's unmatched rows);
//   a right column whose name is taken gets the spec's suffix ("_right", repeated if needed);
// - semi and anti joins output the left columns only.
//
// Inputs are "normalized" before the join: their key columns cast to the common types, so hash
// tables, spill runs and output never see the original key types again.
//
// Thread safety: immutable after construction; Normalize may be called from any thread.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "sluice/table/record_batch.h"
#include "sluice/table/schema.h"

namespace sluice {

enum class JoinKind { kInner, kLeft, kRight, kFull, kSemi, kAnti };

// "inner", "left", "right", "full" (also "outer", "full_outer"), "semi", "anti";
// InvalidArgument naming the accepted words otherwise.
JoinKind ParseJoinKind(std::string_view text);
std::string_view JoinKindName(JoinKind kind);

enum class JoinSide { kLeft = 0, kRight = 1 };
inline JoinSide Other(JoinSide side) {
  return side == JoinSide::kLeft ? JoinSide::kRight : JoinSide::kLeft;
}
inline int Index(JoinSide side) { return static_cast<int>(side); }

struct JoinSpec {
  std::vector<std::string> left_keys;
  std::vector<std::string> right_keys;  // empty: the same names as left_keys
  JoinKind kind = JoinKind::kInner;
  std::string suffix = "_right";
};

class JoinPlan {
 public:
  // NotFound naming an unknown key column and its side; InvalidArgument for no keys, key lists
  // of different lengths, a nested key column (nested columns travel as payload only), or
  // incompatible key types (naming both columns and types).
  JoinPlan(const Schema& left, const Schema& right, const JoinSpec& spec);

  JoinKind kind() const { return kind_; }
  bool semi_or_anti() const { return kind_ == JoinKind::kSemi || kind_ == JoinKind::kAnti; }
  // Whether rows of `side` without a match are emitted (null-filled on the other side).
  bool Preserves(JoinSide side) const;

  // The side's schema after Normalize, and its key column indices in it.
  const std::shared_ptr<const Schema>& input_schema(JoinSide side) const {
    return input_schemas_[Index(side)];
  }
  const std::vector<int>& key_columns(JoinSide side) const { return keys_[Index(side)]; }
  // Casts the key columns to the common types (a no-op when none differs).
  RecordBatch Normalize(JoinSide side, const RecordBatch& batch) const;
  // A normalized batch that went through a spill run, labelled with input_schema(side) again
  // (a round trip may change field nullability, never types).
  RecordBatch Conform(JoinSide side, const RecordBatch& batch) const;

  const std::shared_ptr<const Schema>& output_schema() const { return output_schema_; }
  // Where each output column comes from: a column of one side, or key k coalesced.
  struct OutputColumn {
    JoinSide side = JoinSide::kLeft;
    int column = 0;
    int key = -1;  // >= 0: COALESCE(left key, right key) of key pair `key`
  };
  const std::vector<OutputColumn>& output_columns() const { return output_columns_; }

 private:
  JoinKind kind_;
  std::shared_ptr<const Schema> input_schemas_[2];
  std::shared_ptr<const Schema> original_schemas_[2];
  std::vector<int> keys_[2];
  bool needs_cast_[2] = {false, false};
  std::shared_ptr<const Schema> output_schema_;
  std::vector<OutputColumn> output_columns_;
};

}  // namespace sluice
