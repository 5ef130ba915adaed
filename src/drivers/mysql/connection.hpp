#pragma once
// The MySQL / MariaDB driver: one MYSQL connection handle, its session settings, its prepared
// statements and its transaction state.

#include <mysql.h>

#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "drivers/mysql/statement.hpp"
#include "drivers/mysql/url.hpp"
#include "drivers/statement_cache.hpp"
#include "session/driver.hpp"

namespace upsert::detail::mysql {

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
  // host:port/database, or socket/database.
  std::string database() const override;
  ExecResult run(const std::string& text, std::span<const Value> params,
                 const std::vector<Type>& result_types) override;
  void run_script(std::string_view sql) override;
  // MariaDB's array binding; nullopt on MySQL, which has none.
  std::optional<std::int64_t> run_bulk(const std::string& text,
                                       const std::vector<std::vector<Value>>& param_rows) override;
  void begin(bool for_write) override;
  void commit() override;
  void rollback() override;
  bool in_transaction() const override { return in_transaction_; }
  void reconnect() override;
  // On a Galera node: up to 100 attempts, backoff capped at 0.5 s.
  std::optional<RetryPolicy> preferred_retry_policy() const override;
  // True when the server is a Galera node (wsrep_on), read once per connect.
  bool galera() const { return galera_; }

 private:
  void open();
  void close();
  void apply_session_settings();
  // The live handle; throws Error(connection) after a failed reconnect left none.
  MYSQL* handle();
  // The prepared statement for `text`, prepared on first use.
  PreparedStatement& statement(const std::string& text);
  // Runs SQL text without parameters, discarding any results.
  void run_text(std::string_view sql, Stage stage);
  // SELECT @@wsrep_on: true on a Galera node (MariaDB only; MySQL has no such variable).
  bool read_wsrep_on();
  // Throws Error(retryable) when the server ended our transaction behind our back (Galera aborts a
  // transaction that lost a conflict, and its next statement may still answer OK).
  void require_open_transaction(std::string_view sql);
  // What a lost connection means for a statement sent now.
  Stage statement_stage() const { return in_transaction_ ? Stage::sent_in_transaction : Stage::sent; }

  ConnectTarget target_;
  MYSQL* mysql_ = nullptr;
  Dialect dialect_ = Dialect::mariadb;
  std::string server_version_;
  // Prepared statements by SQL text, least recently used closed first: batches of many sizes
  // would otherwise pile up server-side statements (max_prepared_stmt_count is server-wide).
  StatementCache<std::unique_ptr<PreparedStatement>> statements_{64};
  bool in_transaction_ = false;
  bool galera_ = false;
};

}  // namespace upsert::detail::mysql
