// Upserts on MySQL and MariaDB, and how the driver gets PostgreSQL's RETURNING out of them.
//
// Neither engine can say in SQL whether ON DUPLICATE KEY UPDATE inserted or updated a row, but
// the affected-row count of a one-row statement does (CLIENT_FOUND_ROWS off):
//   1 = inserted, 2 = updated, 0 = an existing row kept its values.
//
// MariaDB's RETURNING (checked on 10.11) returns the row as written: the updated values for an
// updated row, as PostgreSQL does. But it also returns a row that ON DUPLICATE KEY UPDATE left
// as it was (DO NOTHING is rendered as a no-op assignment, a false WHERE as IF(c, new, old)),
// where PostgreSQL returns nothing; and a statement with RETURNING reports the number of returned
// rows, not the affected-row count. So:
//   - RETURNING passes through when every row is written (DO UPDATE without WHERE) and the
//     inserted flag is not asked for: one statement, however many rows;
//   - otherwise the rows run one by one in one transaction (the same prepared statement each
//     time), each row's outcome read from its affected-row count, and the RETURNING columns of the
//     written rows are then selected by their conflict keys in that transaction, where the upserts
//     still hold the rows' locks. MySQL, which has no RETURNING at all, always takes this path.
// A key lookup before the write (as SQLite does) would race here: under READ COMMITTED another
// transaction can insert a key between the lookup and the upsert, turning "inserted" into "updated".

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <map>

#include "drivers/mysql/connection.hpp"

namespace upsert::detail::mysql {

namespace {

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

std::vector<Type> types_of(const Table& table, const std::vector<std::string>& columns) {
  std::vector<Type> types;
  for (const auto& name : columns) types.push_back(table.column_named(name).type);
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

// The read-back finds rows by their conflict key: it must still be each written row's key.
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
    refuse(dialect, fmt::format("RETURNING is read back by the conflict key ({}), but with allow_any_unique_key a "
                                "row may have updated another row through a different unique key; drop RETURNING "
                                "or the option",
                                fmt::join(key, ", ")));
  }
}

// The conflict-key values of a row of the statement.
Row key_of(const Row& row, const std::vector<std::size_t>& positions) {
  Row key;
  for (auto p : positions) key.push_back(row[p]);
  return key;
}

}  // namespace

ExecResult MysqlDriver::execute(const Upsert& statement, const RenderOptions& options) {
  const bool has_columns = !statement.returning_columns().empty();
  const bool needs_outcomes = statement.returns_inserted_flag() ||
                              (has_columns && (dialect_ == Dialect::mysql || may_leave_rows_untouched(statement)));
  if (!needs_outcomes)
    return run(render(statement, dialect_, options), types_of(statement.table(), statement.returning_columns()));
  return execute_row_by_row(statement, options);
}

ExecResult MysqlDriver::execute_many(const Upsert& statement, const RenderOptions& options) {
  // MySQL 8 has no array binding (COM_STMT_BULK_EXECUTE); RETURNING and flags need execute().
  const auto& rows = statement.row_values();
  if (dialect_ != Dialect::mariadb || statement.has_returning() || rows.size() < 2) return execute(statement, options);

  // One row at a time through the renderer: every row is validated and yields its parameters;
  // the text is the same for every row, values being parameters.
  Upsert one_row = statement;
  std::vector<std::vector<Value>> params;
  params.reserve(rows.size());
  std::string text;
  for (const Row& row : rows) {
    one_row.mutable_rows().assign(1, row);
    Sql sql = render(one_row, dialect_, options);
    if (text.empty()) {
      text = sql.text;
    } else if (sql.text != text) {
      return execute(statement, options);
    }
    params.push_back(std::move(sql.params));
  }
  ExecResult result;
  if (!statements_.get(handle(), text).run_bulk(params, statement_stage(), result.affected_rows)) {
    // A parameter that changes type between rows (int64 here, double there): the multi-row form.
    return execute(statement, options);
  }
  return result;
}

ExecResult MysqlDriver::execute_row_by_row(const Upsert& statement, const RenderOptions& options) {
  const bool read_back = !statement.returning_columns().empty();
  if (read_back) require_read_back_by_key(statement, dialect_, options);
  // Rendering the whole statement validates every row (NULL keys, repeated keys) before anything runs.
  render(without_returning(statement), dialect_, options);

  // Several rows, or a write and its read-back, must be one atomic unit like a single statement.
  const bool own_transaction = (statement.row_values().size() > 1 || read_back) && !in_transaction_;
  if (own_transaction) begin(true);
  try {
    ExecResult result;
    std::vector<RowOutcome> outcomes;
    Upsert one_row = without_returning(statement);
    for (const Row& row : statement.row_values()) {
      one_row.mutable_rows().assign(1, row);
      const Sql sql = render(one_row, dialect_, options);
      const ExecResult written = run(sql, {});
      outcomes.push_back(outcome_of(written.affected_rows, statement, sql.text));
      result.affected_rows += written.affected_rows;
    }
    if (read_back) {
      result.rows = read_back_rows(statement, outcomes);
    } else {
      for (RowOutcome outcome : outcomes) {
        if (outcome != RowOutcome::untouched) result.rows.push_back(Row{Value(outcome == RowOutcome::inserted)});
      }
    }
    if (own_transaction) commit();
    return result;
  } catch (...) {
    if (own_transaction && in_transaction_) rollback();
    throw;
  }
}

std::vector<Row> MysqlDriver::read_back_rows(const Upsert& statement, const std::vector<RowOutcome>& outcomes) {
  const auto& asked = statement.returning_columns();
  const auto& key = statement.conflict_key().columns;
  const auto key_positions = statement.key_positions();

  // Select the asked columns plus any key column they lack, to match selected rows to input rows.
  std::vector<std::string> columns = asked;
  std::vector<std::size_t> key_in_columns;
  for (const auto& k : key) {
    auto it = std::find(columns.begin(), columns.end(), k);
    if (it == columns.end()) it = columns.insert(columns.end(), k);
    key_in_columns.push_back(static_cast<std::size_t>(it - columns.begin()));
  }
  Upsert written = statement;
  written.mutable_rows().clear();
  for (std::size_t i = 0; i < outcomes.size(); ++i) {
    if (outcomes[i] != RowOutcome::untouched) written.mutable_rows().push_back(statement.row_values()[i]);
  }
  if (written.row_values().empty()) return {};

  const Sql lookup = render_row_lookup(written, dialect_, columns);
  std::map<Row, Row> by_key;
  for (Row& row : run(lookup, types_of(statement.table(), columns)).rows) {
    Row k = key_of(row, key_in_columns);
    by_key.emplace(std::move(k), std::move(row));
  }
  std::vector<Row> rows;
  for (std::size_t i = 0; i < outcomes.size(); ++i) {
    if (outcomes[i] == RowOutcome::untouched) continue;
    auto found = by_key.find(key_of(statement.row_values()[i], key_positions));
    if (found == by_key.end()) {
      throw Error(ErrorCategory::internal,
                  fmt::format("the row just written with key ({}) was not found again by that key; does the key "
                              "column use a collation that folds case or trailing spaces?",
                              fmt::join(key, ", ")),
                  {}, lookup.text);
    }
    Row out(found->second.begin(), found->second.begin() + static_cast<std::ptrdiff_t>(asked.size()));
    if (statement.returns_inserted_flag()) out.push_back(Value(outcomes[i] == RowOutcome::inserted));
    rows.push_back(std::move(out));
  }
  return rows;
}

}  // namespace upsert::detail::mysql
