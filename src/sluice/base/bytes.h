// Byte quantities: literals (256_MiB), parsing of user-given sizes ("256MiB", "1.5 GB", "4g") and
// human-readable formatting. Binary units (KiB, MiB, GiB, TiB and the bare K, M, G, T) are powers
// of 1024; decimal units (KB, MB, GB, TB) are powers of 1000.
//
// Thread safety: pure functions.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>

namespace sluice {

constexpr int64_t operator""_B(unsigned long long n) { return static_cast<int64_t>(n); }
constexpr int64_t operator""_KiB(unsigned long long n) { return static_cast<int64_t>(n) << 10; }
constexpr int64_t operator""_MiB(unsigned long long n) { return static_cast<int64_t>(n) << 20; }
constexpr int64_t operator""_GiB(unsigned long long n) { return static_cast<int64_t>(n) << 30; }

// Parses a non-negative size; throws InvalidArgument naming the text on anything else.
int64_t ParseBytes(std::string_view text);

// "0 B", "512 B", "1.5 KiB", "12.3 MiB", "4.00 GiB".
std::string FormatBytes(int64_t bytes);

}  // namespace sluice
