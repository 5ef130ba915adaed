// Prepared statements: preparing one statement of SQL text, and running it with bound values.

#include "drivers/sqlite/statement.hpp"

#include <fmt/format.h>
#include <sqlite3.h>

#include <optional>

#include "drivers/sqlite/error.hpp"
#include "drivers/sqlite/values.hpp"

namespace upsert::detail {

namespace {

[[noreturn]] void throw_last_error(sqlite3* db, std::string_view sql) {
  throw sqlite_error(sqlite3_extended_errcode(db), sqlite3_errmsg(db), std::string(sql));
}

// Resets a statement and drops its bindings whatever happens, so a cached statement holds no lock
// and no copy of the caller's values once run_statement returns.
class ResetOnExit {
 public:
  explicit ResetOnExit(sqlite3_stmt* statement) : statement_(statement) {}
  ResetOnExit(const ResetOnExit&) = delete;
  ResetOnExit& operator=(const ResetOnExit&) = delete;
  ~ResetOnExit() {
    sqlite3_reset(statement_);
    sqlite3_clear_bindings(statement_);
  }

 private:
  sqlite3_stmt* statement_;
};

void bind_all(sqlite3* db, sqlite3_stmt* statement, const std::string& text, std::span<const Value> params) {
  const int expected = sqlite3_bind_parameter_count(statement);
  if (static_cast<std::size_t>(expected) != params.size()) {
    throw Error(ErrorCategory::invalid_argument,
                fmt::format("the SQL has {} placeholders but {} values were given: pass one value per placeholder",
                            expected, params.size()),
                "", text);
  }
  for (std::size_t i = 0; i < params.size(); ++i) {
    if (bind_value(statement, static_cast<int>(i + 1), params[i]) != SQLITE_OK) throw_last_error(db, text);
  }
}

}  // namespace

void FinalizeStatement::operator()(sqlite3_stmt* statement) const {
  sqlite3_finalize(statement);
}

SqliteStatement prepare_statement(sqlite3* db, const std::string& sql) {
  sqlite3_stmt* statement = nullptr;
  const char* tail = nullptr;
  const int rc = sqlite3_prepare_v3(db, sql.c_str(), static_cast<int>(sql.size() + 1), SQLITE_PREPARE_PERSISTENT,
                                    &statement, &tail);
  if (rc != SQLITE_OK) throw_last_error(db, sql);
  if (statement == nullptr) {
    throw Error(ErrorCategory::invalid_argument, "the SQL holds no statement (only blanks or comments): pass one", "",
                sql);
  }
  // One statement per call: text after it would be silently ignored.
  if (tail != nullptr && std::string_view(tail).find_first_not_of(" \t\r\n;") != std::string_view::npos) {
    sqlite3_finalize(statement);
    throw Error(ErrorCategory::invalid_argument,
                "the SQL holds more than one statement: run them one by one, or use execute_script() for SQL "
                "without parameters",
                "", sql);
  }
  return SqliteStatement(statement);
}

ExecResult run_statement(sqlite3* db, sqlite3_stmt* statement, const std::string& text, std::span<const Value> params,
                         const std::vector<Type>& result_types) {
  ResetOnExit reset(statement);
  bind_all(db, statement, text, params);
  const bool writes = sqlite3_stmt_readonly(statement) == 0;
  const sqlite3_int64 changes_before = sqlite3_total_changes64(db);
  ExecResult result;
  // A value that cannot be converted must not stop the statement halfway: SQLite applies RETURNING
  // statements on the first step, so step to the end and report the conversion afterwards.
  std::optional<Error> conversion;
  for (;;) {
    const int rc = sqlite3_step(statement);
    if (rc == SQLITE_DONE) break;
    if (rc != SQLITE_ROW) throw_last_error(db, text);
    if (conversion) continue;
    try {
      result.rows.push_back(read_row(statement, result_types));
    } catch (const Error& e) {
      conversion = e;
    }
  }
  if (conversion) throw *conversion;
  // sqlite3_changes64 keeps the count of the last INSERT/UPDATE/DELETE, so a statement that changed
  // nothing (DDL, DO NOTHING, a false WHERE) is told apart by the total not moving.
  if (writes && sqlite3_total_changes64(db) != changes_before) result.affected_rows = sqlite3_changes64(db);
  return result;
}

}  // namespace upsert::detail
