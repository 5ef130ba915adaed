// Input that is wrong on every dialect alike, refused before any SQL is written with
// Error(invalid_argument) naming the cause and the fix: NULL keys, unknown columns, conflict
// targets that are not a unique key, values and expressions of the wrong type, and statements
// that are incomplete or repeat a key (src/statement/validate.cpp).

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "render/fixtures.hpp"
#include "statement/rows.hpp"

namespace upsert::testing {
namespace {

// ---- NULL keys -----------------------------------------------------------------------------------

// A unique index treats NULLs as distinct: a NULL key never conflicts and inserts a duplicate.
TEST(NullKeys, RefusedEverywhere) {
  Upsert s = insert_into(ab_table());
  s.row({7, nullptr, Date{2026, 11, 26}, 13, 1, 0}).do_update(add_proposed({"participants"}));
  expect_invalid_everywhere(s, {"NULL in key column \"version\"", "row 1", "duplicate"});
}

// NULLS NOT DISTINCT makes NULL keys conflict on PostgreSQL 15+ only.
TEST(NullKeys, AllowedForANullsNotDistinctKeyOnPostgresqlOnly) {
  Table t = Table("labels")
                .column("name", Type::text)
                .column("scope", Type::text)
                .column("uses", Type::int64)
                .unique_key_nulls_not_distinct({"name", "scope"});
  Upsert s = insert_into(t);
  s.row({"red", nullptr, 1}).do_update(add_proposed({"uses"}));
  EXPECT_NO_THROW(render(s, Dialect::postgresql));
  for (Dialect d : {Dialect::sqlite, Dialect::mysql, Dialect::mariadb, Dialect::oracle, Dialect::sqlserver}) {
    SCOPED_TRACE(name_of(d));
    expect_error([&] { render(s, d); }, ErrorCategory::invalid_argument, {"NULL in key column \"scope\""});
  }
}

// ---- unknown columns and keys --------------------------------------------------------------------

TEST(UnknownColumns, InInsertColumns) {
  expect_error(
      [] {
        insert_into(page_hits_table()).columns({"path", "hitz"});
      },
      ErrorCategory::invalid_argument, {"no column \"hitz\"", "path, hits, day, flag, note"});
}

TEST(UnknownColumns, InAssignment) {
  expect_error(
      [] {
        page_hits_upsert().do_update({{"hitz", 1}});
      },
      ErrorCategory::invalid_argument, {"no column \"hitz\""});
}

TEST(UnknownColumns, InExpressions) {
  Upsert proposed_unknown = page_hits_upsert();
  proposed_unknown.do_update({{"hits", col("hits") + proposed("hitz")}});
  expect_invalid_everywhere(proposed_unknown, {"no column \"hitz\""});
  Upsert existing_unknown = page_hits_upsert();
  existing_unknown.do_update({{"hits", col("hitz")}});
  expect_invalid_everywhere(existing_unknown, {"no column \"hitz\""});
  Upsert in_condition = page_hits_upsert();
  in_condition.do_update({{"hits", 1}}, col("hitz") > 1);
  expect_invalid_everywhere(in_condition, {"no column \"hitz\""});
}

TEST(UnknownColumns, InReturning) {
  expect_error([] { page_hits_upsert().returning({"hitz"}); }, ErrorCategory::invalid_argument, {"no column \"hitz\""});
}

TEST(UnknownColumns, InConflictTarget) {
  expect_error([] { page_hits_upsert().on_conflict({"hitz"}); }, ErrorCategory::invalid_argument,
               {"no column \"hitz\""});
  expect_error([] { page_hits_upsert().on_conflict_key("pages_hitz_key"); }, ErrorCategory::invalid_argument,
               {"no unique key named \"pages_hitz_key\""});
}

TEST(ConflictTarget, NotAUniqueKey) {
  expect_error([] { page_hits_upsert().on_conflict({"hits"}); }, ErrorCategory::invalid_argument,
               {"conflict target (hits) is not a unique key of table \"pages\"", "(path)"});
  // A subset of a key is not the key.
  expect_error(
      [] {
        insert_into(ab_table()).on_conflict({"ab_test_id", "version"});
      },
      ErrorCategory::invalid_argument, {"not a unique key"});
}

TEST(ConflictTarget, TableWithoutKeysOrWithSeveral) {
  Table none = Table("t").column("a", Type::int64);
  Upsert s = insert_into(none);
  s.row({1}).do_nothing();
  expect_invalid_everywhere(s, {"0 unique keys", "on_conflict()"});
  Table two = Table("t").column("a", Type::int64).column("b", Type::int64).unique_key({"a"}).unique_key({"b"});
  Upsert ambiguous = insert_into(two);
  ambiguous.row({1, 2}).do_nothing();
  expect_invalid_everywhere(ambiguous, {"2 unique keys", "on_conflict()"});
}

TEST(ConflictTarget, KeyColumnMissingFromTheInsert) {
  Upsert s = insert_into(ab_table());
  s.columns({"ab_test_id", "version", "date", "participants"}).row({7, "B", Date{2026, 11, 26}, 1}).do_nothing();
  expect_invalid_everywhere(s, {"key column \"hour\" is not among the insert columns"});
}

// ---- types ---------------------------------------------------------------------------------------

TEST(Types, RowValueOfTheWrongType) {
  Upsert s = insert_into(page_hits_table());
  s.row({"/a", "many", Date{2026, 11, 26}, true, "n"}).do_nothing();
  expect_invalid_everywhere(s, {"row 1", "column \"hits\" is int64", "\"many\" is text"});
  Upsert date_as_text = insert_into(page_hits_table());
  date_as_text.row({"/a", 1, "2026-11-26", true, "n"}).do_nothing();
  expect_invalid_everywhere(date_as_text, {"column \"day\" is date"});
}

TEST(Types, TextPlusInt) {
  Upsert s = page_hits_upsert();
  s.do_update({{"hits", col("note") + 1}});
  expect_invalid_everywhere(s, {"operator + in the assignment to \"hits\" needs numbers, got text"});
}

TEST(Types, DateComparedWithInt) {
  Upsert s = page_hits_upsert();
  s.do_update({{"hits", 1}}, col("day") > 20261126);
  expect_invalid_everywhere(s, {"cannot compare date with int64"});
}

TEST(Types, AndOnIntegers) {
  Upsert s = page_hits_upsert();
  s.do_update({{"flag", col("hits") && proposed("hits")}});
  expect_invalid_everywhere(s, {"AND", "needs booleans, got int64"});
}

TEST(Types, CaseWithMixedResultTypes) {
  Upsert s = page_hits_upsert();
  s.do_update({{"note", case_when({{col("flag"), "yes"}}, 0)}});
  expect_invalid_everywhere(s, {"CASE", "mixes result types text and int64"});
}

TEST(Types, CaseConditionMustBeBoolean) {
  Upsert s = page_hits_upsert();
  s.do_update({{"hits", case_when({{col("hits"), 1}}, 0)}});
  expect_invalid_everywhere(s, {"CASE WHEN", "needs a boolean condition, got int64"});
}

TEST(Types, AssignmentOfTheWrongType) {
  Upsert s = page_hits_upsert();
  s.do_update({{"hits", proposed("note")}});
  expect_invalid_everywhere(s, {"the assignment to \"hits\" has type text but the column is int64"});
}

TEST(Types, NullAssignedToANotNullColumn) {
  Upsert s = page_hits_upsert();
  s.do_update({{"hits", null()}});
  expect_invalid_everywhere(s, {"sets NULL in a NOT NULL column"});
}

TEST(Types, ConditionMustBeBoolean) {
  Upsert s = page_hits_upsert();
  s.do_update({{"hits", 1}}, col("hits") + 1);
  expect_invalid_everywhere(s, {"DO UPDATE WHERE condition must be a boolean, got int64"});
}

TEST(Types, GreatestOfBooleansAndOrderedBytes) {
  Upsert s = page_hits_upsert();
  s.do_update({{"flag", greatest({col("flag"), proposed("flag")})}});
  expect_invalid_everywhere(s, {"GREATEST", "cannot order bool values"});
  Table t = Table("b").column("k", Type::int64).column("v", Type::bytes).primary_key({"k"});
  Upsert bytes = insert_into(t);
  bytes.row({1, Bytes{{1}}}).do_update({{"v", proposed("v")}}, col("v") < proposed("v"));
  expect_invalid_everywhere(bytes, {"bytes can only be compared for equality"});
}

// ---- the shape of the statement ------------------------------------------------------------------

TEST(Statement, RowWithTheWrongNumberOfValues) {
  expect_error(
      [] {
        insert_into(page_hits_table()).row({"/a", 1});
      },
      ErrorCategory::invalid_argument,
      {"row 1 has 2 values but the insert has 5 columns (path, hits, day, flag, note)"});
}

TEST(Statement, DuplicateKeysInOneStatement) {
  Upsert s = ab_upsert(3);
  s.row({7, "B", Date{2026, 11, 26}, 14, 5, 5});
  expect_invalid_everywhere(s,
                            {"rows 2 and 4 have the same key (7, \"B\", 2026-11-26, 14)", "Connection::execute_batch"});
}

TEST(Statement, NoActionChosen) {
  Upsert s = insert_into(page_hits_table());
  s.row({"/a", 1, Date{2026, 11, 26}, true, "n"});
  expect_invalid_everywhere(s, {"no conflict action", "do_update", "do_nothing"});
}

TEST(Statement, NoRows) {
  Upsert s = insert_into(page_hits_table());
  s.do_nothing();
  expect_invalid_everywhere(s, {"no rows"});
}

TEST(Statement, ProposedOfAColumnNotInserted) {
  Upsert s = insert_into(page_hits_table());
  s.columns({"path", "hits"}).row({"/a", 1}).do_update({{"note", proposed("note")}});
  expect_invalid_everywhere(s, {"proposed(\"note\")", "does not insert", "add \"note\" to the insert columns"});
}

TEST(Statement, NotNullColumnWithoutDefaultMissingFromTheInsert) {
  Table t = Table("t").column("k", Type::int64).column("must", Type::text, not_null).primary_key({"k"});
  Upsert s = insert_into(t);
  s.columns({"k"}).row({1}).do_nothing();
  expect_invalid_everywhere(s, {"column \"must\" is NOT NULL and has no default", "add it to the insert columns"});
}

TEST(Statement, NullInANotNullColumn) {
  Upsert s = insert_into(page_hits_table());
  s.row({"/a", nullptr, Date{2026, 11, 26}, true, "n"}).do_nothing();
  expect_invalid_everywhere(s, {"NULL in NOT NULL column \"hits\" (row 1)"});
}

TEST(Statement, EmptyOrRepeatedAssignments) {
  expect_error([] { page_hits_upsert().do_update({}); }, ErrorCategory::invalid_argument, {"at least one assignment"});
  expect_error(
      [] {
        page_hits_upsert().do_update({{"hits", 1}, {"hits", 2}});
      },
      ErrorCategory::invalid_argument, {"column \"hits\" is assigned twice"});
}

TEST(Statement, IdentityColumnsAreNeverInsertedOrAssigned) {
  Table t =
      Table("t").column("id", Type::int64, identity).column("k", Type::text).column("n", Type::int64).unique_key({"k"});
  expect_error(
      [&] {
        insert_into(t).columns({"id", "k"});
      },
      ErrorCategory::invalid_argument, {"column \"id\" is generated by the engine"});
  Upsert s = insert_into(t);
  s.row({"a", 1}).do_update({{"id", 5}});
  expect_invalid_everywhere(s, {"column \"id\" is generated by the engine (identity): do not assign it"});
}

TEST(Statement, InsertColumnsNamedTwiceOrAfterRows) {
  expect_error(
      [] {
        insert_into(page_hits_table()).columns({"path", "path"});
      },
      ErrorCategory::invalid_argument, {"insert column \"path\" is named twice"});
  expect_error([] { page_hits_upsert().columns({"path"}); }, ErrorCategory::invalid_argument, {"before adding rows"});
}

// The writer checks each value as add() takes it and hands its rows over as checked: rendering
// does not check them a second time. Rows added by hand, or checked against another conflict
// target, are checked again.
TEST(Statement, RowsCheckedAlreadyAreNotCheckedAgain) {
  Upsert s = insert_into(ab_table());
  s.on_conflict({"ab_test_id", "version", "date", "hour"}).do_update(add_proposed({"participants"}));
  // A NULL key, as a row nobody checked: refused.
  detail::StatementRows::set_checked_rows(s, {{7, nullptr, Date{2026, 11, 26}, 13, 1, 0}});
  EXPECT_NO_THROW(render(s, Dialect::postgresql)) << "checked rows are taken as they are";
  s.row({7, "B", Date{2026, 11, 26}, 14, 1, 0});
  expect_invalid_everywhere(s, {"NULL in key column \"version\""});

  s.clear_rows();
  detail::StatementRows::set_checked_rows(s, {{7, nullptr, Date{2026, 11, 26}, 13, 1, 0}});
  s.on_conflict({"ab_test_id", "version", "date", "hour"});
  expect_invalid_everywhere(s, {"NULL in key column \"version\""});
}

// Found by fuzz_statement: Expr(ExprKind::equal, {}) was accepted, and rendering read its missing
// operands (undefined behaviour: a reference to the first element of an empty vector). A node with
// the wrong operand count is now refused where it is built.
TEST(Expressions, WrongOperandCountsAreRefusedWhenBuilt) {
  expect_error([] { Expr(ExprKind::equal, {}); }, ErrorCategory::invalid_argument, {"0 operands", "takes 2"});
  expect_error(
      [] {
        Expr(ExprKind::add, {col("n"), col("n"), col("n")});
      },
      ErrorCategory::invalid_argument, {"3 operands"});
  expect_error([] { Expr(ExprKind::negate, {}); }, ErrorCategory::invalid_argument, {"takes 1"});
  expect_error([] { Expr(ExprKind::greatest, {}); }, ErrorCategory::invalid_argument, {"at least 1"});
  expect_error([] { Expr(ExprKind::case_when, {col("n") > 1}); }, ErrorCategory::invalid_argument,
               {"condition/value pairs"});
  expect_error([] { Expr(ExprKind::existing, {}); }, ErrorCategory::invalid_argument, {"col()"});
  // What the operators and functions build is untouched, an ELSE included.
  EXPECT_EQ(case_when({{col("n") > 1, val(2)}}, val(3)).args().size(), 3u);
  EXPECT_EQ((-col("n")).args().size(), 1u);
}

}  // namespace
}  // namespace upsert::testing
