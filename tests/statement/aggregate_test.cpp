// Aggregates as data on the assignment: which assignments are sum/max/min/last (made so, or
// written by hand in an aggregate's shape), and how two values of an aggregated column combine
// (src/statement/aggregate.cpp). The batch stage merges rows by these, and the writer folds
// increments with combine().

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <optional>

#include "render/fixtures.hpp"
#include "statement/aggregate.hpp"

namespace upsert::testing {
namespace {

using detail::combine;

std::optional<Aggregate> aggregate_of(std::string column, Expr value) {
  return Assignment(std::move(column), std::move(value)).aggregate();
}

TEST(Assignments, MadeFromAnAggregateCarryItAndItsExpression) {
  for (Aggregate a : {Aggregate::sum, Aggregate::max, Aggregate::min, Aggregate::last}) {
    SCOPED_TRACE(std::string(aggregate_name(a)));
    const Assignment made("n", a);
    EXPECT_EQ(made.column(), "n");
    EXPECT_EQ(made.aggregate(), a);
    // The expression is the aggregate's own shape, so it reads back as the same aggregate.
    EXPECT_EQ(aggregate_of("n", made.value()), a);
  }
  for (const Assignment& a : add_proposed({"x", "y"})) EXPECT_EQ(a.aggregate(), Aggregate::sum);
  const auto made = aggregate_assignments({{"a", Aggregate::max}, {"b", Aggregate::last}});
  EXPECT_EQ(made.at(0).aggregate(), Aggregate::max);
  EXPECT_EQ(made.at(1).aggregate(), Aggregate::last);
}

TEST(Assignments, WrittenByHandInAnAggregatesShapeAreThatAggregate) {
  EXPECT_EQ(aggregate_of("n", col("n") + proposed("n")), Aggregate::sum);
  EXPECT_EQ(aggregate_of("n", proposed("n") + col("n")), Aggregate::sum);
  EXPECT_EQ(aggregate_of("n", greatest({col("n"), proposed("n")})), Aggregate::max);
  EXPECT_EQ(aggregate_of("n", least({proposed("n"), col("n")})), Aggregate::min);
  EXPECT_EQ(aggregate_of("n", proposed("n")), Aggregate::last);
}

TEST(Assignments, OtherExpressionsAreNoAggregate) {
  EXPECT_EQ(aggregate_of("n", col("n") + 1), std::nullopt);
  EXPECT_EQ(aggregate_of("n", col("n") - proposed("n")), std::nullopt);
  EXPECT_EQ(aggregate_of("n", col("m") + proposed("n")), std::nullopt);  // another column
  EXPECT_EQ(aggregate_of("n", proposed("m")), std::nullopt);
  EXPECT_EQ(aggregate_of("n", greatest({col("n"), proposed("n"), 0})), std::nullopt);
  EXPECT_EQ(aggregate_of("n", col("n") + proposed("n") + 1), std::nullopt);
  EXPECT_EQ(aggregate_of("n", 5), std::nullopt);
}

TEST(Combine, SumsAddAndOverflowIsAnError) {
  EXPECT_EQ(combine(Aggregate::sum, 2, 3), Value(5));
  EXPECT_EQ(combine(Aggregate::sum, 1.5, 2), Value(3.5));  // an int64 delta in a double column
  EXPECT_TRUE(combine(Aggregate::sum, nullptr, 3).is_null()) << "NULL + x is NULL, as on the engine";
  expect_error([] { combine(Aggregate::sum, std::numeric_limits<std::int64_t>::max(), 1); }, ErrorCategory::overflow,
               {"overflows int64"});
  expect_error([] { combine(Aggregate::sum, "a", "b"); }, ErrorCategory::invalid_argument, {"sums need numbers"});
}

TEST(Combine, MaxAndMinIgnoreNullsAndLastTakesTheLater) {
  EXPECT_EQ(combine(Aggregate::max, 2, 7), Value(7));
  EXPECT_EQ(combine(Aggregate::max, 7, 2), Value(7));
  EXPECT_EQ(combine(Aggregate::min, 2, 7), Value(2));
  EXPECT_EQ(combine(Aggregate::max, nullptr, 4), Value(4));
  EXPECT_EQ(combine(Aggregate::min, 4, nullptr), Value(4));
  EXPECT_TRUE(combine(Aggregate::max, nullptr, nullptr).is_null());
  EXPECT_EQ(combine(Aggregate::last, 1, 9), Value(9));
  EXPECT_TRUE(combine(Aggregate::last, 1, nullptr).is_null()) << "last keeps the later value, NULL included";
}

TEST(Combine, MaxAndMinCompareIntegersAndDoublesAsNumbers) {
  // Value's total order puts every int64 before every double; max(5, 3.0) must still be 5.
  EXPECT_EQ(combine(Aggregate::max, 5, 3.0), Value(5));
  EXPECT_EQ(combine(Aggregate::max, 3.0, 5), Value(5));
  EXPECT_EQ(combine(Aggregate::max, 3, 3.5), Value(3.5));
  EXPECT_EQ(combine(Aggregate::min, 2.5, 3), Value(2.5));
  EXPECT_EQ(combine(Aggregate::min, 3, 2.5), Value(2.5));
  EXPECT_EQ(combine(Aggregate::min, std::numeric_limits<std::int64_t>::max(), 9.3e18),
            Value(std::numeric_limits<std::int64_t>::max()));
  EXPECT_EQ(combine(Aggregate::max, std::numeric_limits<std::int64_t>::max(), 9.3e18), Value(9.3e18));
}

}  // namespace
}  // namespace upsert::testing
