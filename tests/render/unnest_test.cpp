// Golden SQL for PostgreSQL's column-array form (render_unnest), which PostgreSQL batches run: one array parameter per
// insert column, the row values not in the result, and the same text whatever the row count. The driver tests run these
// statements on a real server.

#include <gtest/gtest.h>

#include "render/fixtures.hpp"
#include "render/unnest.hpp"

namespace upsert::testing {
namespace {

using detail::ColumnArraySql;
using detail::render_unnest;

const std::string ab_unnest =
    R"(INSERT INTO "ab_hourly" ("ab_test_id", "version", "date", "hour", "participants", "conversions") )"
    R"(SELECT * FROM unnest($1::BIGINT[], $2::TEXT[], $3::DATE[], $4::BIGINT[], $5::BIGINT[], $6::BIGINT[]) )"
    R"(ON CONFLICT ("ab_test_id", "version", "date", "hour") DO UPDATE SET )"
    R"("participants" = "ab_hourly"."participants" + EXCLUDED."participants", )"
    R"("conversions" = "ab_hourly"."conversions" + EXCLUDED."conversions")";

TEST(Unnest, AbUpsertHasOneArrayPerColumn) {
  ColumnArraySql sql = render_unnest(ab_upsert(3));
  EXPECT_EQ(sql.text, ab_unnest);
  const std::vector<Type> types{Type::int64, Type::text, Type::date, Type::int64, Type::int64, Type::int64};
  EXPECT_EQ(sql.array_types, types);
  EXPECT_TRUE(sql.params.empty()) << "the rows travel as arrays, not as values";
}

TEST(Unnest, TextIsTheSameForEveryRowCount) {
  for (int rows : {1, 2, 1000, 20000}) EXPECT_EQ(render_unnest(ab_upsert(rows)).text, ab_unnest) << rows;
}

TEST(Unnest, ReturningWithTheInsertedFlag) {
  Upsert s = ab_upsert(2);
  s.returning({"participants"}).returning_inserted_flag();
  EXPECT_EQ(render_unnest(s).text, ab_unnest + R"( RETURNING "participants", (xmax = 0) AS "inserted")");
  s.returning({});
  EXPECT_EQ(render_unnest(s).text, ab_unnest + R"( RETURNING (xmax = 0) AS "inserted")");
}

// Values in the update come after the arrays: $1..$k are always the k columns.
TEST(Unnest, BoundValuesInTheUpdateAreNumberedAfterTheArrays) {
  Table t = Table("scores")
                .column("k", Type::int64)
                .column("best", Type::float64)
                .column("note", Type::text)
                .primary_key({"k"});
  Upsert s = insert_into(t);
  s.row({1, 2.5, "x"})
      .row({2, 7, nullptr})
      .on_conflict({"k"})
      .do_update(
          {{"best", greatest({col("best"), proposed("best") * 2})}, {"note", coalesce({proposed("note"), "none"})}},
          col("best") < 100);
  ColumnArraySql sql = render_unnest(s);
  EXPECT_EQ(sql.text,
            R"(INSERT INTO "scores" ("k", "best", "note") SELECT * FROM unnest($1::BIGINT[], )"
            R"($2::DOUBLE PRECISION[], $3::TEXT[]) ON CONFLICT ("k") DO UPDATE SET )"
            R"("best" = GREATEST("scores"."best", EXCLUDED."best" * $4), "note" = COALESCE(EXCLUDED."note", $5) )"
            R"(WHERE "scores"."best" < $6)");
  EXPECT_EQ(sql.array_types, (std::vector<Type>{Type::int64, Type::float64, Type::text}));
  EXPECT_EQ(sql.params, (std::vector<Value>{2, "none", 100}));
}

TEST(Unnest, EveryTypeCastsToItsArrayType) {
  Table t = Table("all_types")
                .column("id", Type::int64)
                .column("f", Type::float64)
                .column("t", Type::text)
                .column("b", Type::boolean)
                .column("d", Type::date)
                .column("ts", Type::timestamp)
                .column("by", Type::bytes)
                .primary_key({"id"});
  Upsert s = insert_into(t);
  s.row({1, 0.5, "t", true, Date{2026, 11, 26}, Timestamp{0}, Bytes{{1}}}).on_conflict({"id"}).do_nothing();
  EXPECT_EQ(render_unnest(s).text,
            R"(INSERT INTO "all_types" ("id", "f", "t", "b", "d", "ts", "by") SELECT * FROM unnest($1::BIGINT[], )"
            R"($2::DOUBLE PRECISION[], $3::TEXT[], $4::BOOLEAN[], $5::DATE[], $6::TIMESTAMP[], $7::BYTEA[]) )"
            R"(ON CONFLICT ("id") DO NOTHING)");
}

// Only the insert columns, in the statement's order, get arrays; omitted columns take defaults.
TEST(Unnest, ChosenInsertColumnsInTheirOrder) {
  Upsert s = insert_into(ab_table());
  s.columns({"hour", "version", "ab_test_id", "date", "participants"})
      .row({13, "A", 7, Date{2026, 11, 26}, 1})
      .do_update(add_proposed({"participants"}));
  ColumnArraySql sql = render_unnest(s);
  EXPECT_EQ(sql.text,
            R"(INSERT INTO "ab_hourly" ("hour", "version", "ab_test_id", "date", "participants") SELECT * FROM )"
            R"(unnest($1::BIGINT[], $2::TEXT[], $3::BIGINT[], $4::DATE[], $5::BIGINT[]) ON CONFLICT )"
            R"(("ab_test_id", "version", "date", "hour") DO UPDATE SET )"
            R"("participants" = "ab_hourly"."participants" + EXCLUDED."participants")");
  EXPECT_EQ(sql.array_types, (std::vector<Type>{Type::int64, Type::text, Type::int64, Type::date, Type::int64}));
}

TEST(Unnest, PartialKeyTargetKeepsItsPredicate) {
  Table t = Table("subscriptions")
                .column("user_id", Type::int64)
                .column("plan", Type::text)
                .column("active", Type::boolean)
                .column("seats", Type::int64, default_value(0), not_null)
                .partial_unique_key({"user_id"}, col("active") == true && col("plan") != "free", "subscriptions_live");
  Upsert s = insert_into(t);
  s.row({42, "team", true, 5}).on_conflict_key("subscriptions_live").do_update(add_proposed({"seats"}));
  EXPECT_EQ(render_unnest(s).text,
            R"(INSERT INTO "subscriptions" ("user_id", "plan", "active", "seats") SELECT * FROM unnest()"
            R"($1::BIGINT[], $2::TEXT[], $3::BOOLEAN[], $4::BIGINT[]) ON CONFLICT ("user_id") WHERE )"
            R"(("active" = TRUE) AND ("plan" <> 'free') DO UPDATE SET "seats" = "subscriptions"."seats" + )"
            R"(EXCLUDED."seats")");
}

// The statement is checked as render() checks it.
TEST(Unnest, RefusesWhatRenderRefuses) {
  Upsert null_key = insert_into(ab_table());
  null_key.row({7, nullptr, Date{2026, 11, 26}, 13, 1, 0}).do_update(add_proposed({"participants"}));
  expect_error([&] { render_unnest(null_key); }, ErrorCategory::invalid_argument, {"NULL in key column \"version\""});

  Upsert twice = ab_upsert(1);
  twice.row({7, "B", Date{2026, 11, 26}, 13, 5, 0});
  expect_error([&] { render_unnest(twice); }, ErrorCategory::invalid_argument, {"same key"});

  Upsert wrong_type = insert_into(ab_table());
  wrong_type.row({7, "B", "2026-11-26", 13, 1, 0}).do_update(add_proposed({"participants"}));
  expect_error([&] { render_unnest(wrong_type); }, ErrorCategory::invalid_argument, {"\"date\""});

  Upsert no_action = insert_into(ab_table());
  no_action.row({7, "B", Date{2026, 11, 26}, 13, 1, 0});
  expect_error([&] { render_unnest(no_action); }, ErrorCategory::invalid_argument, {"no conflict action"});
}

}  // namespace
}  // namespace upsert::testing
