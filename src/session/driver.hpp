#pragma once
// The private interface every engine folder (src/drivers/<engine>/) implements: I/O only. A driver
// connects, runs SQL text with bound parameters, offers its engine's bulk primitive, keeps the
// transaction state and maps the engine's errors onto ErrorCategory. It never builds SQL: what
// to run (and how to make the engine's answer mean what PostgreSQL's would) is the session's
// business (src/session/strategies/).
//
// Statement text is prepared on first use and kept per connection, keyed by the text: running the
// same text again sends only the values. A caller that renders a statement shape once and runs it
// with new values each time pays one prepare per connection.

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "upsert/connection.hpp"
#include "upsert/error.hpp"
#include "upsert/render.hpp"
#include "upsert/value.hpp"

namespace upsert::detail {

// The rows of a statement bound as one array per column (PostgreSQL's unnest form): array i holds
// column i of every row, in row order.
struct ColumnArrays {
  const std::vector<Row>& rows;                 // the rows
  const std::vector<Type>& types;               // the element type of each array (its column's type)
  const std::vector<std::string>& names;        // the columns' names, for messages
  const std::vector<std::size_t>& key_columns;  // the columns that name a row in messages
};

// One statement of Driver::run_column_arrays_pipelined: run_column_arrays' arguments.
struct ColumnArrayStatement {
  const std::string& text;
  ColumnArrays arrays;
  std::span<const Value> params;
};

// What became of one pipelined statement: its result; or the error it failed with, which rolled it
// back (nothing applied); or, after a lost connection, outcome_unknown; or not sent at all.
struct PipelinedOutcome {
  std::optional<ExecResult> result;
  std::optional<Error> error;
};

class Driver {
 public:
  virtual ~Driver() = default;

  // The dialect the server speaks (MySQL 8 or MariaDB is read from the server's version).
  virtual Dialect dialect() const = 0;
  // The server's version string.
  virtual std::string server_version() = 0;
  // How many bound parameters one statement may carry here.
  virtual std::size_t max_parameters() const { return upsert::max_parameters(dialect()); }
  // Names the database the connection is to (not the session): equal for two connections to one
  // database. Batch turns are taken per database and table.
  virtual std::string database() const = 0;

  // Runs `text` once (no retry) with `params` bound to its placeholders, in order. Result columns
  // are converted to `result_types` (columns beyond them come back as text).
  virtual ExecResult run(const std::string& text, std::span<const Value> params,
                         const std::vector<Type>& result_types) = 0;
  // Runs SQL text without parameters or results (DDL, SET, several statements where the engine
  // allows them).
  virtual void run_script(std::string_view sql) = 0;
  // PostgreSQL's bulk primitive: runs `text`, whose placeholders $1..$k take `arrays` as one binary
  // array per column and $k+1... take `params`. Other engines throw Error(internal).
  virtual ExecResult run_column_arrays(const std::string& text, const ColumnArrays& arrays,
                                       std::span<const Value> params, const std::vector<Type>& result_types);
  // PostgreSQL's pipeline mode: sends `statements` (each run_column_arrays' form, one SQL text for
  // all, no results) without waiting for a reply between them, a sync after each (outside a
  // transaction each is its own transaction; inside one, an error aborts the transaction as it
  // would one by one), and returns one outcome per statement. No retries: the caller runs again
  // what failed. With `turn_lock`, outside a transaction, each statement first takes that
  // transaction-scoped advisory lock in its own transaction (statements of other processes holding
  // it run first). Other engines throw Error(internal).
  virtual std::vector<PipelinedOutcome> run_column_arrays_pipelined(std::span<const ColumnArrayStatement> statements,
                                                                    std::optional<std::int64_t> turn_lock = {});
  // MariaDB's bulk primitive (array binding, COM_STMT_BULK_EXECUTE): runs a statement without
  // results once per parameter row, in one round trip, and returns the summed affected rows. nullopt,
  // with nothing sent, where the engine cannot (MySQL; a parameter whose type changes between rows).
  virtual std::optional<std::int64_t> run_bulk(const std::string& text,
                                               const std::vector<std::vector<Value>>& param_rows);

  // Starts a transaction; `for_write` lets SQLite take the write lock at once (BEGIN IMMEDIATE).
  virtual void begin(bool for_write) = 0;
  // Commits the open transaction.
  virtual void commit() = 0;
  // Rolls back the open transaction (never throws for a lost connection).
  virtual void rollback() = 0;
  // True between begin() and commit()/rollback().
  virtual bool in_transaction() const = 0;
  // Drops and re-opens the connection (after a connection error); prepared statements are forgotten.
  virtual void reconnect() = 0;
  // The retry policy this server needs when it differs from the default (a Galera node, where hot
  // keys on several primaries fail certification far more often than they deadlock on one server).
  virtual std::optional<RetryPolicy> preferred_retry_policy() const { return std::nullopt; }
};

}  // namespace upsert::detail
