#pragma once
// A fixture that opens one connection to the engine under test, creates tables with unique names
// and drops them afterwards, and reads tables back typed by their columns.

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <memory>
#include <vector>

#include "support/engines.hpp"

namespace upsert::testing {

// Every row of `table`, ordered by its first unique key, values typed by the columns.
inline std::vector<Row> read_table(Connection& c, const Table& table) {
  std::vector<std::string> columns;
  std::vector<Type> types;
  for (const auto& col : table.columns()) {
    columns.push_back(quote_identifier(col.name, c.dialect()));
    types.push_back(col.type);
  }
  std::vector<std::string> order;
  for (const auto& k : table.unique_keys().front().columns) order.push_back(quote_identifier(k, c.dialect()));
  std::string sql = fmt::format("SELECT {} FROM {} ORDER BY {}", fmt::join(columns, ", "),
                                quote_identifier(table.name(), c.dialect()), fmt::join(order, ", "));
  return c.query(Sql{sql, {}}, types);
}

class EngineTest : public ::testing::TestWithParam<Engine> {
 protected:
  void SetUp() override {
    url_ = engine_url(GetParam(), sqlite_path_ = fresh_sqlite_path());
    db_ = std::make_unique<Connection>(connect(url_));
  }
  void TearDown() override {
    if (!db_) return;
    if (db_->in_transaction()) db_->rollback();
    for (const auto& name : created_) {
      try {
        drop_table(*db_, name);
      } catch (const std::exception&) {
        // Best effort: a failed drop must not hide the test's own result.
      }
    }
  }

  Connection& db() { return *db_; }
  // Another connection to the same database (for SQLite: the same file).
  Connection open_another() { return connect(url_); }

  // Creates `table` (dropping any leftover of the same name) and remembers to drop it.
  std::shared_ptr<const Table> create(Table table) {
    drop_table(db(), table.name());
    db().create_table(table);
    created_.push_back(table.name());
    return std::make_shared<const Table>(std::move(table));
  }

  // Every row of `table`, ordered by its first unique key, values typed by the columns.
  std::vector<Row> all_rows(const Table& table) { return read_table(db(), table); }
  std::int64_t count_rows(const Table& table) {
    return query_int(db(), "SELECT COUNT(*) FROM " + quote_identifier(table.name(), db().dialect()));
  }

  std::string url_;
  std::string sqlite_path_;
  std::unique_ptr<Connection> db_;
  std::vector<std::string> created_;
};

// Prints a row for failure messages.
inline std::string row_text(const Row& row) {
  std::vector<std::string> parts;
  for (const auto& v : row) parts.push_back(v.to_string());
  return fmt::format("({})", fmt::join(parts, ", "));
}

}  // namespace upsert::testing
