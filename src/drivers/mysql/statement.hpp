#pragma once
// Prepared statements over libmariadb: typed parameter binds, result rows converted to the
// requested types, and a small cache keyed by SQL text.

#include <mysql.h>

#include <cstddef>
#include <list>
#include <memory>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "drivers/mysql/error.hpp"
#include "session/driver.hpp"

namespace upsert::detail::mysql {

// One prepared statement; owns its MYSQL_STMT.
class PreparedStatement {
 public:
  // Prepares `sql` on `connection`; throws the engine's error (nothing was executed yet).
  PreparedStatement(MYSQL* connection, std::string sql);
  ~PreparedStatement();
  PreparedStatement(const PreparedStatement&) = delete;
  PreparedStatement& operator=(const PreparedStatement&) = delete;

  // Binds `params`, executes, and fetches every result row with columns converted to
  // `result_types` (columns beyond it as text). `stage` says what a lost connection means.
  ExecResult run(std::span<const Value> params, const std::vector<Type>& result_types, Stage stage);

  // Executes the statement once per parameter row in one round trip (MariaDB's array binding,
  // COM_STMT_BULK_EXECUTE); returns the summed affected rows. Each parameter must hold one type
  // across the rows, NULLs aside: false, with nothing sent, when it does not.
  bool run_bulk(const std::vector<std::vector<Value>>& param_rows, Stage stage, std::int64_t& affected_rows);

  // The SQL text.
  const std::string& sql() const { return sql_; }

 private:
  std::vector<Row> fetch_rows(const std::vector<Type>& result_types, Stage stage);

  MYSQL_STMT* stmt_ = nullptr;
  std::string sql_;
};

// Prepared statements by SQL text, least recently used dropped first: batches of many sizes
// would otherwise pile up server-side statements (max_prepared_stmt_count is server-wide).
class StatementCache {
 public:
  // At most `capacity` statements are kept open.
  explicit StatementCache(std::size_t capacity) : capacity_(capacity) {}

  // The statement for `sql`, prepared on `connection` on first use.
  PreparedStatement& get(MYSQL* connection, const std::string& sql);
  // Closes every statement (before the connection closes, or after it was lost).
  void clear();

 private:
  using Entry = std::unique_ptr<PreparedStatement>;
  std::size_t capacity_;
  std::list<Entry> by_use_;  // most recently used first
  std::unordered_map<std::string, std::list<Entry>::iterator> by_sql_;
};

}  // namespace upsert::detail::mysql
