// Upserts on MySQL and MariaDB, and how the session gets PostgreSQL's RETURNING out of them.
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
//
// Batches on MariaDB without RETURNING go as one single-row statement with array binding: prepared
// once whatever the row count, one round trip.

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <map>

#include "render/refuse.hpp"
#include "render/select.hpp"
#include "schema/column_types.hpp"
#include "session/strategies/strategy.hpp"
#include "statement/rows.hpp"
#include "upsert/error.hpp"

namespace upsert::detail {

namespace {

// What ON DUPLICATE KEY UPDATE did to one row.
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
                  "", sql);
  }
}

// True when ON DUPLICATE KEY UPDATE may keep an existing row as it was, which MariaDB's RETURNING
// would still report and PostgreSQL would not.
bool may_leave_rows_untouched(const Upsert& statement) {
  return statement.action() != ConflictAction::do_update || statement.update_where().has_value();
}

Upsert without_returning(const Upsert& statement) {
  Upsert bare = statement;
  bare.returning({});
  bare.returning_inserted_flag(false);
  return bare;
}

// The read-back finds rows by their conflict key: it must still be each written row's key.
void require_read_back_by_key(const Upsert& statement, Dialect dialect, const RenderOptions& options) {
  const auto& key = statement.conflict_key().columns;
  for (const auto& a : statement.assignments()) {
    if (std::find(key.begin(), key.end(), a.column()) != key.end()) {
      refuse(dialect, fmt::format("RETURNING is read back by the conflict key, but the update assigns key column "
                                  "\"{}\"; leave key columns out of the update or drop RETURNING",
                                  a.column()));
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

ExecResult run_sql(Driver& driver, const Sql& sql, const std::vector<Type>& result_types) {
  return driver.run(sql.text, sql.params, result_types);
}

// The RETURNING rows of the written rows, read back by their conflict keys; `outcomes` says which
// input rows were written.
std::vector<Row> read_back_rows(Driver& driver, const Upsert& statement, const std::vector<RowOutcome>& outcomes) {
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
  auto& written_rows = StatementRows::rows(written);
  written_rows.clear();
  for (std::size_t i = 0; i < outcomes.size(); ++i) {
    if (outcomes[i] != RowOutcome::untouched) written_rows.push_back(statement.row_values()[i]);
  }
  if (written_rows.empty()) return {};

  const Sql lookup = render_row_lookup(written, driver.dialect(), columns);
  std::map<Row, Row> by_key;
  for (Row& row : run_sql(driver, lookup, column_types(statement.table(), columns)).rows) {
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
                  "", lookup.text);
    }
    Row out(found->second.begin(), found->second.begin() + static_cast<std::ptrdiff_t>(asked.size()));
    if (statement.returns_inserted_flag()) out.push_back(Value(outcomes[i] == RowOutcome::inserted));
    rows.push_back(std::move(out));
  }
  return rows;
}

// The rows one by one (the same prepared statement each time), each row's outcome read from its
// affected-row count, in one transaction with the read-back of RETURNING.
ExecResult execute_row_by_row(Driver& driver, const Upsert& statement, const RenderOptions& options) {
  const Dialect dialect = driver.dialect();
  const bool read_back = !statement.returning_columns().empty();
  if (read_back) require_read_back_by_key(statement, dialect, options);
  // Rendering the whole statement validates every row (NULL keys, repeated keys) before anything runs.
  render(without_returning(statement), dialect, options);

  // Several rows, or a write and its read-back, must be one atomic unit like a single statement.
  const bool own_transaction = (statement.row_values().size() > 1 || read_back) && !driver.in_transaction();
  if (own_transaction) driver.begin(true);
  try {
    ExecResult result;
    std::vector<RowOutcome> outcomes;
    Upsert one_row = without_returning(statement);
    for (const Row& row : statement.row_values()) {
      StatementRows::rows(one_row).assign(1, row);
      const Sql sql = render(one_row, dialect, options);
      const ExecResult written = run_sql(driver, sql, {});
      outcomes.push_back(outcome_of(written.affected_rows, statement, sql.text));
      result.affected_rows += written.affected_rows;
    }
    if (read_back) {
      result.rows = read_back_rows(driver, statement, outcomes);
    } else {
      for (RowOutcome outcome : outcomes) {
        if (outcome != RowOutcome::untouched) result.rows.push_back(Row{Value(outcome == RowOutcome::inserted)});
      }
    }
    if (own_transaction) driver.commit();
    return result;
  } catch (...) {
    if (own_transaction && driver.in_transaction()) driver.rollback();
    throw;
  }
}

// True when the statement's result needs each row's outcome (the inserted flag, or RETURNING rows
// the engine's RETURNING would get wrong), which execute_row_by_row provides.
bool needs_outcomes(const Upsert& statement, Dialect dialect) {
  const bool has_columns = !statement.returning_columns().empty();
  return statement.returns_inserted_flag() ||
         (has_columns && (dialect == Dialect::mysql || may_leave_rows_untouched(statement)));
}

class MysqlStrategy final : public UpsertStrategy {
 public:
  bool runs_as_rendered(const Upsert& statement, Dialect dialect) const override {
    return !needs_outcomes(statement, dialect);
  }

  ExecResult execute(Driver& driver, const Upsert& statement, const RenderOptions& options) override {
    if (!needs_outcomes(statement, driver.dialect())) return UpsertStrategy::execute(driver, statement, options);
    return execute_row_by_row(driver, statement, options);
  }

  ExecResult execute_batch_statement(Driver& driver, const Upsert& statement, const RenderOptions& options) override {
    // MySQL 8 has no array binding (COM_STMT_BULK_EXECUTE); RETURNING and flags need execute().
    const auto& rows = statement.row_values();
    const Dialect dialect = driver.dialect();
    if (dialect != Dialect::mariadb || statement.has_returning() || rows.size() < 2) {
      return execute(driver, statement, options);
    }
    // One row at a time through the renderer: every row is validated and yields its parameters;
    // the text is the same for every row, values being parameters.
    Upsert one_row = statement;
    std::vector<std::vector<Value>> params;
    params.reserve(rows.size());
    std::string text;
    for (const Row& row : rows) {
      StatementRows::rows(one_row).assign(1, row);
      Sql sql = render(one_row, dialect, options);
      if (text.empty()) {
        text = std::move(sql.text);
      } else if (sql.text != text) {
        return execute(driver, statement, options);
      }
      params.push_back(std::move(sql.params));
    }
    // A parameter that changes type between rows (int64 here, double there): the multi-row form.
    const std::optional<std::int64_t> affected = driver.run_bulk(text, params);
    if (!affected) return execute(driver, statement, options);
    ExecResult result;
    result.affected_rows = *affected;
    return result;
  }

  // MariaDB binds a batch's rows to one single-row statement (array binding): its text does not
  // grow with the rows. MySQL's multi-row VALUES does.
  ChunkSizes batch_chunk_sizes(const Driver& driver, const RenderOptions& /*options*/) const override {
    return driver.dialect() == Dialect::mariadb ? ChunkSizes::exact : ChunkSizes::repeating;
  }

  // The server's default collations merge keys: utf8mb4_general_ci (MariaDB's default, and what a
  // Django model's table gets) makes 'a' and 'A' one key, and every PAD SPACE collation (all of
  // MariaDB's but the *_nopad_* ones, MySQL's older ones) makes 'a' and 'a ' one. ON DUPLICATE KEY
  // UPDATE applies a statement's rows one by one, so sums stay right: the connection warns.
  TableCheck check_table(Driver& driver, const Table& table) override {
    TableCheck check;
    const std::string sql =
        "SELECT COLUMN_NAME, COLLATION_NAME FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = DATABASE() AND "
        "TABLE_NAME = ? AND COLLATION_NAME IS NOT NULL";
    const bool mariadb = driver.dialect() == Dialect::mariadb;
    for (const auto& key : text_key_collations(driver, table, sql, table.name())) {
      auto has = [&](std::string_view part) { return key.collation.find(part) != std::string::npos; };
      const bool folds = has("_ci") || has("_ai");
      const bool pads = mariadb ? !has("nopad") : !has("0900") && key.collation != "binary";
      if (!folds && !pads) continue;
      const std::string how = folds ? "values that differ in letter case or accents ('a' and 'A') or in trailing "
                                      "spaces ('a' and 'a ')"
                                    : "values that differ in trailing spaces ('a' and 'a ')";
      check.warnings.push_back(collation_warning(
          table, key.column, key.collation, how,
          fmt::format("If they are different keys, give the column a binary no-pad collation (ALTER TABLE ... MODIFY "
                      "... COLLATE {}), as Connection::create_table does.",
                      mariadb ? "utf8mb4_nopad_bin" : "utf8mb4_0900_bin")));
    }
    return check;
  }
};

}  // namespace

std::unique_ptr<UpsertStrategy> mysql_strategy() {
  return std::make_unique<MysqlStrategy>();
}

}  // namespace upsert::detail
