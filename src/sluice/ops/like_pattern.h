// LikePattern: a SQL LIKE pattern ('%' any run of characters, '_' one UTF-8 character, no escape
// character, case-sensitive as DuckDB's LIKE) compiled once for matching many values. Patterns
// without wildcards compare for equality and 'prefix%' patterns with one memcmp; the rest run a
// backtracking matcher that allocates nothing.
//
// Thread safety: immutable after construction; Matches may run on any number of threads.
#pragma once

#include <string>
#include <string_view>

namespace sluice {

class LikePattern {
 public:
  enum class Shape { kExact, kPrefix, kGeneral };

  LikePattern() = default;
  explicit LikePattern(std::string pattern);

  Shape shape() const { return shape_; }
  // kExact: the value to equal; kPrefix: the prefix; kGeneral: the whole pattern.
  const std::string& text() const { return text_; }

  bool Matches(std::string_view value) const {
    switch (shape_) {
      case Shape::kExact:
        return value == text_;
      case Shape::kPrefix:
        return value.size() >= text_.size() && value.compare(0, text_.size(), text_) == 0;
      case Shape::kGeneral:
        return MatchGeneral(value);
    }
    return false;
  }

 private:
  bool MatchGeneral(std::string_view value) const;

  Shape shape_ = Shape::kExact;
  std::string text_;
};

}  // namespace sluice
