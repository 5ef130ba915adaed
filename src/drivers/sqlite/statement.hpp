#pragma once
// Prepared SQLite statements: one statement of SQL text prepared for keeps (the connection caches
// them by text), and run with bound values.

#include <memory>
#include <span>
#include <string>
#include <vector>

#include "session/driver.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace upsert::detail {

// sqlite3_finalize, for the owning handle below.
struct FinalizeStatement {
  void operator()(sqlite3_stmt* statement) const;
};

// A prepared statement; finalized when destroyed.
using SqliteStatement = std::unique_ptr<sqlite3_stmt, FinalizeStatement>;

// Prepares `sql` (SQLITE_PREPARE_PERSISTENT: it will run many times). Throws the engine's error, and
// Error(invalid_argument) for text that holds no statement or more than one.
SqliteStatement prepare_statement(sqlite3* db, const std::string& sql);

// Binds `params` to `statement` (prepared from `text`), steps it to the end and converts the rows
// to `result_types` (columns beyond them come back as text). Resets the statement and clears its
// bindings on the way out, even on error. `affected_rows` counts the rows the statement itself changed.
ExecResult run_statement(sqlite3* db, sqlite3_stmt* statement, const std::string& text, std::span<const Value> params,
                         const std::vector<Type>& result_types);

}  // namespace upsert::detail
