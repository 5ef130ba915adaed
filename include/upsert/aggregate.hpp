#pragma once
/// Aggregated columns: how a new value combines with the stored one (sum, max, min, last).

#include <string>
#include <string_view>
#include <vector>

#include "upsert/export.hpp"
#include "upsert/statement.hpp"
#include "upsert/value.hpp"

namespace upsert {

/// How a column's proposed value combines with the existing one.
enum class Aggregate {
  sum,   ///< existing + proposed (a counter)
  max,   ///< the larger, NULLs ignored
  min,   ///< the smaller, NULLs ignored
  last,  ///< the proposed value replaces the existing one
};

/// "sum", "max", "min", "last".
UPSERT_EXPORT std::string_view aggregate_name(Aggregate aggregate);

/// One aggregated column.
struct AggregateColumn {
  std::string column;   ///< the column
  Aggregate aggregate;  ///< how values combine
};

/// The DO UPDATE assignments for aggregated columns, e.g. `c = c + proposed(c)` for a sum and
/// `c = GREATEST(c, proposed(c))` for a max.
UPSERT_EXPORT std::vector<Assignment> aggregate_assignments(const std::vector<AggregateColumn>& columns);

/// Combines two values the way the database would apply them one after the other: `earlier`
/// first, then `later`. Used to merge rows with equal keys before they reach the engine.
/// Throws Error(overflow) when an int64 sum overflows.
UPSERT_EXPORT Value combine(Aggregate aggregate, const Value& earlier, const Value& later);

}  // namespace upsert
