#pragma once
// How upserts run on one engine: which SQL to render and which driver primitives to run it with,
// so that what comes back means what PostgreSQL's would (RETURNING rows, inserted flags), and in
// which form a batch statement goes fastest. Rendering happens here, never in a driver.
//
//   sqlite.cpp      the inserted flag from a key lookup inside the same write transaction
//   postgresql.cpp  batches in the column-array form (unnest), with batch turns
//   mysql.cpp       per-row outcomes from affected-row counts, RETURNING read back by key, and
//                   MariaDB's array binding for batches
// Every other dialect renders and runs (the base class).

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "batch/batch.hpp"
#include "session/driver.hpp"
#include "upsert/connection.hpp"
#include "upsert/render.hpp"
#include "upsert/statement.hpp"

namespace upsert::detail {

// What the session learned about a table the first time a connection wrote to it.
struct TableCheck {
  // Key columns whose collation makes keys the library keeps apart one key in the engine ('a' and
  // 'A', or 'a' and 'a '): one sentence each, with the fix, for Connection::warnings().
  std::vector<std::string> warnings;
  // True when two rows of one batch statement could be one key to the engine and that would fail
  // (PostgreSQL: 21000, "cannot affect row a second time"): batches then go one row per statement.
  bool one_row_per_batch_statement = false;
};

class UpsertStrategy {
 public:
  virtual ~UpsertStrategy() = default;

  // Runs an upsert once (no retry).
  virtual ExecResult execute(Driver& driver, const Upsert& statement, const RenderOptions& options);
  // True when execute() renders `statement` and runs it as it is (no read-back, no per-row
  // outcomes), so a prepared upsert may send its SQL directly.
  virtual bool runs_as_rendered(const Upsert& /*statement*/, Dialect /*dialect*/) const { return true; }
  // Runs one statement of a planned batch (rows merged, sorted, within max_parameters()) once, in
  // the engine's fastest correct form.
  virtual ExecResult execute_batch_statement(Driver& driver, const Upsert& statement, const RenderOptions& options) {
    return execute(driver, statement, options);
  }
  // Runs statements of one batch round (disjoint keys) together, without waiting for each reply:
  // one outcome per statement (Driver::run_column_arrays_pipelined says what one means inside a
  // transaction). nullopt, with nothing sent, where the engine
  // or the statement does not allow it; the statements then run one by one.
  // With `turn_lock`, each statement takes that advisory lock first, in its own transaction.
  virtual std::optional<std::vector<PipelinedOutcome>> execute_batch_statements_together(
      Driver& /*driver*/, std::span<const Upsert> /*statements*/, const RenderOptions& /*options*/,
      std::optional<std::int64_t> /*turn_lock*/) {
    return std::nullopt;
  }
  // The parameter limit the batch stage cuts statements by, for this strategy's batch form.
  virtual std::size_t max_parameters(const Driver& driver) const { return driver.max_parameters(); }
  // How the batch stage sizes the last statements: `repeating` where the batch form's SQL text
  // grows with its rows (multi-row VALUES), `exact` where it does not (column arrays, array binding).
  virtual ChunkSizes batch_chunk_sizes(const Driver& /*driver*/, const RenderOptions& /*options*/) const {
    return ChunkSizes::repeating;
  }
  // True when autocommit batch statements with overlapping key ranges take turns in the client
  // (BatchOptions::take_turns; src/session/turns.hpp says why).
  virtual bool batch_turns() const { return false; }
  // Reads the collations of `table`'s unique-key text columns from the engine's catalog (issue 14,
  // problem 4: a table made by hand or by an ORM can merge keys). Runs once per table per
  // connection, before the first write.
  virtual TableCheck check_table(Driver& /*driver*/, const Table& /*table*/) { return {}; }
};

// A key column and its collation, as the engine's catalog names them.
struct KeyCollation {
  std::string column;
  std::string collation;
};
// Runs `sql` (one parameter, `table_param`; rows of column name and collation name) when `table` has
// text key columns, and returns the rows about those columns.
std::vector<KeyCollation> text_key_collations(Driver& driver, const Table& table, const std::string& sql,
                                              const std::string& table_param);
// One warning sentence: `column` of `table` has `collation`, which merges `how`; `fix` says what to do.
std::string collation_warning(const Table& table, const std::string& column, const std::string& collation,
                              const std::string& how, const std::string& fix);

// The strategy for a dialect.
std::unique_ptr<UpsertStrategy> strategy_for(Dialect dialect);

// The types of a statement's RETURNING columns, then boolean for the inserted flag when asked.
std::vector<Type> returning_types(const Upsert& statement);

// One strategy per engine (sqlite.cpp, postgresql.cpp, mysql.cpp).
std::unique_ptr<UpsertStrategy> sqlite_strategy();
std::unique_ptr<UpsertStrategy> postgresql_strategy();
std::unique_ptr<UpsertStrategy> mysql_strategy();

}  // namespace upsert::detail
