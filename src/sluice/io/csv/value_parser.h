// Parsing of CSV field text into typed values, strictly: the whole text must be the value (no
// surrounding spaces, no trailing junk). Used by type inference and batch conversion.
//   bool: true/false (any case), int: optional sign and digits within the type's range,
//   float: what std::from_chars accepts (also inf/nan), date32: YYYY-MM-DD,
//   timestamp[us]: YYYY-MM-DD[T| ]HH:MM:SS[.f{1,9}][Z|+HH:MM|-HH:MM] (an offset converts to UTC).
//
// Thread safety: pure functions.
#pragma once

#include <cstdint>
#include <optional>
#include <string_view>

namespace sluice::csv {

bool ParseBool(std::string_view text, bool& out);
bool ParseInt64(std::string_view text, int64_t& out);
bool ParseUInt64(std::string_view text, uint64_t& out);
bool ParseFloat64(std::string_view text, double& out);
bool ParseDate32(std::string_view text, int32_t& out);
bool ParseTimestampMicros(std::string_view text, int64_t& out);

}  // namespace sluice::csv
