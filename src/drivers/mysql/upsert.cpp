// Upserts on MySQL and MariaDB, and how the driver gets PostgreSQL's RETURNING out of them.
//
// Neither engine can say in SQL whether ON DUPLICATE KEY UPDATE inserted or updated a row, but
// the affected-row count of a one-row statement does (CLIENT_FOUND_ROWS off):
//   1 = inserted, 2 = updated, 0 = an existing row kept its values.
//
// MariaDB's RETURNING (checked on 10.11) returns the row as written: the updated values for an
// updated row, as PostgreSQL does. But it also returns a row that ON DUPLICATE KEY UPDATE left
// as it was (DO NOTHING is rendered as a no-op assignment; a failed WHERE as IF(c, new, old)),
// where PostgreSQL returns nothing. And a statement with RETURNING reports the number of returned
// rows, not the affected-row count. So:
//   - RETURNING passes through when every row is written (DO UPDATE without WHERE, no flag);
//   - otherwise, for one row: run the upsert without RETURNING, read the outcome from the affected
//     rows and, when the row was written, select the RETURNING columns by the conflict key in the
//     same transaction (the row is locked by the upsert until commit). MySQL, which has no
//     RETURNING at all, always takes this path;
//   - statements of several rows that need the outcome are refused.

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>

#include "drivers/mysql/connection.hpp"

namespace upsert::detail::mysql {

namespace {

enum class RowOutcome { inserted, updated, untouched };

RowOutcome outcome_of(std::int64_t affected_rows, const Upsert& statement, const std::string& sql) {
  switch (affected_rows) {
    case 1: return RowOutcome::inserted;
    case 2: return RowOutcome::updated;
    case 0:
      // Without a condition, DO UPDATE that sets the values the row already had is still an update
      // on PostgreSQL, which returns the row. DO NOTHING, or a condition that was false, leaves it
      // untouched. (A true condition that changes nothing looks the same here: reported untouched.)
      return statement.action() == ConflictAction::do_update && !statement.update_where() ? RowOutcome::updated
                                                                                          : RowOutcome::untouched;
    default:
      throw Error(ErrorCategory::internal,
                  fmt::format("a one-row upsert reported {} affected rows (expected 0, 1 or 2); is the connection "
                              "opened with CLIENT_FOUND_ROWS?",
                              affected_rows),
                  {}, sql);
  }
}

// True when ON DUPLICATE KEY UPDATE may keep an existing row as it was, which MariaDB's RETURNING
// would still report and PostgreSQL would not.
bool may_leave_rows_untouched(const Upsert& statement) {
  return statement.action() != ConflictAction::do_update || statement.update_where().has_value();
}

std::vector<Type> column_types(const Upsert& statement) {
  std::vector<Type> types;
  for (const auto& name : statement.returning_columns()) types.push_back(statement.table().column_named(name).type);
  return types;
}

Upsert without_returning(const Upsert& statement) {
  Upsert bare = statement;
  bare.returning({});
  bare.returning_inserted_flag(false);
  return bare;
}

[[noreturn]] void refuse(Dialect dialect, std::string_view what_and_fix) {
  throw Error(ErrorCategory::unsupported, fmt::format("{}: {}", dialect_name(dialect), what_and_fix));
}

void require_one_row(const Upsert& statement, Dialect dialect) {
  if (statement.row_values().size() == 1) return;
  refuse(
      dialect,
      fmt::format("this upsert of {} rows asks for {}, which {} can only work out for one row at a time "
                  "(from the affected-row count); run the rows one by one, or drop the inserted flag{}",
                  statement.row_values().size(),
                  statement.returns_inserted_flag() ? "the inserted flag" : "RETURNING of written rows only",
                  dialect == Dialect::mysql ? "MySQL" : "MariaDB",
                  dialect == Dialect::mysql ? " and RETURNING" : " (and use DO UPDATE without WHERE for RETURNING)"));
}

// The read-back finds the row by the conflict key: it must still be the written row's key.
void require_read_back_by_key(const Upsert& statement, Dialect dialect, const RenderOptions& options) {
  const auto& key = statement.conflict_key().columns;
  for (const auto& a : statement.assignments()) {
    if (std::find(key.begin(), key.end(), a.column) != key.end()) {
      refuse(dialect, fmt::format("RETURNING is read back by the conflict key, but the update assigns key column "
                                  "\"{}\"; leave key columns out of the update or drop RETURNING",
                                  a.column));
    }
  }
  if (options.allow_any_unique_key && statement.table().unique_keys().size() > 1) {
    refuse(dialect, fmt::format("RETURNING is read back by the conflict key ({}), but with allow_any_unique_key the "
                                "row may have updated another row through a different unique key; drop RETURNING "
                                "or the option",
                                fmt::join(key, ", ")));
  }
}

}  // namespace

ExecResult MysqlDriver::execute(const Upsert& statement, const RenderOptions& options) {
  const bool has_columns = !statement.returning_columns().empty();
  const bool needs_outcome = statement.returns_inserted_flag() ||
                             (has_columns && (dialect_ == Dialect::mysql || may_leave_rows_untouched(statement)));
  if (!needs_outcome) return run(render(statement, dialect_, options), column_types(statement));
  return execute_with_outcome(statement, options);
}

ExecResult MysqlDriver::execute_with_outcome(const Upsert& statement, const RenderOptions& options) {
  require_one_row(statement, dialect_);
  if (!statement.returning_columns().empty()) require_read_back_by_key(statement, dialect_, options);
  const Sql write = render(without_returning(statement), dialect_, options);
  if (!statement.returning_columns().empty()) return write_and_read_back(statement, write);

  ExecResult result = run(write, {});
  const RowOutcome outcome = outcome_of(result.affected_rows, statement, write.text);
  if (outcome != RowOutcome::untouched) result.rows.push_back(Row{Value(outcome == RowOutcome::inserted)});
  return result;
}

ExecResult MysqlDriver::write_and_read_back(const Upsert& statement, const Sql& write) {
  // Our own transaction unless the caller has one: the row stays locked between write and read.
  const bool own_transaction = !in_transaction_;
  if (own_transaction) begin(true);
  try {
    ExecResult result = run(write, {});
    const RowOutcome outcome = outcome_of(result.affected_rows, statement, write.text);
    if (outcome != RowOutcome::untouched) {
      const Sql lookup = render_row_lookup(statement, dialect_, statement.returning_columns());
      std::vector<Row> rows = run(lookup, column_types(statement)).rows;
      if (rows.size() != 1) {
        throw Error(ErrorCategory::internal,
                    fmt::format("the row just written was found {} times by its conflict key", rows.size()), {},
                    lookup.text);
      }
      if (statement.returns_inserted_flag()) rows[0].push_back(Value(outcome == RowOutcome::inserted));
      result.rows.push_back(std::move(rows[0]));
    }
    if (own_transaction) commit();
    return result;
  } catch (...) {
    if (own_transaction && in_transaction_) rollback();
    throw;
  }
}

}  // namespace upsert::detail::mysql
