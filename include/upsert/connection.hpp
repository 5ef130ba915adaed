#pragma once
/// Connections: run upserts and plain SQL on an engine, with bounded retries of transient errors.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "upsert/batch.hpp"
#include "upsert/error.hpp"
#include "upsert/export.hpp"
#include "upsert/render.hpp"
#include "upsert/statement.hpp"
#include "upsert/value.hpp"

namespace upsert {

/// What a statement did.
struct ExecResult {
  std::int64_t affected_rows = 0;  ///< as the engine counts them (MySQL counts an update as 2)
  /// RETURNING rows in the engine's order: the returning columns, then (when asked) the inserted
  /// flag as a bool. A row that a conflict left untouched (DO NOTHING, WHERE false) returns nothing.
  std::vector<Row> rows;
};

/// How transient errors (deadlock, serialization failure, busy, lock timeout) are retried.
struct RetryPolicy {
  int max_attempts = 10;                       ///< attempts in all, the first included
  std::chrono::milliseconds first_backoff{1};  ///< sleep before the second attempt
  std::chrono::milliseconds max_backoff{200};  ///< the backoff doubles up to this, with jitter
};

/// Counters of one connection.
struct ConnectionStats {
  std::uint64_t statements = 0;  ///< statements executed (each attempt counts)
  std::uint64_t retries = 0;     ///< attempts after a retryable error
  std::uint64_t reconnects = 0;  ///< connections re-opened after a connection error
};

/// One engine's implementation of a connection. Implemented per engine in src/drivers/<engine>/;
/// users hold a Connection, which adds retries on top.
class UPSERT_EXPORT Driver {
 public:
  virtual ~Driver() = default;
  /// The dialect this connection speaks (MySQL 8 or MariaDB is picked from the server version).
  virtual Dialect dialect() const = 0;
  /// The server's version string.
  virtual std::string server_version() = 0;
  /// Runs an upsert once (no retry): renders, prepares (cached by SQL text), binds, executes.
  /// Works out inserted flags where the SQL cannot return them (see each driver).
  virtual ExecResult execute(const Upsert& statement, const RenderOptions& options) = 0;
  /// Runs one statement of a planned batch (rows merged, sorted, within the parameter limit) once,
  /// in the engine's fastest correct form. The default is execute(); drivers may override it.
  virtual ExecResult execute_many(const Upsert& statement, const RenderOptions& options) {
    return execute(statement, options);
  }
  /// Names the database for batch turns between connections of one process: equal for two
  /// connections to one database, empty for no turns (SQLite has a write turn of its own).
  virtual std::string scope() const { return {}; }
  /// How many bound parameters one batch statement may carry.
  virtual std::size_t max_batch_parameters() const { return max_parameters(dialect()); }
  /// Runs any SQL once with bound parameters; result columns are converted to `result_types`
  /// (columns beyond it come back as text).
  virtual ExecResult execute_sql(const Sql& sql, const std::vector<Type>& result_types) = 0;
  /// Runs SQL without parameters or results (DDL, SET, several statements where the engine allows).
  virtual void execute_script(std::string_view sql) = 0;
  /// Starts a transaction; `for_write` lets SQLite take the write lock at once (BEGIN IMMEDIATE).
  virtual void begin(bool for_write) = 0;
  /// Commits the open transaction.
  virtual void commit() = 0;
  /// Rolls back the open transaction (never throws for a lost connection).
  virtual void rollback() = 0;
  /// True between begin() and commit()/rollback().
  virtual bool in_transaction() const = 0;
  /// Drops and re-opens the connection (after a connection error); prepared statements are forgotten.
  virtual void reconnect() = 0;
};

/// A connection to one database. Not thread-safe: give each thread its own.
class UPSERT_EXPORT Connection {
 public:
  /// Wraps a driver.
  explicit Connection(std::unique_ptr<Driver> driver);
  Connection(Connection&&) noexcept;
  Connection& operator=(Connection&&) noexcept;
  ~Connection();

  /// The dialect of the engine behind the connection.
  Dialect dialect() const;
  /// The server's version string.
  std::string server_version();
  /// Runs an upsert; outside a transaction a retryable error is retried per the policy.
  ExecResult execute(const Upsert& statement);
  /// Upserts any number of rows with the meaning of applying them one by one: rows with equal
  /// keys merged, sorted by key, split by the engine's limits. Each statement is atomic and
  /// retried alone; with options.one_transaction the whole batch is, and is retried whole.
  BatchResult execute_batch(const Upsert& statement, const BatchOptions& options = {});
  /// Runs SQL with parameters; retried like execute() outside a transaction.
  ExecResult execute_sql(const Sql& sql, const std::vector<Type>& result_types = {});
  /// Runs a query and returns its rows, columns converted to `result_types`.
  std::vector<Row> query(const Sql& sql, const std::vector<Type>& result_types);
  /// Runs SQL text without parameters (DDL).
  void execute_script(std::string_view sql);
  /// CREATE TABLE IF NOT EXISTS for `table` in this connection's dialect.
  void create_table(const Table& table);
  /// Starts a transaction.
  void begin(bool for_write = true);
  /// Commits.
  void commit();
  /// Rolls back.
  void rollback();
  /// True inside begin()/commit().
  bool in_transaction() const;
  /// Runs `work` in a write transaction, retrying the whole transaction on retryable errors.
  void transaction(const std::function<void(Connection&)>& work);
  /// Options passed to every render (e.g. allow_any_unique_key on MySQL).
  void set_render_options(RenderOptions options);
  /// The retry policy.
  void set_retry_policy(RetryPolicy policy);
  /// Counters.
  const ConnectionStats& stats() const;
  /// The engine-specific driver.
  Driver& driver();

 private:
  template <class F>
  auto with_retry(F&& attempt) -> decltype(attempt());
  // After a failed attempt: true (having backed off, and re-opened a lost connection) when the
  // error is transient and attempts remain.
  bool prepare_retry(const Error& e, int attempt);

  std::unique_ptr<Driver> driver_;
  RenderOptions render_options_;
  RetryPolicy retry_policy_;
  ConnectionStats stats_;
};

/// Opens a connection from a URL:
/// `sqlite:PATH`, `sqlite::memory:`, `postgresql://user:pass@host:port/db?...` (libpq URIs, unix
/// sockets via ?host=/dir), `mariadb://user:pass@host:port/db`, `mysql://...` (`localhost` means the
/// default unix socket, `?socket=/path` another one).
UPSERT_EXPORT Connection connect(std::string_view url);

}  // namespace upsert
