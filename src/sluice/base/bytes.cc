#include "sluice/base/bytes.h"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <cmath>

#include "sluice/base/error.h"

namespace sluice {
namespace {

std::string Lower(std::string_view text) {
  std::string out(text);
  std::transform(out.begin(), out.end(), out.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return out;
}

bool UnitMultiplier(std::string_view unit, double* multiplier) {
  struct Unit {
    std::string_view name;
    double multiplier;
  };
  static constexpr Unit kUnits[] = {
      {"", 1},
      {"b", 1},
      {"k", 1024.0},
      {"kib", 1024.0},
      {"kb", 1e3},
      {"m", 1048576.0},
      {"mib", 1048576.0},
      {"mb", 1e6},
      {"g", 1 << 30},
      {"gib", 1 << 30},
      {"gb", 1e9},
      {"t", 1099511627776.0},
      {"tib", 1099511627776.0},
      {"tb", 1e12},
  };
  for (const Unit& u : kUnits) {
    if (u.name == unit) {
      *multiplier = u.multiplier;
      return true;
    }
  }
  return false;
}

}  // namespace

int64_t ParseBytes(std::string_view text) {
  auto fail = [&](std::string_view why) {
    return InvalidArgument("cannot parse size '{}': {} (examples: 512MiB, 4GiB, 1.5GB, 1024)", text,
                           why);
  };
  std::string lower = Lower(text);
  std::string_view s = lower;
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
  size_t number_end = 0;
  while (number_end < s.size() &&
         (std::isdigit(static_cast<unsigned char>(s[number_end])) || s[number_end] == '.')) {
    ++number_end;
  }
  if (number_end == 0) throw fail("no number");
  double value = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + number_end, value);
  if (ec != std::errc() || ptr != s.data() + number_end) throw fail("bad number");
  std::string_view unit = s.substr(number_end);
  while (!unit.empty() && std::isspace(static_cast<unsigned char>(unit.front()))) {
    unit.remove_prefix(1);
  }
  double multiplier = 0;
  if (!UnitMultiplier(unit, &multiplier)) throw fail("unknown unit");
  double bytes = std::round(value * multiplier);
  if (!(bytes < 9.2e18)) throw fail("too large");
  return static_cast<int64_t>(bytes);
}

std::string FormatBytes(int64_t bytes) {
  static constexpr const char* kUnits[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB"};
  double value = static_cast<double>(bytes < 0 ? -bytes : bytes);
  int unit = 0;
  while (value >= 1024.0 && unit < 5) {
    value /= 1024.0;
    ++unit;
  }
  const char* sign = bytes < 0 ? "-" : "";
  if (unit == 0) return fmt::format("{}{} B", sign, static_cast<int64_t>(value));
  return fmt::format("{}{:.{}f} {}", sign, value, value < 10 ? 2 : 1, kUnits[unit]);
}

}  // namespace sluice
