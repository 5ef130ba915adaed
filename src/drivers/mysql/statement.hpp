#pragma once
// Prepared statements over libmariadb: typed parameter binds, array binding, and result rows
// converted to the requested types. The connection keeps them in the shared statement cache.

#include <mysql.h>

#include <cstddef>
#include <memory>
#include <span>
#include <string>
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

}  // namespace upsert::detail::mysql
