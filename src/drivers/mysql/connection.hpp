#pragma once
// The MySQL / MariaDB driver: one MYSQL connection handle, its session settings, its prepared
// statements and its transaction state.

#include <mysql.h>

#include <string>
#include <string_view>
#include <vector>

#include "drivers/mysql/statement.hpp"
#include "drivers/mysql/url.hpp"
#include "upsert/connection.hpp"

namespace upsert::detail::mysql {

// What ON DUPLICATE KEY UPDATE did to one row.
enum class RowOutcome { inserted, updated, untouched };

// A Driver over libmariadb, for MariaDB 10.5+ and MySQL 8.0.19+.
class MysqlDriver final : public Driver {
 public:
  // Connects; throws Error(connection) when the server cannot be reached or refuses the login.
  explicit MysqlDriver(ConnectTarget target);
  ~MysqlDriver() override;
  MysqlDriver(const MysqlDriver&) = delete;
  MysqlDriver& operator=(const MysqlDriver&) = delete;

  Dialect dialect() const override { return dialect_; }
  std::string server_version() override { return server_version_; }
  ExecResult execute(const Upsert& statement, const RenderOptions& options) override;
  // On MariaDB, a batch without RETURNING goes as one single-row statement with array binding:
  // prepared once whatever the row count, one round trip (see upsert.cpp).
  ExecResult execute_many(const Upsert& statement, const RenderOptions& options) override;
  ExecResult execute_sql(const Sql& sql, const std::vector<Type>& result_types) override;
  void execute_script(std::string_view sql) override;
  void begin(bool for_write) override;
  void commit() override;
  void rollback() override;
  bool in_transaction() const override { return in_transaction_; }
  void reconnect() override;

 private:
  void open();
  void close();
  void apply_session_settings();
  // The live handle; throws Error(connection) after a failed reconnect left none.
  MYSQL* handle();
  // Runs one prepared statement (cached by its text).
  ExecResult run(const Sql& sql, const std::vector<Type>& result_types);
  // Runs SQL text without parameters, discarding any results.
  void run_text(std::string_view sql, Stage stage);
  // What a lost connection means for a statement sent now.
  Stage statement_stage() const { return in_transaction_ ? Stage::sent_in_transaction : Stage::sent; }

  // The parts of execute() that work out each row's outcome: see upsert.cpp.
  ExecResult execute_row_by_row(const Upsert& statement, const RenderOptions& options);
  std::vector<Row> read_back_rows(const Upsert& statement, const std::vector<RowOutcome>& outcomes);

  ConnectTarget target_;
  MYSQL* mysql_ = nullptr;
  Dialect dialect_ = Dialect::mariadb;
  std::string server_version_;
  StatementCache statements_{64};
  bool in_transaction_ = false;
};

}  // namespace upsert::detail::mysql
