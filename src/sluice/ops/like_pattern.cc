#include "sluice/ops/like_pattern.h"

#include <utility>

namespace sluice {
namespace {

// The length of the UTF-8 character starting at `at` (1 for a stray byte), so '_' takes whole
// characters as DuckDB's LIKE does.
size_t CharLength(std::string_view s, size_t at) {
  size_t n = 1;
  while (at + n < s.size() && (static_cast<unsigned char>(s[at + n]) & 0xC0) == 0x80) ++n;
  return n;
}

}  // namespace

LikePattern::LikePattern(std::string pattern) : text_(std::move(pattern)) {
  const size_t wildcard = text_.find_first_of("%_");
  if (wildcard == std::string::npos) {
    shape_ = Shape::kExact;
  } else if (wildcard + 1 == text_.size() && text_[wildcard] == '%') {
    shape_ = Shape::kPrefix;
    text_.pop_back();
  } else {
    shape_ = Shape::kGeneral;
  }
}

// Greedy matching with one backtrack point: the last '%' seen and the value position it was
// tried at; on a mismatch the '%' takes one more character. Linear in practice, and never
// allocates.
bool LikePattern::MatchGeneral(std::string_view value) const {
  const std::string_view p = text_;
  size_t pi = 0, vi = 0;
  size_t star = std::string_view::npos, star_value = 0;
  while (vi < value.size()) {
    if (pi < p.size() && p[pi] == '%') {
      star = ++pi;
      star_value = vi;
    } else if (pi < p.size() && p[pi] == '_') {
      ++pi;
      vi += CharLength(value, vi);
    } else if (pi < p.size() && p[pi] == value[vi]) {
      ++pi;
      ++vi;
    } else if (star != std::string_view::npos) {
      pi = star;
      star_value += CharLength(value, star_value);
      vi = star_value;
    } else {
      return false;
    }
  }
  while (pi < p.size() && p[pi] == '%') ++pi;
  return pi == p.size();
}

}  // namespace sluice
