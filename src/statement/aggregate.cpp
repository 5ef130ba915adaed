// Aggregated columns: the assignments that compute sum, max, min and last, how an assignment is
// recognised as one of them, and how two values of such a column combine.

#include "statement/aggregate.hpp"

#include <fmt/format.h>

#include <optional>

#include "upsert/error.hpp"

namespace upsert {

namespace {

// The value an aggregate assigns to `column`.
Expr aggregate_value(const std::string& column, Aggregate aggregate) {
  switch (aggregate) {
    case Aggregate::sum: return col(column) + proposed(column);
    case Aggregate::max: return greatest({col(column), proposed(column)});
    case Aggregate::min: return least({col(column), proposed(column)});
    case Aggregate::last: return proposed(column);
  }
  throw Error(ErrorCategory::internal, "unknown aggregate");
}

// The aggregate `value` computes for `column`, if it has one's shape: the assignments the writer
// and the CLI make, and the same written by hand (either operand order).
std::optional<Aggregate> aggregate_of(const std::string& column, const Expr& value) {
  auto is_existing = [&](const Expr& x) { return x.kind() == ExprKind::existing && x.node().column == column; };
  auto is_proposed = [&](const Expr& x) { return x.kind() == ExprKind::proposed && x.node().column == column; };
  auto pair_of_own_columns = [&] {
    return value.args().size() == 2 && ((is_existing(value.args()[0]) && is_proposed(value.args()[1])) ||
                                        (is_proposed(value.args()[0]) && is_existing(value.args()[1])));
  };
  if (is_proposed(value)) return Aggregate::last;
  if (value.kind() == ExprKind::add && pair_of_own_columns()) return Aggregate::sum;
  if (value.kind() == ExprKind::greatest && pair_of_own_columns()) return Aggregate::max;
  if (value.kind() == ExprKind::least && pair_of_own_columns()) return Aggregate::min;
  return std::nullopt;
}

}  // namespace

std::string_view aggregate_name(Aggregate aggregate) {
  switch (aggregate) {
    case Aggregate::sum: return "sum";
    case Aggregate::max: return "max";
    case Aggregate::min: return "min";
    case Aggregate::last: return "last";
  }
  return "unknown";
}

Assignment::Assignment(std::string column, Expr value)
    : column_(std::move(column)), value_(std::move(value)), aggregate_(aggregate_of(column_, value_)) {}

Assignment::Assignment(std::string column, Aggregate aggregate)
    : column_(std::move(column)), value_(aggregate_value(column_, aggregate)), aggregate_(aggregate) {}

std::vector<Assignment> aggregate_assignments(const std::vector<AggregateColumn>& columns) {
  std::vector<Assignment> out;
  out.reserve(columns.size());
  for (const auto& [column, aggregate] : columns) out.emplace_back(column, aggregate);
  return out;
}

std::vector<Assignment> add_proposed(const std::vector<std::string>& columns) {
  std::vector<Assignment> out;
  out.reserve(columns.size());
  for (const auto& c : columns) out.emplace_back(c, Aggregate::sum);
  return out;
}

}  // namespace upsert

namespace upsert::detail {

void combine_into(Aggregate aggregate, Value& into, const Value& later) {
  if (aggregate == Aggregate::sum) {
    const auto* a = into.get_if<std::int64_t>();
    const auto* b = later.get_if<std::int64_t>();
    std::int64_t out = 0;
    if (a != nullptr && b != nullptr && !__builtin_add_overflow(*a, *b, &out)) {
      into = Value(out);
      return;
    }
  }
  into = combine(aggregate, into, later);
}

Value combine(Aggregate aggregate, const Value& earlier, const Value& later) {
  switch (aggregate) {
    case Aggregate::last: return later;
    case Aggregate::max:
    case Aggregate::min: {
      // NULLs are ignored, as GREATEST/LEAST do on PostgreSQL.
      if (earlier.is_null()) return later;
      if (later.is_null()) return earlier;
      // An int64 and a double compare as numbers (Value's own order puts every int64 before every
      // double); long double holds every int64 exactly.
      auto number = [](const Value& v) -> std::optional<long double> {
        if (auto i = v.get_if<std::int64_t>()) return static_cast<long double>(*i);
        if (auto d = v.get_if<double>()) return static_cast<long double>(*d);
        return std::nullopt;
      };
      const auto a = number(earlier), b = number(later);
      const bool numbers = a && b;
      const bool later_wins =
          aggregate == Aggregate::max ? (numbers ? *b > *a : later > earlier) : (numbers ? *b < *a : later < earlier);
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

}  // namespace upsert::detail
