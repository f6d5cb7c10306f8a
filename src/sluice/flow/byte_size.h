// How the executor sizes and names items. ByteSize(const T&) reports the bytes an item holds; the
// executor adds kItemOverheadBytes per item so that even tiny items count against the budget.
// Types opt in by declaring `int64_t ByteSize(const T&)` in their own namespace (found by ADL) or
// in namespace sluice; the overloads here cover arithmetic types, strings, vectors, pairs and
// optionals. Describe(const T&), also found by ADL, names an item in errors and hung-task reports
// (a file path, a partition key); without one, items are named by their position.
//
// Thread safety: these are pure functions of the item.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace sluice {

inline constexpr int64_t kItemOverheadBytes = 64;

template <typename T>
requires std::is_arithmetic_v<T> || std::is_enum_v<T> int64_t ByteSize(const T&) {
  return sizeof(T);
}

inline int64_t ByteSize(const std::string& s) {
  return static_cast<int64_t>(sizeof(std::string) + (s.capacity() > 15 ? s.capacity() : 0));
}

template <typename A, typename B>
int64_t ByteSize(const std::pair<A, B>& p);
template <typename T>
int64_t ByteSize(const std::optional<T>& o);

template <typename T>
int64_t ByteSize(const std::vector<T>& v) {
  if constexpr (std::is_arithmetic_v<T>) {
    return static_cast<int64_t>(sizeof(v) + v.capacity() * sizeof(T));
  } else {
    int64_t total = static_cast<int64_t>(sizeof(v) + (v.capacity() - v.size()) * sizeof(T));
    for (const T& item : v) total += ByteSize(item);
    return total;
  }
}

template <typename A, typename B>
int64_t ByteSize(const std::pair<A, B>& p) {
  return ByteSize(p.first) + ByteSize(p.second);
}

template <typename T>
int64_t ByteSize(const std::optional<T>& o) {
  return o ? ByteSize(*o) : static_cast<int64_t>(sizeof(o));
}

namespace flow_internal {

template <typename T>
concept HasByteSize = requires(const T& t) {
  { ByteSize(t) } -> std::convertible_to<int64_t>;
};

template <typename T>
concept HasDescribe = requires(const T& t) {
  { Describe(t) } -> std::convertible_to<std::string>;
};

template <typename T>
int64_t ItemBytes(const T& item) {
  static_assert(HasByteSize<T>,
                "declare int64_t ByteSize(const T&) for this item type (see flow/byte_size.h)");
  return ByteSize(item) + kItemOverheadBytes;
}

template <typename T>
struct DescribableVector : std::false_type {};
template <typename T>
requires HasDescribe<T>
struct DescribableVector<std::vector<T>> : std::true_type {
};

// A vector of describable items (a Batch's bin) is named by its first item.
template <typename T>
std::string DescribeItem(const T& item) {
  if constexpr (HasDescribe<T>) {
    return std::string(Describe(item));
  } else if constexpr (DescribableVector<T>::value) {
    if (item.empty()) return "an empty batch";
    return std::to_string(item.size()) + " items from " + std::string(Describe(item.front()));
  } else {
    return {};
  }
}

}  // namespace flow_internal
}  // namespace sluice
