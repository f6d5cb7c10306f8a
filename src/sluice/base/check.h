// SLUICE_CHECK and friends: invariants that only a bug in sluice can break. A failed check prints
// the expression, both operands and the source location to stderr and aborts the process: state
// may be corrupt, so no caller should try to carry on. User mistakes and bad data are Errors
// (error.h), never checks.
//
// Thread safety: checks may fail on any thread; the report is written with a single write.
#pragma once

#include <fmt/format.h>

#include <string>
#include <string_view>

namespace sluice::check_internal {

[[noreturn]] void Fail(std::string_view expression, std::string_view detail, const char* file,
                       int line);

template <typename T>
std::string Describe(const T& value) {
  if constexpr (fmt::is_formattable<T>::value) {
    return fmt::format("{}", value);
  } else {
    return "<unprintable>";
  }
}

template <typename A, typename B>
[[noreturn]] void FailOp(std::string_view expression, const A& a, const B& b, const char* file,
                         int line) {
  Fail(expression, fmt::format("{} vs {}", Describe(a), Describe(b)), file, line);
}

}  // namespace sluice::check_internal

#define SLUICE_CHECK(cond)                                           \
  do {                                                               \
    if (!(cond)) [[unlikely]]                                        \
      ::sluice::check_internal::Fail(#cond, "", __FILE__, __LINE__); \
  } while (0)

#define SLUICE_CHECK_OP(op, a, b)                                                         \
  do {                                                                                    \
    const auto& sluice_check_a = (a);                                                     \
    const auto& sluice_check_b = (b);                                                     \
    if (!(sluice_check_a op sluice_check_b)) [[unlikely]]                                 \
      ::sluice::check_internal::FailOp(#a " " #op " " #b, sluice_check_a, sluice_check_b, \
                                       __FILE__, __LINE__);                               \
  } while (0)

#define SLUICE_CHECK_EQ(a, b) SLUICE_CHECK_OP(==, a, b)
#define SLUICE_CHECK_NE(a, b) SLUICE_CHECK_OP(!=, a, b)
#define SLUICE_CHECK_LT(a, b) SLUICE_CHECK_OP(<, a, b)
#define SLUICE_CHECK_LE(a, b) SLUICE_CHECK_OP(<=, a, b)
#define SLUICE_CHECK_GT(a, b) SLUICE_CHECK_OP(>, a, b)
#define SLUICE_CHECK_GE(a, b) SLUICE_CHECK_OP(>=, a, b)
