// SQLite: upserts render and run as they are, except for the inserted flag, which SQLite's
// RETURNING cannot give: the statement's keys that already exist are looked up first, in the same
// write transaction, and every key not found was inserted. Batches use the multi-row statement:
// measured here, one multi-row statement beat a prepared single-row statement stepped per row in
// one transaction (about 1.2-1.9x the rows/s).

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <set>

#include "render/refuse.hpp"
#include "render/select.hpp"
#include "schema/column_types.hpp"
#include "session/strategies/strategy.hpp"
#include "statement/rows.hpp"
#include "upsert/error.hpp"

namespace upsert::detail {

namespace {

// SQLite caps expression depth at 1000 and the key lookup ORs one term per row, so look keys up a
// slice of rows at a time.
constexpr std::size_t key_lookup_rows = 250;

// Where each conflict-key column sits among the RETURNING columns, or the missing columns' names.
std::vector<std::size_t> key_positions_in(const std::vector<std::string>& key,
                                          const std::vector<std::string>& returning,
                                          std::vector<std::string>& missing) {
  std::vector<std::size_t> positions;
  for (const auto& column : key) {
    auto it = std::find(returning.begin(), returning.end(), column);
    if (it == returning.end()) {
      missing.push_back(column);
    } else {
      positions.push_back(static_cast<std::size_t>(it - returning.begin()));
    }
  }
  return positions;
}

// The conflict keys of the statement's rows that exist in the table.
std::vector<Row> existing_keys(Driver& driver, const Upsert& statement) {
  const auto key_types = column_types(statement.table(), statement.conflict_key().columns);
  const auto& rows = statement.row_values();
  auto lookup = [&](const Upsert& s) {
    const Sql sql = render_key_lookup(s, Dialect::sqlite);
    return driver.run(sql.text, sql.params, key_types).rows;
  };
  if (rows.size() <= key_lookup_rows) return lookup(statement);
  std::vector<Row> found;
  Upsert slice = statement;
  for (std::size_t start = 0; start < rows.size(); start += key_lookup_rows) {
    const std::size_t end = std::min(rows.size(), start + key_lookup_rows);
    StatementRows::rows(slice).assign(rows.begin() + static_cast<std::ptrdiff_t>(start),
                                      rows.begin() + static_cast<std::ptrdiff_t>(end));
    auto part = lookup(slice);
    found.insert(found.end(), std::make_move_iterator(part.begin()), std::make_move_iterator(part.end()));
  }
  return found;
}

ExecResult execute_with_inserted_flag(Driver& driver, const Upsert& statement, const RenderOptions& options) {
  // Render without the flag (which also validates the statement before any transaction starts)
  // and look the keys up first.
  Upsert plain = statement;
  plain.returning_inserted_flag(false);
  const Sql sql = render(plain, Dialect::sqlite, options);
  const auto& returning = statement.returning_columns();
  const auto& key = statement.conflict_key().columns;
  const bool single_row = statement.row_values().size() == 1;

  // RETURNING rows come back in no particular order, so several rows can only be matched to their
  // flags by their keys.
  std::vector<std::string> missing;
  const auto key_in_returning = key_positions_in(key, returning, missing);
  if (!single_row && returning.empty()) {
    refuse(Dialect::sqlite,
           fmt::format("the inserted flag of a {}-row upsert can only be reported through RETURNING rows: return "
                       "the key columns ({}) too, or upsert one row at a time",
                       statement.row_values().size(), fmt::join(key, ", ")));
  }
  if (!single_row && !missing.empty()) {
    refuse(Dialect::sqlite,
           fmt::format("the rows of a multi-row upsert come back in no particular order, so the inserted flag is "
                       "matched to rows by key: add the key columns {} to returning()",
                       fmt::join(missing, ", ")));
  }
  // The key lookup matches key values only; for a partial key it would also find rows outside the
  // index's WHERE, which never conflict, and call an insert an update.
  if (statement.conflict_key().where) {
    refuse(Dialect::sqlite,
           fmt::format("the inserted flag cannot be reported when the conflict target is the partial unique key "
                       "\"{}\": leave out returning_inserted_flag(), or target a full unique key",
                       statement.conflict_key().name));
  }

  const bool own_transaction = !driver.in_transaction();
  if (own_transaction) driver.begin(true);
  std::vector<Row> existing;
  ExecResult result;
  try {
    existing = existing_keys(driver, statement);
    result = driver.run(sql.text, sql.params, column_types(statement.table(), returning));
    if (own_transaction) driver.commit();
  } catch (...) {
    if (own_transaction) driver.rollback();
    throw;
  }

  if (single_row) {
    const bool inserted = existing.empty();
    if (returning.empty()) {
      // No RETURNING: a row was written unless DO NOTHING or a false WHERE kept the old one.
      if (result.affected_rows > 0) result.rows.push_back(Row{Value(inserted)});
      return result;
    }
    for (auto& row : result.rows) row.push_back(Value(inserted));
    return result;
  }
  // Keys are distinct within a statement (validation refuses repeats), so a key either existed
  // before the statement or was inserted by it.
  const std::set<Row> existed(existing.begin(), existing.end());
  for (auto& row : result.rows) {
    Row row_key;
    for (std::size_t p : key_in_returning) row_key.push_back(row[p]);
    row.push_back(Value(existed.count(row_key) == 0));
  }
  return result;
}

class SqliteStrategy final : public UpsertStrategy {
 public:
  bool runs_as_rendered(const Upsert& statement, Dialect /*dialect*/) const override {
    return !statement.returns_inserted_flag();
  }

  ExecResult execute(Driver& driver, const Upsert& statement, const RenderOptions& options) override {
    if (statement.returns_inserted_flag()) return execute_with_inserted_flag(driver, statement, options);
    return UpsertStrategy::execute(driver, statement, options);
  }

  // A unique index on a column with COLLATE NOCASE or RTRIM (made by hand; create_table never
  // does) merges 'a' and 'A', or 'a' and 'a '. SQLite applies a statement's rows one by one, so a
  // batch still sums right: the connection warns.
  TableCheck check_table(Driver& driver, const Table& table) override {
    TableCheck check;
    const std::string sql =
        "SELECT DISTINCT ii.name, ii.coll FROM pragma_index_list(?) AS il, pragma_index_xinfo(il.name) AS ii "
        "WHERE il.\"unique\" AND ii.key AND ii.name IS NOT NULL AND ii.coll <> 'BINARY'";
    for (const auto& key : text_key_collations(driver, table, sql, table.name())) {
      check.warnings.push_back(collation_warning(
          table, key.column, key.collation, "values that differ in letter case (NOCASE) or trailing spaces (RTRIM)",
          "If they are different keys, recreate the table without the COLLATE clause on that "
          "column (Connection::create_table makes it so)."));
    }
    return check;
  }
};

}  // namespace

std::unique_ptr<UpsertStrategy> sqlite_strategy() {
  return std::make_unique<SqliteStrategy>();
}

}  // namespace upsert::detail
