// The facts an Error carries for a caller to branch on without parsing engine codes, as each
// engine's error mapping (src/drivers/<engine>/error.cpp) sets them on its real engine: which kind
// of constraint refused a row, the SQLSTATE where the engine has one, and whether a retry can help.

#include <string>

#include "support/engine_fixture.hpp"

namespace upsert::testing {
namespace {

class ErrorFacts : public EngineTest {
 protected:
  void SetUp() override {
    EngineTest::SetUp();
    parent_ = unique_table_name("parent");
    child_ = unique_table_name("child");
    // Dropped child first: the foreign key holds the parent.
    created_.push_back(child_);
    created_.push_back(parent_);
    drop_table(db(), child_);
    drop_table(db(), parent_);
    const std::string bigint = GetParam() == Engine::sqlite ? "INTEGER" : "BIGINT";
    db().execute_script("CREATE TABLE " + q(parent_) + " (id " + bigint + " PRIMARY KEY)");
    // Table constraints, which every engine reads (MariaDB ignores REFERENCES in a column).
    db().execute_script("CREATE TABLE " + q(child_) + " (id " + bigint + " PRIMARY KEY, parent_id " + bigint +
                        ", email VARCHAR(100) NOT NULL, n " + bigint + ", UNIQUE (email), CHECK (n >= 0), " +
                        "FOREIGN KEY (parent_id) REFERENCES " + q(parent_) + " (id))");
    db().execute_script("INSERT INTO " + q(parent_) + " (id) VALUES (1)");
    db().execute_script("INSERT INTO " + q(child_) + " (id, parent_id, email, n) VALUES (1, 1, 'a', 1)");
  }

  std::string q(const std::string& name) { return quote_identifier(name, db().dialect()); }

  // The error of inserting `values` into the child table.
  Error insert_error(const std::string& values) {
    try {
      db().execute_script("INSERT INTO " + q(child_) + " (id, parent_id, email, n) VALUES " + values);
    } catch (const Error& e) {
      return e;
    }
    ADD_FAILURE() << "the insert of " << values << " was not refused";
    return Error(ErrorCategory::internal, "no error");
  }

  // The SQLSTATE each engine gives a constraint violation: PostgreSQL's own per kind, MariaDB's
  // 23000 for all, none on SQLite.
  std::string sqlstate_for(const std::string& postgres_sqlstate) const {
    switch (GetParam()) {
      case Engine::postgres: return postgres_sqlstate;
      case Engine::mariadb: return "23000";
      case Engine::sqlite: return "";
    }
    return "?";
  }

  void expect_violation(const Error& e, ConstraintKind kind, const std::string& postgres_sqlstate) {
    EXPECT_EQ(category_name(e.category()), category_name(ErrorCategory::constraint)) << e.what();
    EXPECT_EQ(constraint_kind_name(e.constraint()), constraint_kind_name(kind)) << e.what();
    EXPECT_EQ(e.sqlstate(), sqlstate_for(postgres_sqlstate)) << e.what();
    EXPECT_FALSE(e.retryable()) << "a constraint refuses the row again: " << e.what();
    EXPECT_FALSE(e.engine_code().empty()) << e.what();
  }

  std::string parent_, child_;
};

TEST_P(ErrorFacts, UniqueViolation) {
  expect_violation(insert_error("(2, 1, 'a', 1)"), ConstraintKind::unique, "23505");
}

TEST_P(ErrorFacts, NotNullViolation) {
  expect_violation(insert_error("(2, 1, NULL, 1)"), ConstraintKind::not_null, "23502");
}

TEST_P(ErrorFacts, CheckViolation) {
  expect_violation(insert_error("(2, 1, 'b', -1)"), ConstraintKind::check, "23514");
}

TEST_P(ErrorFacts, ForeignKeyViolation) {
  expect_violation(insert_error("(2, 999, 'b', 1)"), ConstraintKind::foreign_key, "23503");
}

// The same facts through a prepared statement with bound values (on MariaDB they come from
// mysql_stmt_sqlstate, not mysql_sqlstate) and through an upsert.
TEST_P(ErrorFacts, FromPreparedStatementsAndUpserts) {
  const bool dollar = GetParam() == Engine::postgres;
  const std::string placeholders = dollar ? "($1, $2, $3, $4)" : "(?, ?, ?, ?)";
  try {
    db().execute_sql(
        Sql{"INSERT INTO " + q(child_) + " (id, parent_id, email, n) VALUES " + placeholders, {2, 1, "a", 1}});
    ADD_FAILURE() << "a repeated email was not refused";
  } catch (const Error& e) {
    expect_violation(e, ConstraintKind::unique, "23505");
  }

  auto child = std::make_shared<const Table>(Table(child_)
                                                 .column("id", Type::int64)
                                                 .column("parent_id", Type::int64)
                                                 .column("email", Type::text, not_null)
                                                 .column("n", Type::int64)
                                                 .primary_key({"id"}));
  Upsert s = insert_into(child);
  s.row({1, 1, "a", -5}).on_conflict({"id"}).do_update({{"n", proposed("n")}});
  try {
    db().execute(s);
    ADD_FAILURE() << "an upsert breaking the CHECK was not refused";
  } catch (const Error& e) {
    expect_violation(e, ConstraintKind::check, "23514");
  }
}

// What is not a constraint violation says so; a syntax error carries its SQLSTATE and is not retryable.
TEST_P(ErrorFacts, OtherErrorsAreNoConstraint) {
  try {
    db().execute_script("SELEC 1");
    ADD_FAILURE() << "bad SQL was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(category_name(e.category()), category_name(ErrorCategory::syntax)) << e.what();
    EXPECT_EQ(constraint_kind_name(e.constraint()), "none") << e.what();
    EXPECT_FALSE(e.retryable()) << e.what();
    const std::string expected = GetParam() == Engine::postgres  ? "42601"
                                 : GetParam() == Engine::mariadb ? "42000"
                                                                 : "";
    EXPECT_EQ(e.sqlstate(), expected) << e.what();
  }
}

INSTANTIATE_TEST_SUITE_P(Engines, ErrorFacts, ::testing::ValuesIn(all_engines()), EngineName());

}  // namespace
}  // namespace upsert::testing
