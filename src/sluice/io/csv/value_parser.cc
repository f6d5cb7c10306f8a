#include "sluice/io/csv/value_parser.h"

#include <charconv>
#include <chrono>

namespace sluice::csv {
namespace {

bool Digits(std::string_view s, size_t pos, size_t n, int& out) {
  if (pos + n > s.size()) return false;
  int v = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return false;
    v = v * 10 + (s[i] - '0');
  }
  out = v;
  return true;
}

bool ParseYmd(std::string_view s, int32_t& days) {
  int y, m, d;
  if (s.size() < 10 || s[4] != '-' || s[7] != '-') return false;
  if (!Digits(s, 0, 4, y) || !Digits(s, 5, 2, m) || !Digits(s, 8, 2, d)) return false;
  std::chrono::year_month_day ymd{std::chrono::year(y),
                                  std::chrono::month(static_cast<unsigned>(m)),
                                  std::chrono::day(static_cast<unsigned>(d))};
  if (!ymd.ok()) return false;
  days = static_cast<int32_t>(std::chrono::sys_days(ymd).time_since_epoch().count());
  return true;
}

}  // namespace

bool ParseBool(std::string_view t, bool& out) {
  auto eq = [&](std::string_view word) {
    if (t.size() != word.size()) return false;
    for (size_t i = 0; i < t.size(); ++i) {
      if ((t[i] | 0x20) != word[i]) return false;
    }
    return true;
  };
  if (eq("true")) {
    out = true;
    return true;
  }
  if (eq("false")) {
    out = false;
    return true;
  }
  return false;
}

bool ParseInt64(std::string_view t, int64_t& out) {
  const char* b = t.data();
  if (!t.empty() && t[0] == '+') ++b;
  auto [p, ec] = std::from_chars(b, t.data() + t.size(), out);
  return ec == std::errc() && p == t.data() + t.size() && b != p;
}

bool ParseUInt64(std::string_view t, uint64_t& out) {
  const char* b = t.data();
  if (!t.empty() && t[0] == '+') ++b;
  auto [p, ec] = std::from_chars(b, t.data() + t.size(), out);
  return ec == std::errc() && p == t.data() + t.size() && b != p;
}

bool ParseFloat64(std::string_view t, double& out) {
  const char* b = t.data();
  if (!t.empty() && t[0] == '+') ++b;
  auto [p, ec] = std::from_chars(b, t.data() + t.size(), out);
  return ec == std::errc() && p == t.data() + t.size() && b != p;
}

bool ParseDate32(std::string_view t, int32_t& out) { return t.size() == 10 && ParseYmd(t, out); }

bool ParseTimestampMicros(std::string_view t, int64_t& out) {
  int32_t days;
  if (t.size() < 19 || !ParseYmd(t.substr(0, 10), days)) return false;
  if (t[10] != 'T' && t[10] != ' ') return false;
  int hh, mm, ss;
  if (!Digits(t, 11, 2, hh) || t[13] != ':' || !Digits(t, 14, 2, mm) || t[16] != ':' ||
      !Digits(t, 17, 2, ss) || hh > 23 || mm > 59 || ss > 60) {
    return false;
  }
  size_t pos = 19;
  int64_t micros = 0;
  if (pos < t.size() && t[pos] == '.') {
    ++pos;
    size_t digits = 0;
    int64_t frac = 0;
    while (pos < t.size() && t[pos] >= '0' && t[pos] <= '9') {
      if (digits < 6) frac = frac * 10 + (t[pos] - '0');
      ++digits;
      ++pos;
    }
    if (digits == 0 || digits > 9) return false;
    for (size_t i = digits; i < 6; ++i) frac *= 10;
    micros = frac;
  }
  int64_t offset_seconds = 0;
  if (pos < t.size()) {
    if (t[pos] == 'Z' && pos + 1 == t.size()) {
      ++pos;
    } else if ((t[pos] == '+' || t[pos] == '-') && pos + 6 == t.size() && t[pos + 3] == ':') {
      int oh, om;
      if (!Digits(t, pos + 1, 2, oh) || !Digits(t, pos + 4, 2, om)) return false;
      offset_seconds = (oh * 3600 + om * 60) * (t[pos] == '+' ? 1 : -1);
      pos = t.size();
    } else {
      return false;
    }
  }
  const int64_t seconds = int64_t{days} * 86400 + hh * 3600 + mm * 60 + ss - offset_seconds;
  out = seconds * 1'000'000 + micros;
  return true;
}

}  // namespace sluice::csv
