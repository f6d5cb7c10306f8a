#include "sluice/table/decimal128.h"

#include <algorithm>

namespace sluice {

std::string FormatDecimal128(Decimal128 value, int32_t scale) {
  __int128 v = value.ToInt128();
  bool negative = v < 0;
  // Work on the magnitude as unsigned so the most negative value does not overflow.
  unsigned __int128 magnitude =
      negative ? static_cast<unsigned __int128>(0) - static_cast<unsigned __int128>(v)
               : static_cast<unsigned __int128>(v);
  std::string digits;
  do {
    digits.push_back(static_cast<char>('0' + static_cast<int>(magnitude % 10)));
    magnitude /= 10;
  } while (magnitude != 0);
  std::reverse(digits.begin(), digits.end());
  if (scale < 0) {
    if (digits != "0") digits.append(static_cast<size_t>(-scale), '0');
  } else if (scale > 0) {
    size_t s = static_cast<size_t>(scale);
    if (digits.size() <= s) digits.insert(0, s - digits.size() + 1, '0');
    digits.insert(digits.size() - s, 1, '.');
  }
  return negative ? "-" + digits : digits;
}

}  // namespace sluice
