#pragma once
/// Connections: run upserts, batches and plain SQL on an engine, with bounded retries of
/// transient errors.

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "upsert/batch.hpp"
#include "upsert/error.hpp"
#include "upsert/export.hpp"
#include "upsert/render.hpp"
#include "upsert/schema.hpp"
#include "upsert/statement.hpp"
#include "upsert/value.hpp"

namespace upsert {

namespace detail {
struct ConnectionAccess;
}  // namespace detail

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
  std::uint64_t reconnects = 0;  ///< connections re-opened by a retry after a connection error
};

class Connection;

/// One upsert shape (table, columns, conflict target, assignments, RETURNING) rendered once for a
/// connection, then run with only a row's values: no rendering per call. Made by
/// Connection::prepare(); valid while that connection lives, and used from its thread only.
class UPSERT_EXPORT PreparedUpsert {
 public:
  PreparedUpsert(PreparedUpsert&&) noexcept;
  PreparedUpsert& operator=(PreparedUpsert&&) noexcept;
  ~PreparedUpsert();

  /// Runs the upsert with one row (values in insert-column order), checked as execute() checks
  /// them; outside a transaction a retryable error is retried per the connection's policy.
  ExecResult execute(std::span<const Value> values);
  /// The same, for a Row.
  ExecResult execute(const Row& values) { return execute(std::span<const Value>(values)); }
  /// The number of values a row takes (the statement's insert columns).
  std::size_t width() const;
  /// The SQL sent per call (one row's placeholders).
  const std::string& sql() const;

 private:
  friend class Connection;
  struct State;
  explicit PreparedUpsert(std::unique_ptr<State> state);
  // True when `statement` is this shape (rows aside): Connection::execute keeps the shapes it ran.
  bool has_shape(const Upsert& statement) const;
  // True when calls send the kept SQL; false when they run through the engine's strategy.
  bool sends_kept_sql() const;
  // execute(), with `row` numbering the row in error messages (0: no number).
  ExecResult run(std::span<const Value> values, std::size_t row);
  std::unique_ptr<State> state_;
};

/// A connection to one database. Not thread-safe: give each thread its own.
class UPSERT_EXPORT Connection {
 public:
  Connection(Connection&&) noexcept;
  Connection& operator=(Connection&&) noexcept;
  ~Connection();

  /// The dialect of the engine behind the connection.
  Dialect dialect() const;
  /// The server's version string.
  std::string server_version();
  /// Runs an upsert; outside a transaction a retryable error is retried per the policy. A one-row
  /// upsert of a shape this connection ran lately (8 shapes kept) is not rendered again.
  ExecResult execute(const Upsert& statement);
  /// Renders `shape` (its rows, if any, are ignored) once for this connection: the returned object
  /// runs it with one row's values per call.
  PreparedUpsert prepare(const Upsert& shape);
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
  /// Drops and re-opens the connection (after a connection error): an open transaction is gone
  /// and prepared statements are forgotten. Throws Error(connection) when the server cannot be
  /// reached; the connection is then closed until a later reconnect() succeeds.
  void reconnect();
  /// Options passed to every render (e.g. allow_any_unique_key on MySQL).
  void set_render_options(RenderOptions options);
  /// The options passed to every render (connect() sets the profile from the URL or the server).
  const RenderOptions& render_options() const;
  /// The retry policy.
  void set_retry_policy(RetryPolicy policy);
  /// Counters.
  const ConnectionStats& stats() const;
  /// What the connection noticed about tables it wrote to, oldest first: a key column whose
  /// collation makes keys the library keeps apart one key ('a' and 'A', 'a' and 'a '). Each table
  /// is checked once per process, the first time a connection writes to it.
  const std::vector<std::string>& warnings() const;

 private:
  friend struct detail::ConnectionAccess;
  friend class PreparedUpsert;
  struct Impl;
  explicit Connection(std::unique_ptr<Impl> impl);

  std::unique_ptr<Impl> impl_;
};

/// Opens a connection from a URL:
/// `sqlite:PATH`, `sqlite::memory:`, `postgresql://user:pass@host:port/db?...` (libpq URIs, unix
/// sockets via ?host=/dir), `mariadb://user:pass@host:port/db`, `mysql://...` (`localhost` means the
/// default unix socket, `?socket=/path` another one). `mariadb://user:pass@h1:p1,h2:p2,h3:p3/db` lists the
/// nodes of one cluster: the first that answers is used, and a reconnect starts at the next one.
/// `?profile=NAME` (cockroachdb, yugabytedb, citus, tidb, vitess) and `&distribution_column=C`
/// set RenderOptions for a distributed engine; they are not passed to the driver.
UPSERT_EXPORT Connection connect(std::string_view url);

/// The profile a server's version string names (TiDB, Vitess, YugabyteDB), else Profile::none;
/// connect() applies it unless the URL says ?profile=.
UPSERT_EXPORT Profile detect_profile(std::string_view server_version);

}  // namespace upsert
