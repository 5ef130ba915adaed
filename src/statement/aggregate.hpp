#pragma once
// Combining two values of an aggregated column, as the database would apply them one after the
// other: how the batch stage merges rows with equal keys and the writer folds increments.

#include "upsert/statement.hpp"
#include "upsert/value.hpp"

namespace upsert::detail {

// `earlier` then `later` combined by `aggregate`. Throws Error(overflow) when an int64 sum
// overflows and Error(invalid_argument) for a sum of non-numbers.
Value combine(Aggregate aggregate, const Value& earlier, const Value& later);

// `into` = combine(aggregate, into, later), without a temporary for the usual integer sum.
void combine_into(Aggregate aggregate, Value& into, const Value& later);

}  // namespace upsert::detail
