#pragma once
// A hash of Values consistent with their operator==: equal values hash alike (0.0 and -0.0, every
// NaN), so rows can be grouped by key in a hash table instead of by sorting.

#include <cmath>
#include <cstddef>
#include <functional>
#include <string_view>
#include <type_traits>
#include <variant>
#include <vector>

#include "upsert/value.hpp"

namespace upsert::detail {

inline std::size_t value_hash(const Value& v) {
  const std::size_t h = std::visit(
      [](const auto& x) -> std::size_t {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, std::monostate>) {
          return 0x9e3779b97f4a7c15u;
        } else if constexpr (std::is_same_v<T, double>) {
          // operator== treats every NaN as one value; std::hash<double> already maps -0.0 to 0.0's hash.
          return std::isnan(x) ? 0x7ff8u : std::hash<double>{}(x);
        } else if constexpr (std::is_same_v<T, Date>) {
          // The fields, as Date compares them (days_since_epoch() converts the calendar each call).
          return std::hash<std::int64_t>{}((std::int64_t{x.year} << 16) ^ (x.month << 8) ^ x.day);
        } else if constexpr (std::is_same_v<T, Timestamp>) {
          return std::hash<std::int64_t>{}(x.micros_since_epoch);
        } else if constexpr (std::is_same_v<T, Bytes>) {
          return std::hash<std::string_view>{}(
              std::string_view(reinterpret_cast<const char*>(x.data.data()), x.data.size()));
        } else {
          return std::hash<T>{}(x);
        }
      },
      v.storage());
  return h ^ (v.storage().index() * 0x85ebca6bu);
}

// The hash of a row's values at `positions` (its key).
inline std::size_t key_hash(const Row& row, const std::vector<std::size_t>& positions) {
  std::size_t h = 1469598103934665603u;
  for (auto p : positions) h = (h ^ value_hash(row[p])) * 1099511628211u;
  return h;
}

}  // namespace upsert::detail
