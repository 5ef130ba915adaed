// What a dialect cannot express with PostgreSQL's semantics (unsupported, naming the cause and the
// fix), and identifiers no dialect accepts. Input that is wrong on every dialect alike is in
// tests/statement/validate_test.cpp.

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "render/fixtures.hpp"

namespace upsert::testing {
namespace {

// ---- what a dialect cannot express -------------------------------------------------------------

TEST(Unsupported, ReturningOnMysqlAndOracle) {
  Upsert s = page_hits_upsert();
  s.do_update(add_proposed({"hits"})).returning({"hits"});
  expect_error([&] { render(s, Dialect::mysql); }, ErrorCategory::unsupported, {"mysql", "RETURNING"});
  expect_error([&] { render(s, Dialect::oracle); }, ErrorCategory::unsupported, {"oracle", "RETURNING"});
}

TEST(Unsupported, InsertedFlagWhereRowsCannotTellInsertFromUpdate) {
  Upsert s = page_hits_upsert();
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
  Upsert nothing = page_hits_upsert();
  nothing.do_nothing().returning({"path"});
  expect_error([&] { render(nothing, Dialect::mariadb); }, ErrorCategory::unsupported,
               {"mariadb", "RETURNING", "DO NOTHING", "left unchanged"});
  Upsert conditional = page_hits_upsert();
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
    Upsert s = page_hits_upsert();
    s.do_update({{"hits", e}});
    expect_error([&] { render(s, Dialect::sqlite); }, ErrorCategory::unsupported,
                 {"sqlite", "division by an expression", "non-zero constant"});
  }
}

TEST(Unsupported, OracleEmptyString) {
  Upsert row = insert_into(page_hits_table());
  row.row({"/a", 1, Date{2026, 11, 26}, true, ""}).do_update(add_proposed({"hits"}));
  expect_error([&] { render(row, Dialect::oracle); }, ErrorCategory::unsupported, {"oracle", "empty string", "NULL"});
  EXPECT_NO_THROW(render(row, Dialect::postgresql));

  Upsert expression = page_hits_upsert();
  expression.do_update({{"note", coalesce({col("note"), ""})}});
  expect_error([&] { render(expression, Dialect::oracle); }, ErrorCategory::unsupported, {"oracle", "empty string"});
}

// ORA-38104: MERGE cannot update a column its ON clause reads.
TEST(Unsupported, OracleAssigningAConflictKeyColumn) {
  Upsert s = page_hits_upsert();
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
  Upsert swap = page_hits_upsert();
  swap.do_update({{"note", col("path")}, {"path", col("note")}});
  for (Dialect d : {Dialect::mysql, Dialect::mariadb}) {
    SCOPED_TRACE(name_of(d));
    expect_error([&] { render(swap, d); }, ErrorCategory::unsupported,
                 {name_of(d), "\"note\"", "\"path\"", "left to right", "two statements"});
  }
  Upsert condition = page_hits_upsert();
  condition.do_update({{"hits", col("hits") + 1}, {"day", proposed("day")}},
                      col("hits") < 10 && col("day") < proposed("day"));
  expect_error([&] { render(condition, Dialect::mysql); }, ErrorCategory::unsupported, {"\"hits\"", "\"day\""});
  for (Dialect d : {Dialect::sqlite, Dialect::postgresql, Dialect::oracle, Dialect::sqlserver}) {
    EXPECT_NO_THROW(render(condition, d)) << dialect_name(d);
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

}  // namespace
}  // namespace upsert::testing
