#include "upsert/aggregate.hpp"

#include <fmt/format.h>

#include "upsert/error.hpp"

namespace upsert {

std::string_view aggregate_name(Aggregate aggregate) {
  switch (aggregate) {
    case Aggregate::sum: return "sum";
    case Aggregate::max: return "max";
    case Aggregate::min: return "min";
    case Aggregate::last: return "last";
  }
  return "unknown";
}

std::vector<Assignment> aggregate_assignments(const std::vector<AggregateColumn>& columns) {
  std::vector<Assignment> out;
  out.reserve(columns.size());
  for (const auto& [column, aggregate] : columns) {
    switch (aggregate) {
      case Aggregate::sum: out.push_back({column, col(column) + proposed(column)}); break;
      case Aggregate::max: out.push_back({column, greatest({col(column), proposed(column)})}); break;
      case Aggregate::min: out.push_back({column, least({col(column), proposed(column)})}); break;
      case Aggregate::last: out.push_back({column, proposed(column)}); break;
    }
  }
  return out;
}

Value combine(Aggregate aggregate, const Value& earlier, const Value& later) {
  switch (aggregate) {
    case Aggregate::last: return later;
    case Aggregate::max:
    case Aggregate::min: {
      // NULLs are ignored, as GREATEST/LEAST do on PostgreSQL.
      if (earlier.is_null()) return later;
      if (later.is_null()) return earlier;
      const bool later_wins = aggregate == Aggregate::max ? later > earlier : later < earlier;
      return later_wins ? later : earlier;
    }
    case Aggregate::sum: {
      // SQL: NULL + x is NULL, so a NULL delta makes the sum NULL on the engine too.
      if (earlier.is_null() || later.is_null()) return Value();
      if (auto a = earlier.get_if<std::int64_t>(), b = later.get_if<std::int64_t>(); a && b) {
        std::int64_t out = 0;
        if (__builtin_add_overflow(*a, *b, &out)) {
          throw Error(ErrorCategory::overflow, fmt::format("sum of deltas {} + {} overflows int64", *a, *b));
        }
        return out;
      }
      auto as_double = [](const Value& v) {
        return v.get_if<double>() ? v.as<double>() : static_cast<double>(v.as<std::int64_t>());
      };
      if ((earlier.get_if<double>() || earlier.get_if<std::int64_t>()) &&
          (later.get_if<double>() || later.get_if<std::int64_t>())) {
        return as_double(earlier) + as_double(later);
      }
      throw Error(ErrorCategory::invalid_argument,
                  fmt::format("cannot sum {} and {}: sums need numbers", earlier.to_string(), later.to_string()));
    }
  }
  throw Error(ErrorCategory::internal, "unknown aggregate");
}

}  // namespace upsert
