// The batch stage without a database: merging equal keys, rounds, key order, chunking.

#include <gtest/gtest.h>

#include <algorithm>
#include <limits>
#include <random>
#include <set>

#include "batch/batch.hpp"
#include "render/fixtures.hpp"

namespace upsert::testing {
namespace {

using detail::BatchPlan;
using detail::merge_rules;
using detail::plan_batch;

std::shared_ptr<const Table> counter_table() {
  return std::make_shared<const Table>(Table("c")
                                           .column("k", Type::int64)
                                           .column("n", Type::int64, default_value(0), not_null)
                                           .column("hi", Type::int64)
                                           .column("lo", Type::int64)
                                           .column("tag", Type::text)
                                           .column("first_seen", Type::text)
                                           .unique_key({"k"}));
}

Upsert counter_upsert(std::vector<Row> rows) {
  Upsert s = insert_into(counter_table());
  s.rows(std::move(rows))
      .on_conflict({"k"})
      .do_update(aggregate_assignments(
          {{"n", Aggregate::sum}, {"hi", Aggregate::max}, {"lo", Aggregate::min}, {"tag", Aggregate::last}}));
  return s;
}

TEST(BatchPlan, MergesEqualKeysTheWayOneByOneWouldApplyThem) {
  Upsert s = counter_upsert({{1, 1, 5, 5, "a", "first"},
                             {2, 10, nullptr, nullptr, "x", "only"},
                             {1, 2, nullptr, 3, "b", "second"},
                             {1, 4, 9, nullptr, nullptr, "third"}});
  BatchPlan plan = plan_batch(s, 65535);
  ASSERT_EQ(plan.statements.size(), 1u);
  EXPECT_EQ(plan.merged_rows, 2u);
  EXPECT_EQ(plan.rounds, 1u);
  // Sum 1+2+4; max ignores NULL; min ignores NULL; last takes the last value, NULL included;
  // a column no assignment touches keeps the first row's value (later rows never update it).
  const std::vector<Row> expected{{1, 7, 9, 3, nullptr, "first"}, {2, 10, nullptr, nullptr, "x", "only"}};
  EXPECT_EQ(plan.statements[0].row_values(), expected);
}

TEST(BatchPlan, SortsRowsByKeyWhateverTheInputOrder) {
  std::vector<Row> rows;
  for (int k = 0; k < 500; ++k) rows.push_back({k, 1, nullptr, nullptr, nullptr, nullptr});
  std::shuffle(rows.begin(), rows.end(), std::mt19937(7));
  BatchPlan plan = plan_batch(counter_upsert(rows), 65535, {.max_rows_per_statement = 100});
  ASSERT_EQ(plan.statements.size(), 5u);
  std::int64_t previous = -1;
  for (const auto& st : plan.statements) {
    for (const auto& row : st.row_values()) {
      EXPECT_GT(row[0].as<std::int64_t>(), previous);
      previous = row[0].as<std::int64_t>();
    }
  }
}

// Keys are grouped by hash: values that compare equal must meet in one group whatever their bits
// (0.0 and -0.0, NaNs of either sign), and 5,000 keys, multiples of 4,096, repeated three times,
// merge into 5,000 rows.
TEST(BatchPlan, KeysGroupedByHashMergeExactlyWhereTheyCompareEqual) {
  auto table = std::make_shared<const Table>(
      Table("d").column("k", Type::float64).column("n", Type::int64, default_value(0), not_null).unique_key({"k"}));
  Upsert s = insert_into(table);
  const double nan = std::numeric_limits<double>::quiet_NaN();
  s.rows({{0.0, 1}, {-0.0, 2}, {nan, 4}, {-nan, 8}, {1.5, 16}})
      .on_conflict({"k"})
      .do_update(aggregate_assignments({{"n", Aggregate::sum}}));
  BatchPlan plan = plan_batch(s, 65535);
  ASSERT_EQ(plan.merged_rows, 3u);
  const auto& rows = plan.statements[0].row_values();
  EXPECT_EQ(rows[0][1], Value(3));
  EXPECT_EQ(rows[1][1], Value(16));
  EXPECT_EQ(rows[2][1], Value(12));  // NaN sorts last

  std::vector<Row> many;
  for (int round = 0; round < 3; ++round) {
    for (int k = 0; k < 5000; ++k) many.push_back({k * 4096, 1, nullptr, nullptr, nullptr, nullptr});
  }
  BatchPlan merged = plan_batch(counter_upsert(many), 1'000'000, {.max_rows_per_statement = 100'000});
  ASSERT_EQ(merged.merged_rows, 5000u);
  for (const auto& row : merged.statements[0].row_values()) EXPECT_EQ(row[1], Value(3));
}

TEST(BatchPlan, SplitsByRowCapAndByParameterLimit) {
  std::vector<Row> rows;
  for (int k = 0; k < 2500; ++k) rows.push_back({k, 1, nullptr, nullptr, nullptr, nullptr});
  BatchPlan by_cap = plan_batch(counter_upsert(rows), 65535, {.max_rows_per_statement = 1000});
  ASSERT_EQ(by_cap.statements.size(), 3u);
  EXPECT_EQ(by_cap.statements[2].row_values().size(), 500u);
  // Six columns per row: 600 parameters hold exactly 100 rows.
  BatchPlan by_parameters = plan_batch(counter_upsert(rows), 600, {.max_rows_per_statement = 1000});
  ASSERT_EQ(by_parameters.statements.size(), 25u);
  for (const auto& st : by_parameters.statements) EXPECT_EQ(st.row_values().size(), 100u);
  BatchPlan uneven = plan_batch(counter_upsert(rows), 605, {.max_rows_per_statement = 1000});
  EXPECT_EQ(uneven.statements.front().row_values().size(), 100u);
}

// Where the SQL text names every row, the rows after the full statements go in a multiple of 64
// rows and the rest, so that batches of any size up to the cap use few statement texts.
TEST(BatchPlan, RepeatingSizesCutTheRestIntoAMultipleOf64AndTheFewLeft) {
  auto sizes_of = [](std::size_t n, detail::ChunkSizes sizes) {
    std::vector<Row> rows;
    for (std::size_t k = 0; k < n; ++k)
      rows.push_back({static_cast<std::int64_t>(k), 1, nullptr, nullptr, nullptr, nullptr});
    BatchPlan plan = plan_batch(counter_upsert(rows), 65535, {.max_rows_per_statement = 1000}, sizes);
    std::vector<std::size_t> out;
    std::size_t total = 0;
    for (const auto& st : plan.statements) {
      out.push_back(st.row_values().size());
      total += out.back();
    }
    EXPECT_EQ(total, n);
    return out;
  };
  using detail::ChunkSizes;
  EXPECT_EQ(sizes_of(903, ChunkSizes::repeating), (std::vector<std::size_t>{896, 7}));
  EXPECT_EQ(sizes_of(903, ChunkSizes::exact), (std::vector<std::size_t>{903}));
  EXPECT_EQ(sizes_of(2100, ChunkSizes::repeating), (std::vector<std::size_t>{1000, 1000, 64, 36}));
  EXPECT_EQ(sizes_of(48, ChunkSizes::repeating), (std::vector<std::size_t>{48}));
  EXPECT_EQ(sizes_of(640, ChunkSizes::repeating), (std::vector<std::size_t>{640}));
  // Every batch of 1 to 1,000 rows: at most 15 + 63 + 1 distinct statement sizes, not 1,000.
  std::set<std::size_t> distinct;
  for (std::size_t n = 1; n <= 1000; ++n) {
    for (std::size_t rows = n; rows > 0;) {
      const std::size_t next = detail::chunk_rows_at(rows, 1000, ChunkSizes::repeating);
      ASSERT_GT(next, 0u);
      ASSERT_LE(next, rows);
      distinct.insert(next);
      rows -= next;
    }
  }
  EXPECT_LE(distinct.size(), 79u);
}

TEST(BatchPlan, RowsThatCannotMergeGoInSuccessiveRounds) {
  Upsert s = insert_into(counter_table());
  s.rows({{1, 1, nullptr, nullptr, "a", nullptr},
          {1, 2, nullptr, nullptr, "b", nullptr},
          {2, 3, nullptr, nullptr, "c", nullptr},
          {1, 4, nullptr, nullptr, "d", nullptr}})
      .on_conflict({"k"})
      .do_update({{"n", proposed("n")}}, proposed("n") > col("n"));
  ASSERT_FALSE(merge_rules(s).has_value());
  BatchPlan plan = plan_batch(s, 65535);
  EXPECT_EQ(plan.rounds, 3u);
  ASSERT_EQ(plan.statements.size(), 3u);
  EXPECT_EQ(plan.statements[0].row_values().size(), 2u);  // first row of keys 1 and 2
  EXPECT_EQ(plan.statements[1].row_values()[0][4], Value("b"));
  EXPECT_EQ(plan.statements[2].row_values()[0][4], Value("d"));
  EXPECT_EQ(plan.input_round, (std::vector<std::size_t>{0, 1, 0, 2}));
}

TEST(BatchPlan, AssignmentsReadingOtherColumnsAreNotMerged) {
  Upsert s = insert_into(counter_table());
  s.rows({{1, 1, 1, nullptr, nullptr, nullptr}, {1, 2, 2, nullptr, nullptr, nullptr}})
      .on_conflict({"k"})
      .do_update({{"n", col("n") + proposed("n")}, {"hi", col("n")}});
  EXPECT_FALSE(merge_rules(s).has_value());
  EXPECT_EQ(plan_batch(s, 65535).rounds, 2u);
}

TEST(BatchPlan, DoNothingKeepsTheFirstRowOfAKey) {
  Upsert s = insert_into(counter_table());
  s.rows({{1, 1, nullptr, nullptr, "first", nullptr}, {1, 2, nullptr, nullptr, "second", nullptr}})
      .on_conflict({"k"})
      .do_nothing();
  BatchPlan plan = plan_batch(s, 65535);
  ASSERT_EQ(plan.statements.size(), 1u);
  ASSERT_EQ(plan.statements[0].row_values().size(), 1u);
  EXPECT_EQ(plan.statements[0].row_values()[0][4], Value("first"));
}

TEST(BatchPlan, ASumThatOverflowsWhileMergingIsReported) {
  const std::int64_t big = std::numeric_limits<std::int64_t>::max() - 1;
  Upsert s = counter_upsert({{1, big, nullptr, nullptr, nullptr, nullptr}, {1, 5, nullptr, nullptr, nullptr, nullptr}});
  expect_error([&] { plan_batch(s, 65535); }, ErrorCategory::overflow, {"overflows int64"});
}

}  // namespace
}  // namespace upsert::testing
