// Every statement the library refuses, with the category the caller acts on and a message that
// names the cause: unsupported where a dialect cannot keep PostgreSQL's semantics, invalid_argument
// where the input itself is wrong (on every dialect alike).

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "render/fixtures.hpp"

namespace upsert::testing {
namespace {

std::string name_of(Dialect d) {
  return std::string(dialect_name(d));
}

// Renders `s` in every dialect and expects the same invalid_argument error from each.
void expect_invalid_everywhere(const Upsert& s, std::initializer_list<std::string> fragments) {
  for (Dialect d : all_dialects()) {
    SCOPED_TRACE(name_of(d));
    expect_error([&] { render(s, d); }, ErrorCategory::invalid_argument, fragments);
  }
}

Table pages_table() {
  return Table("pages")
      .column("path", Type::text)
      .column("hits", Type::int64, default_value(0), not_null)
      .column("day", Type::date)
      .column("flag", Type::boolean)
      .column("note", Type::text)
      .primary_key({"path"});
}

Upsert pages_upsert() {
  Upsert s = insert_into(pages_table());
  s.row({"/a", 1, Date{2026, 11, 26}, true, "n"});
  return s;
}

// ---- what a dialect cannot express -------------------------------------------------------------

TEST(Unsupported, ReturningOnMysqlAndOracle) {
  Upsert s = pages_upsert();
  s.do_update(add_proposed({"hits"})).returning({"hits"});
  expect_error([&] { render(s, Dialect::mysql); }, ErrorCategory::unsupported, {"mysql", "RETURNING"});
  expect_error([&] { render(s, Dialect::oracle); }, ErrorCategory::unsupported, {"oracle", "RETURNING"});
}

TEST(Unsupported, InsertedFlagWhereRowsCannotTellInsertFromUpdate) {
  Upsert s = pages_upsert();
  s.do_update(add_proposed({"hits"})).returning_inserted_flag();
  for (Dialect d : {Dialect::sqlite, Dialect::mysql, Dialect::mariadb, Dialect::oracle}) {
    SCOPED_TRACE(name_of(d));
    expect_error([&] { render(s, d); }, ErrorCategory::unsupported, {name_of(d), "RETURNING"});
  }
  expect_error([&] { render(s, Dialect::sqlite); }, ErrorCategory::unsupported, {"inserted row from an updated"});
  expect_error([&] { render(s, Dialect::mariadb); }, ErrorCategory::unsupported, {"inserted row from an updated"});
}

// MariaDB's RETURNING also returns the existing rows that DO NOTHING or a false condition left
// alone; PostgreSQL returns only the rows it wrote.
TEST(Unsupported, MariadbReturningWithDoNothingOrCondition) {
  Upsert nothing = pages_upsert();
  nothing.do_nothing().returning({"path"});
  expect_error([&] { render(nothing, Dialect::mariadb); }, ErrorCategory::unsupported,
               {"mariadb", "RETURNING", "DO NOTHING", "left unchanged"});
  Upsert conditional = pages_upsert();
  conditional.do_update(add_proposed({"hits"}), col("hits") < 100).returning({"hits"});
  expect_error([&] { render(conditional, Dialect::mariadb); }, ErrorCategory::unsupported,
               {"mariadb", "RETURNING", "condition"});
}

TEST(Unsupported, PartialKeyTargetWithoutPartialIndexes) {
  Table t = Table("subscriptions")
                .column("user_id", Type::int64)
                .column("active", Type::boolean)
                .column("seats", Type::int64)
                .partial_unique_key({"user_id"}, col("active") == true, "subscriptions_live");
  Upsert s = insert_into(t);
  s.row({1, true, 2}).on_conflict_key("subscriptions_live").do_update(add_proposed({"seats"}));
  for (Dialect d : {Dialect::mysql, Dialect::mariadb, Dialect::oracle, Dialect::sqlserver}) {
    SCOPED_TRACE(name_of(d));
    expect_error([&] { render(s, d); }, ErrorCategory::unsupported,
                 {name_of(d), "\"subscriptions_live\" is a partial unique key"});
  }
}

// SQLite's x / 0 is NULL where PostgreSQL raises division_by_zero; only a non-zero constant divisor
// keeps the two equal.
TEST(Unsupported, SqliteDivisionByAnExpressionOrZero) {
  for (Expr e : {col("hits") / proposed("hits"), col("hits") / 0, col("hits") / (col("hits") + 1)}) {
    Upsert s = pages_upsert();
    s.do_update({{"hits", e}});
    expect_error([&] { render(s, Dialect::sqlite); }, ErrorCategory::unsupported,
                 {"sqlite", "division by an expression", "non-zero constant"});
  }
}

TEST(Unsupported, OracleEmptyString) {
  Upsert row = insert_into(pages_table());
  row.row({"/a", 1, Date{2026, 11, 26}, true, ""}).do_update(add_proposed({"hits"}));
  expect_error([&] { render(row, Dialect::oracle); }, ErrorCategory::unsupported, {"oracle", "empty string", "NULL"});
  EXPECT_NO_THROW(render(row, Dialect::postgresql));

  Upsert expression = pages_upsert();
  expression.do_update({{"note", coalesce({col("note"), ""})}});
  expect_error([&] { render(expression, Dialect::oracle); }, ErrorCategory::unsupported, {"oracle", "empty string"});
}

// ORA-38104: MERGE cannot update a column its ON clause reads.
TEST(Unsupported, OracleAssigningAConflictKeyColumn) {
  Upsert s = pages_upsert();
  s.do_update({{"path", proposed("note")}, {"hits", 0}});
  expect_error([&] { render(s, Dialect::oracle); }, ErrorCategory::unsupported, {"oracle", "\"path\"", "ORA-38104"});
  for (Dialect d : {Dialect::sqlite, Dialect::postgresql, Dialect::mysql, Dialect::mariadb, Dialect::sqlserver}) {
    EXPECT_NO_THROW(render(s, d)) << dialect_name(d);
  }
}

Table users_table() {
  return Table("users")
      .column("id", Type::int64)
      .column("email", Type::text)
      .column("logins", Type::int64, default_value(0), not_null)
      .primary_key({"id"})
      .unique_key({"email"});
}

// ON DUPLICATE KEY UPDATE fires on whichever unique key the row hits, not only on the target.
TEST(Unsupported, MysqlAnotherUniqueKeyWithoutOptIn) {
  Upsert s = insert_into(users_table());
  s.row({1, "a@example.com", 1}).do_update(add_proposed({"logins"}));
  for (Dialect d : {Dialect::mysql, Dialect::mariadb}) {
    SCOPED_TRACE(name_of(d));
    expect_error([&] { render(s, d); }, ErrorCategory::unsupported,
                 {name_of(d), "another unique key \"users_email_key\"", "allow_any_unique_key"});
    RenderOptions options;
    options.allow_any_unique_key = true;
    EXPECT_NO_THROW(render(s, d, options));
  }
  for (Dialect d : {Dialect::sqlite, Dialect::postgresql, Dialect::oracle, Dialect::sqlserver}) {
    EXPECT_NO_THROW(render(s, d)) << dialect_name(d);
  }
}

// A key holding an identity column never collides: the insert never gives that column.
TEST(Unsupported, MysqlKeysWithAnIdentityColumnDoNotCount) {
  Table t = Table("visits")
                .column("id", Type::int64, identity)
                .column("page", Type::text)
                .column("n", Type::int64)
                .primary_key({"id"})
                .unique_key({"page"})
                .unique_key({"id", "n"});
  Upsert s = insert_into(t);
  s.row({"/", 1}).on_conflict({"page"}).do_update(add_proposed({"n"}));
  EXPECT_NO_THROW(render(s, Dialect::mysql));
  EXPECT_NO_THROW(render(s, Dialect::mariadb));
}

// Left-to-right assignments with no order that keeps old-row reads: a swap, and a condition that
// reads two assigned columns (whichever goes first changes the condition for the other).
TEST(Unsupported, MysqlAssignmentsWithNoOldRowOrder) {
  Upsert swap = pages_upsert();
  swap.do_update({{"note", col("path")}, {"path", col("note")}});
  for (Dialect d : {Dialect::mysql, Dialect::mariadb}) {
    SCOPED_TRACE(name_of(d));
    expect_error([&] { render(swap, d); }, ErrorCategory::unsupported,
                 {name_of(d), "\"note\"", "\"path\"", "left to right", "two statements"});
  }
  Upsert condition = pages_upsert();
  condition.do_update({{"hits", col("hits") + 1}, {"day", proposed("day")}},
                      col("hits") < 10 && col("day") < proposed("day"));
  expect_error([&] { render(condition, Dialect::mysql); }, ErrorCategory::unsupported, {"\"hits\"", "\"day\""});
  for (Dialect d : {Dialect::sqlite, Dialect::postgresql, Dialect::oracle, Dialect::sqlserver}) {
    EXPECT_NO_THROW(render(condition, d)) << dialect_name(d);
  }
}

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

// ---- identifiers ---------------------------------------------------------------------------------

const std::vector<std::pair<std::string, std::string>>& bad_names() {
  static const std::vector<std::pair<std::string, std::string>> names{
      {"a\"b", "contains '\"'"},
      {"a`b", "contains '`'"},
      {"a]b", "contains ']'"},
      {"a'b", "contains '''"},
      {"x;drop", "contains ';'"},
      {"two words", "contains ' '"},
      {"", "empty"},
      {std::string(64, 'n'), "64 characters"},
      {"1st", "must start with a letter"},
      {"caf\xc3\xa9", "only ASCII letters"},
  };
  return names;
}

TEST(Identifiers, BadTableNames) {
  for (const auto& [name, fragment] : bad_names()) {
    SCOPED_TRACE(name);
    expect_error([&] { Table t(name); }, ErrorCategory::invalid_argument, {"table", fragment});
  }
}

TEST(Identifiers, BadColumnNames) {
  for (const auto& [name, fragment] : bad_names()) {
    SCOPED_TRACE(name);
    expect_error([&] { Table("t").column(name, Type::int64); }, ErrorCategory::invalid_argument, {"column", fragment});
  }
}

TEST(Identifiers, BadKeyNames) {
  for (const auto& [name, fragment] : bad_names()) {
    if (name.empty()) continue;  // an empty key name asks for a generated one
    SCOPED_TRACE(name);
    expect_error([&] { Table("t").column("k", Type::int64).unique_key({"k"}, name); }, ErrorCategory::invalid_argument,
                 {"key", fragment});
  }
}

TEST(Identifiers, QuoteIdentifierValidatesToo) {
  for (Dialect d : all_dialects()) {
    expect_error([&] { quote_identifier("x\"; DROP TABLE t; --", d); }, ErrorCategory::invalid_argument,
                 {"contains '\"'"});
  }
}

// ---- unknown columns and keys --------------------------------------------------------------------

TEST(UnknownColumns, InInsertColumns) {
  expect_error(
      [] {
        insert_into(pages_table()).columns({"path", "hitz"});
      },
      ErrorCategory::invalid_argument, {"no column \"hitz\"", "path, hits, day, flag, note"});
}

TEST(UnknownColumns, InAssignment) {
  expect_error(
      [] {
        pages_upsert().do_update({{"hitz", 1}});
      },
      ErrorCategory::invalid_argument, {"no column \"hitz\""});
}

TEST(UnknownColumns, InExpressions) {
  Upsert proposed_unknown = pages_upsert();
  proposed_unknown.do_update({{"hits", col("hits") + proposed("hitz")}});
  expect_invalid_everywhere(proposed_unknown, {"no column \"hitz\""});
  Upsert existing_unknown = pages_upsert();
  existing_unknown.do_update({{"hits", col("hitz")}});
  expect_invalid_everywhere(existing_unknown, {"no column \"hitz\""});
  Upsert in_condition = pages_upsert();
  in_condition.do_update({{"hits", 1}}, col("hitz") > 1);
  expect_invalid_everywhere(in_condition, {"no column \"hitz\""});
}

TEST(UnknownColumns, InReturning) {
  expect_error([] { pages_upsert().returning({"hitz"}); }, ErrorCategory::invalid_argument, {"no column \"hitz\""});
}

TEST(UnknownColumns, InConflictTarget) {
  expect_error([] { pages_upsert().on_conflict({"hitz"}); }, ErrorCategory::invalid_argument, {"no column \"hitz\""});
  expect_error([] { pages_upsert().on_conflict_key("pages_hitz_key"); }, ErrorCategory::invalid_argument,
               {"no unique key named \"pages_hitz_key\""});
}

TEST(ConflictTarget, NotAUniqueKey) {
  expect_error([] { pages_upsert().on_conflict({"hits"}); }, ErrorCategory::invalid_argument,
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
  Upsert s = insert_into(pages_table());
  s.row({"/a", "many", Date{2026, 11, 26}, true, "n"}).do_nothing();
  expect_invalid_everywhere(s, {"row 1", "column \"hits\" is int64", "\"many\" is text"});
  Upsert date_as_text = insert_into(pages_table());
  date_as_text.row({"/a", 1, "2026-11-26", true, "n"}).do_nothing();
  expect_invalid_everywhere(date_as_text, {"column \"day\" is date"});
}

TEST(Types, TextPlusInt) {
  Upsert s = pages_upsert();
  s.do_update({{"hits", col("note") + 1}});
  expect_invalid_everywhere(s, {"operator + in the assignment to \"hits\" needs numbers, got text"});
}

TEST(Types, DateComparedWithInt) {
  Upsert s = pages_upsert();
  s.do_update({{"hits", 1}}, col("day") > 20261126);
  expect_invalid_everywhere(s, {"cannot compare date with int64"});
}

TEST(Types, AndOnIntegers) {
  Upsert s = pages_upsert();
  s.do_update({{"flag", col("hits") && proposed("hits")}});
  expect_invalid_everywhere(s, {"AND", "needs booleans, got int64"});
}

TEST(Types, CaseWithMixedResultTypes) {
  Upsert s = pages_upsert();
  s.do_update({{"note", case_when({{col("flag"), "yes"}}, 0)}});
  expect_invalid_everywhere(s, {"CASE", "mixes result types text and int64"});
}

TEST(Types, CaseConditionMustBeBoolean) {
  Upsert s = pages_upsert();
  s.do_update({{"hits", case_when({{col("hits"), 1}}, 0)}});
  expect_invalid_everywhere(s, {"CASE WHEN", "needs a boolean condition, got int64"});
}

TEST(Types, AssignmentOfTheWrongType) {
  Upsert s = pages_upsert();
  s.do_update({{"hits", proposed("note")}});
  expect_invalid_everywhere(s, {"the assignment to \"hits\" has type text but the column is int64"});
}

TEST(Types, NullAssignedToANotNullColumn) {
  Upsert s = pages_upsert();
  s.do_update({{"hits", null()}});
  expect_invalid_everywhere(s, {"sets NULL in a NOT NULL column"});
}

TEST(Types, ConditionMustBeBoolean) {
  Upsert s = pages_upsert();
  s.do_update({{"hits", 1}}, col("hits") + 1);
  expect_invalid_everywhere(s, {"DO UPDATE WHERE condition must be a boolean, got int64"});
}

TEST(Types, GreatestOfBooleansAndOrderedBytes) {
  Upsert s = pages_upsert();
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
        insert_into(pages_table()).row({"/a", 1});
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
  Upsert s = insert_into(pages_table());
  s.row({"/a", 1, Date{2026, 11, 26}, true, "n"});
  expect_invalid_everywhere(s, {"no conflict action", "do_update", "do_nothing"});
}

TEST(Statement, NoRows) {
  Upsert s = insert_into(pages_table());
  s.do_nothing();
  expect_invalid_everywhere(s, {"no rows"});
}

TEST(Statement, ProposedOfAColumnNotInserted) {
  Upsert s = insert_into(pages_table());
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
  Upsert s = insert_into(pages_table());
  s.row({"/a", nullptr, Date{2026, 11, 26}, true, "n"}).do_nothing();
  expect_invalid_everywhere(s, {"NULL in NOT NULL column \"hits\" (row 1)"});
}

TEST(Statement, EmptyOrRepeatedAssignments) {
  expect_error([] { pages_upsert().do_update({}); }, ErrorCategory::invalid_argument, {"at least one assignment"});
  expect_error(
      [] {
        pages_upsert().do_update({{"hits", 1}, {"hits", 2}});
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
        insert_into(pages_table()).columns({"path", "path"});
      },
      ErrorCategory::invalid_argument, {"insert column \"path\" is named twice"});
  expect_error([] { pages_upsert().columns({"path"}); }, ErrorCategory::invalid_argument, {"before adding rows"});
}

}  // namespace
}  // namespace upsert::testing
