// Connecting, session settings, transactions, SQL with bound parameters and array binding.

#include "drivers/mysql/connection.hpp"

#include <fmt/format.h>

#include <mutex>

#include "drivers/mysql/error.hpp"
#include "session/engines.hpp"

namespace upsert::detail {

std::unique_ptr<Driver> open_mysql(std::string_view url) {
  return std::make_unique<mysql::MysqlDriver>(mysql::parse_url(url));
}

}  // namespace upsert::detail

namespace upsert::detail::mysql {

namespace {

// mysql_init() initialises the library on first use, which is not thread-safe; threads each
// opening their own connection must not race on it.
void init_library_once() {
  static std::once_flag once;
  std::call_once(once, [] { mysql_library_init(0, nullptr, nullptr); });
}

// Strict mode makes overflow, truncation and bad dates errors instead of warnings with a clamped
// value, as on PostgreSQL; ERROR_FOR_DIVISION_BY_ZERO turns x / 0 in an update into an error.
constexpr std::string_view session_settings =
    "SET NAMES utf8mb4, time_zone = '+00:00', autocommit = 1, sql_mode = "
    "'STRICT_TRANS_TABLES,ERROR_FOR_DIVISION_BY_ZERO,NO_ZERO_DATE,NO_ZERO_IN_DATE,NO_ENGINE_SUBSTITUTION'";

// READ COMMITTED: InnoDB then takes no gap locks for reads, so fewer upserts of neighbouring new
// keys deadlock, and a read-back after a write sees the latest committed row rather than the
// transaction's first snapshot. Upserts need no more: each is one atomic statement on locked rows.
constexpr std::string_view isolation_setting = "SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED";

constexpr unsigned connect_timeout_seconds = 10;

}  // namespace

MysqlDriver::MysqlDriver(ConnectTarget target) : target_(std::move(target)) {
  open();
}

MysqlDriver::~MysqlDriver() {
  close();
}

void MysqlDriver::open() {
  init_library_once();
  mysql_ = mysql_init(nullptr);
  if (mysql_ == nullptr) throw Error(ErrorCategory::connection, "mysql_init failed: out of memory");
  // No automatic reconnect: it would silently drop the session settings and an open transaction.
  const my_bool no = 0;
  mysql_optionsv(mysql_, MYSQL_OPT_RECONNECT, &no);
  mysql_optionsv(mysql_, MYSQL_OPT_CONNECT_TIMEOUT, &connect_timeout_seconds);
  mysql_optionsv(mysql_, MYSQL_SET_CHARSET_NAME, "utf8mb4");
  const unsigned no_local_infile = 0;
  mysql_optionsv(mysql_, MYSQL_OPT_LOCAL_INFILE, &no_local_infile);
  const bool socket = !target_.socket.empty();
  if (socket) {
    const unsigned protocol = MYSQL_PROTOCOL_SOCKET;
    mysql_optionsv(mysql_, MYSQL_OPT_PROTOCOL, &protocol);
  }
  // CLIENT_FOUND_ROWS stays off: affected rows must count 1 per insert, 2 per changed row and 0 per
  // unchanged row, which is how the session tells them apart (src/session/strategies/mysql.cpp).
  const unsigned long flags = CLIENT_MULTI_STATEMENTS;
  const char* host = socket ? "localhost" : target_.host.c_str();
  if (mysql_real_connect(mysql_, host, target_.user.empty() ? nullptr : target_.user.c_str(), target_.password.c_str(),
                         target_.database.c_str(), target_.port, socket ? target_.socket.c_str() : nullptr,
                         flags) == nullptr) {
    const unsigned number = mysql_errno(mysql_);
    const std::string state = mysql_sqlstate(mysql_);
    const std::string message = fmt::format("cannot connect to {} as \"{}\" (database \"{}\"): {}",
                                            socket ? target_.socket : fmt::format("{}:{}", target_.host, target_.port),
                                            target_.user, target_.database, mysql_error(mysql_));
    close();
    // Whatever the reason (refused, unknown database, bad password), no connection was made.
    throw Error(ErrorCategory::connection, message, engine_error(number, state, ErrorCategory::connection), {});
  }
  server_version_ = mysql_get_server_info(mysql_);
  dialect_ = server_version_.find("MariaDB") != std::string::npos ? Dialect::mariadb : Dialect::mysql;
  try {
    apply_session_settings();
    galera_ = dialect_ == Dialect::mariadb && read_wsrep_on();
  } catch (...) {
    close();
    throw;
  }
}

void MysqlDriver::apply_session_settings() {
  run_text(session_settings, Stage::not_sent);
  run_text(isolation_setting, Stage::not_sent);
}

bool MysqlDriver::read_wsrep_on() {
  MYSQL* m = handle();
  constexpr std::string_view sql = "SELECT @@wsrep_on";
  if (mysql_real_query(m, sql.data(), static_cast<unsigned long>(sql.size())) != 0)
    throw_error(m, sql, Stage::not_sent);
  MYSQL_RES* result = mysql_store_result(m);
  if (result == nullptr) throw_error(m, sql, Stage::not_sent);
  MYSQL_ROW row = mysql_fetch_row(result);
  const bool on = row != nullptr && row[0] != nullptr && std::string_view(row[0]) == "1";
  mysql_free_result(result);
  return on;
}

std::optional<RetryPolicy> MysqlDriver::preferred_retry_policy() const {
  if (!galera_) return std::nullopt;
  return RetryPolicy{.max_attempts = 100,
                     .first_backoff = std::chrono::milliseconds(1),
                     .max_backoff = std::chrono::milliseconds(500)};
}

void MysqlDriver::require_open_transaction(std::string_view sql) {
  if (!in_transaction_ || mysql_ == nullptr) return;
  unsigned int status = 0;
  if (mariadb_get_infov(mysql_, MARIADB_CONNECTION_SERVER_STATUS, &status) != 0) return;
  if ((status & SERVER_STATUS_IN_TRANS) != 0) return;
  // The server rolled the transaction back (nothing of it is applied) and the session is in
  // autocommit again: what follows must not run as if it were still inside.
  rollback();
  throw Error(ErrorCategory::retryable,
              "the server ended the transaction by itself (on Galera: another node's conflicting write won "
              "certification and this transaction was aborted): nothing of it was applied; run the whole "
              "transaction again",
              EngineError{.code = "transaction aborted", .retryable = true}, std::string(sql));
}

void MysqlDriver::close() {
  statements_.clear();  // statement handles first: they belong to the connection
  if (mysql_ != nullptr) mysql_close(mysql_);
  mysql_ = nullptr;
  in_transaction_ = false;
}

void MysqlDriver::reconnect() {
  close();
  open();
}

MYSQL* MysqlDriver::handle() {
  if (mysql_ == nullptr) {
    throw Error(ErrorCategory::connection,
                "the MySQL/MariaDB connection is closed (a reconnect failed): call reconnect() once the server is "
                "reachable");
  }
  return mysql_;
}

std::string MysqlDriver::database() const {
  const std::string where = target_.socket.empty() ? fmt::format("{}:{}", target_.host, target_.port) : target_.socket;
  return fmt::format("{}/{}", where, target_.database);
}

PreparedStatement& MysqlDriver::statement(const std::string& text) {
  if (auto* kept = statements_.find(text)) return **kept;
  return *statements_.insert(text, std::make_unique<PreparedStatement>(handle(), text));
}

ExecResult MysqlDriver::run(const std::string& text, std::span<const Value> params,
                            const std::vector<Type>& result_types) {
  ExecResult result = statement(text).run(params, result_types, statement_stage());
  require_open_transaction(text);
  return result;
}

std::optional<std::int64_t> MysqlDriver::run_bulk(const std::string& text,
                                                  const std::vector<std::vector<Value>>& param_rows) {
  // Galera answers OK to COM_STMT_BULK_EXECUTE even when it aborted the work (a certification
  // failure, a brute-force abort): the rows would be counted as written and lost. The caller falls
  // back to one multi-row statement, whose abort comes back as an error (docs/galera.md).
  if (dialect_ != Dialect::mariadb || galera_) return std::nullopt;
  std::int64_t affected_rows = 0;
  if (!statement(text).run_bulk(param_rows, statement_stage(), affected_rows)) return std::nullopt;
  require_open_transaction(text);
  return affected_rows;
}

void MysqlDriver::run_text(std::string_view sql, Stage stage) {
  MYSQL* m = handle();
  if (mysql_real_query(m, sql.data(), static_cast<unsigned long>(sql.size())) != 0) throw_error(m, sql, stage);
  // Drain every result (a script may hold several statements, some returning rows); an error in
  // a later statement is reported by mysql_next_result.
  for (;;) {
    if (MYSQL_RES* result = mysql_store_result(m)) {
      mysql_free_result(result);
    } else if (mysql_field_count(m) != 0) {
      throw_error(m, sql, stage);
    }
    const int next = mysql_next_result(m);
    if (next < 0) return;
    if (next > 0) throw_error(m, sql, stage);
  }
}

void MysqlDriver::run_script(std::string_view sql) {
  // A script may hold DDL, which commits implicitly: a lost connection leaves its outcome unknown
  // even inside a transaction.
  run_text(sql, Stage::sent);
}

void MysqlDriver::begin(bool /*for_write*/) {
  if (in_transaction_) {
    throw Error(ErrorCategory::invalid_argument,
                "a transaction is already open on this connection: commit or roll it back first");
  }
  // Row locks are taken by the statements themselves, so a write transaction needs nothing more.
  run_text("START TRANSACTION", Stage::not_sent);
  in_transaction_ = true;
}

void MysqlDriver::commit() {
  if (!in_transaction_) {
    throw Error(ErrorCategory::invalid_argument, "commit() without begin(): no transaction is open");
  }
  require_open_transaction("COMMIT");
  try {
    run_text("COMMIT", Stage::sent);
  } catch (const Error& e) {
    // A lost connection ends the transaction (committed or not); other errors leave it to roll back.
    if (e.category() == ErrorCategory::outcome_unknown) in_transaction_ = false;
    throw;
  }
  in_transaction_ = false;
}

void MysqlDriver::rollback() {
  in_transaction_ = false;
  if (mysql_ == nullptr) return;
  // A lost connection has rolled the transaction back already: the server does so on disconnect.
  mysql_real_query(mysql_, "ROLLBACK", 8);
}

}  // namespace upsert::detail::mysql
