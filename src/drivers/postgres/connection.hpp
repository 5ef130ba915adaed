#pragma once
// The PostgreSQL driver over libpq: one session, statements prepared once per (SQL text,
// parameter types) and executed with typed parameters, errors mapped by SQLSTATE. Its bulk
// primitive binds a batch's rows as one binary array per column (values.hpp), for the unnest form.

#include <chrono>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "drivers/postgres/error.hpp"
#include "drivers/postgres/statement.hpp"
#include "drivers/postgres/values.hpp"
#include "session/driver.hpp"

namespace upsert::detail::postgres {

// What the server said while the session was idle; kept for the error that reports the loss.
struct IdleMessage {
  std::string sqlstate;
  std::string text;
};

class PostgresDriver final : public Driver {
 public:
  // Checks the URL, connects and sets the session up; throws Error(invalid_argument) for a URL libpq
  // cannot read and Error(connection) when the server cannot be reached or refuses the login.
  explicit PostgresDriver(std::string url);

  Dialect dialect() const override { return Dialect::postgresql; }
  std::string server_version() override;
  std::string database() const override { return url_; }
  ExecResult run(const std::string& text, std::span<const Value> params,
                 const std::vector<Type>& result_types) override;
  ExecResult run_column_arrays(const std::string& text, const ColumnArrays& arrays, std::span<const Value> params,
                               const std::vector<Type>& result_types) override;
  std::vector<PipelinedOutcome> run_column_arrays_pipelined(std::span<const ColumnArrayStatement> statements,
                                                            std::optional<std::int64_t> turn_lock) override;
  void run_script(std::string_view sql) override;
  // Row locks taken by the upserts themselves are all a writer needs: `for_write` changes nothing.
  void begin(bool for_write) override;
  void commit() override;
  void rollback() override;
  bool in_transaction() const override { return in_transaction_; }
  void reconnect() override;

 private:
  // Runs `sql` (prepared once per session) with `params`; result columns become `result_types`.
  ExecResult run_bound(const std::string& sql, const BoundParams& params, const std::vector<Type>& result_types);
  // A fresh session: the old one is closed first (it holds a server slot), then the new one is
  // made and set up. On failure the driver stays unconnected until the next reconnect().
  void open();

  // What a lost session means for a command not sent yet: inside a transaction, the transaction.
  LossMeans loss_before_sending() const {
    return in_transaction_ ? LossMeans::transaction_lost : LossMeans::nothing_applied;
  }
  // What a lost session means once the command was sent.
  LossMeans loss_after_sending() const {
    return in_transaction_ ? LossMeans::transaction_lost : LossMeans::maybe_applied;
  }

  // The session, checked just before sending `sql` when it has been idle for idle_check_after;
  // throws the connection error if it is gone.
  PGconn* live(const std::string& sql) { return live(sql, loss_before_sending()); }
  PGconn* live(const std::string& sql, LossMeans if_dead);

  // The name of the statement prepared for `sql` with these parameter types, preparing it first
  // if needed. PREPARE changes no data, so losing the session here is never outcome_unknown.
  const std::string& prepared(PGconn* conn, const std::string& sql, const BoundParams& params);

  // Throws `error`, remembering the first one of a transaction: the server has aborted the
  // transaction, and commit() reports why.
  [[noreturn]] void fail(Error error);

  // Below this idle time the session is not checked before a command (the check is a system call
  // per statement); a loss in this window is reported as after sending. See connection.cpp.
  static constexpr std::chrono::milliseconds idle_check_after{2};

  // Enough for every statement shape an application repeats; beyond it the session is cleared.
  static constexpr std::size_t statement_cache_capacity = 256;

  std::string url_;
  ConnHandle conn_;
  PreparedStatements statements_{statement_cache_capacity};
  std::chrono::steady_clock::time_point last_sent_{};  // when live() last let a command go out
  IdleMessage idle_;  // written by libpq's notice receiver; the driver never moves (it lives behind a unique_ptr)
  bool in_transaction_ = false;
  bool integer_datetimes_ = true;  // the server's binary timestamps count microseconds (see column_arrays)
  std::optional<Error> transaction_error_;
};

}  // namespace upsert::detail::postgres
