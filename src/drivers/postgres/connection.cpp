// The PostgreSQL session: connecting, running prepared statements, transactions.
//
// The one subtle part is a lost connection. Before a command the socket is checked for what a
// server leaves behind when it ends an idle session (a FATAL message, then EOF): finding that
// means nothing was sent, so the error is `connection` and Connection reconnects and retries.
// A loss after an autocommit statement or COMMIT was sent is `outcome_unknown`: it may have
// committed, and only the caller can tell whether running it again is safe.
//
// The check costs a poll() system call, so it is made only when the session has been idle for
// idle_check_after since the previous command was sent. A session ended within that window is
// found only once the command has been sent, and is then reported as sent (`outcome_unknown`
// outside a transaction): the answer is less convenient, never wrong, so a retry stays safe.

#include "drivers/postgres/connection.hpp"

#include <fmt/format.h>
#include <libpq-fe.h>
#include <poll.h>

#include <chrono>
#include <cstring>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include "drivers/postgres/url.hpp"
#include "session/engines.hpp"
#include "upsert/error.hpp"

namespace upsert::detail {

namespace postgres {

namespace {

// Settings that make text results parse the same way whatever the server's defaults are.
constexpr const char* session_setup =
    "SET client_encoding TO 'UTF8'; SET TimeZone TO 'UTC'; SET DateStyle TO 'ISO, YMD'; "
    "SET IntervalStyle TO 'postgres'; SET extra_float_digits TO 3; SET bytea_output TO 'hex'";

constexpr const char* begin_sql = "BEGIN ISOLATION LEVEL READ COMMITTED";

// libpq hands notices, and errors that arrive while no command runs, to this receiver. Plain
// notices ("relation ... already exists, skipping") are dropped instead of printed to stderr; a
// FATAL is the server's reason for closing the session, kept for the error message.
void receive_notice(void* arg, const PGresult* result) {
  const char* severity = PQresultErrorField(result, PG_DIAG_SEVERITY_NONLOCALIZED);
  if (severity == nullptr || (std::strcmp(severity, "FATAL") != 0 && std::strcmp(severity, "PANIC") != 0)) return;
  const char* sqlstate = PQresultErrorField(result, PG_DIAG_SQLSTATE);
  const char* text = PQresultErrorField(result, PG_DIAG_MESSAGE_PRIMARY);
  auto* idle = static_cast<IdleMessage*>(arg);
  idle->sqlstate = sqlstate != nullptr ? sqlstate : "";
  idle->text = text != nullptr ? text : "";
}

// Reads whatever the server sent while the session was idle, without blocking. A server that
// ended the session (restart, pg_terminate_backend, idle timeout) left a FATAL and EOF there, and
// reading them turns the connection's status to CONNECTION_BAD.
bool session_alive(PGconn* conn) {
  // Bounded: a stream of NOTIFY messages must not keep us here.
  for (int i = 0; i < 64 && PQstatus(conn) == CONNECTION_OK; ++i) {
    pollfd socket{PQsocket(conn), POLLIN, 0};
    if (::poll(&socket, 1, 0) <= 0) break;
    const bool read = PQconsumeInput(conn) != 0;
    (void)PQisBusy(conn);  // parses what arrived: an idle FATAL goes to receive_notice
    if (!read) break;
  }
  return PQstatus(conn) == CONNECTION_OK;
}

// 26000: the server no longer has our prepared statement (DEALLOCATE / DISCARD ALL in a script, a
// pooler).
bool statement_deallocated(const PGresult* result) {
  const char* sqlstate = PQresultErrorField(result, PG_DIAG_SQLSTATE);
  return sqlstate != nullptr && std::string_view(sqlstate) == "26000";
}

// The table under a cached statement changed its columns (dropped and created again, ALTER COLUMN
// TYPE): PostgreSQL refuses to run the old plan with its old result types (0A000), or with the
// parameter types it inferred for untyped NULLs from the old columns (42804), every time, before
// anything is written.
bool plan_stale(const PGresult* result) {
  const char* sqlstate = PQresultErrorField(result, PG_DIAG_SQLSTATE);
  const char* message = PQresultErrorField(result, PG_DIAG_MESSAGE_PRIMARY);
  return sqlstate != nullptr && ((std::string_view(sqlstate) == "0A000" && message != nullptr &&
                                  std::string_view(message).starts_with("cached plan must not change result type")) ||
                                 std::string_view(sqlstate) == "42804");
}

Error rolled_back_instead(const std::optional<Error>& earlier) {
  if (!earlier) {
    return Error(ErrorCategory::invalid_argument,
                 "COMMIT rolled the transaction back instead: a statement in it failed; run the transaction again",
                 EngineError{.code = "25P02", .sqlstate = "25P02"}, "COMMIT");
  }
  // The earlier error's category says what to do (retryable for a deadlock, constraint, ...).
  return Error(
      earlier->category(),
      fmt::format("COMMIT rolled the transaction back instead, because a statement in it failed: {}", earlier->what()),
      earlier->engine(), earlier->sql());
}

}  // namespace

PostgresDriver::PostgresDriver(std::string url) : url_(std::move(url)) {
  check_url_syntax(url_);
  open();
}

std::string PostgresDriver::server_version() {
  if (!conn_) throw connection_lost("", "", "", LossMeans::nothing_applied);
  const char* version = PQparameterStatus(conn_.get(), "server_version");
  return version != nullptr ? version : std::to_string(PQserverVersion(conn_.get()));
}

ExecResult PostgresDriver::run(const std::string& text, std::span<const Value> params,
                               const std::vector<Type>& result_types) {
  const BoundParams bound(params, text);
  return run_bound(text, bound, result_types);
}

ExecResult PostgresDriver::run_column_arrays(const std::string& text, const ColumnArrays& arrays,
                                             std::span<const Value> params, const std::vector<Type>& result_types) {
  const BoundParams bound(column_arrays(arrays, text, integer_datetimes_), params, text);
  return run_bound(text, bound, result_types);
}

std::vector<PipelinedOutcome> PostgresDriver::run_column_arrays_pipelined(
    std::span<const ColumnArrayStatement> statements, std::optional<std::int64_t> turn_lock) {
  std::vector<PipelinedOutcome> outcomes(statements.size());
  if (statements.empty()) return outcomes;
  if (in_transaction_) turn_lock.reset();  // the caller's transaction is the unit there
  const std::string lock_key = turn_lock ? std::to_string(*turn_lock) : std::string();
  const char* lock_values[] = {lock_key.c_str()};
  const Oid lock_types[] = {int8_oid};
  const std::string& sql = statements.front().text;
  PGconn* conn = live(sql);
  auto encode = [&](const ColumnArrayStatement& s) {
    return std::make_unique<BoundParams>(column_arrays(s.arrays, sql, integer_datetimes_), s.params, sql);
  };
  // Prepared before the pipeline starts (PQprepare waits for its reply); every statement has this
  // text and these parameter types, or it is left unsent for the caller to run on its own.
  std::unique_ptr<BoundParams> first = encode(statements.front());
  const std::vector<Oid> types = first->types();
  const std::string name = prepared(conn, sql, *first);
  if (PQenterPipelineMode(conn) != 1) {
    throw connection_lost(PQerrorMessage(conn), "", sql, LossMeans::nothing_applied);
  }
  // Each statement is encoded while the server runs the ones before it; libpq copies the values
  // into its send buffer, so one statement's parameters are alive at a time.
  std::vector<bool> sent(statements.size(), false);
  for (std::size_t i = 0; i < statements.size(); ++i) {
    const ColumnArrayStatement& s = statements[i];
    if (s.text != sql) continue;
    std::unique_ptr<BoundParams> bound;
    try {
      bound = i == 0 ? std::move(first) : encode(s);
    } catch (const Error& e) {
      outcomes[i].error = e;  // a value PostgreSQL cannot take (Error(data)): not sent
      continue;
    }
    if (bound->types() != types) continue;
    // The lock and the statement before one sync: one implicit transaction, which holds the lock
    // until it commits or rolls back.
    if ((turn_lock && PQsendQueryParams(conn, "SELECT pg_advisory_xact_lock($1)", 1, lock_types, lock_values, nullptr,
                                        nullptr, 0) != 1) ||
        PQsendQueryPrepared(conn, name.c_str(), bound->count(), bound->values(), bound->lengths(), bound->formats(),
                            0) != 1 ||
        PQpipelineSync(conn) != 1) {
      break;  // the connection failed: what was sent is read below, the rest stays unsent
    }
    sent[i] = true;
  }
  // Per sent statement: its result, the end of its results (nullptr), then its sync. A lost
  // connection leaves every statement without a result unknown: it may have committed.
  bool lost = false;
  bool stale = false;
  for (std::size_t i = 0; i < statements.size(); ++i) {
    if (!sent[i]) continue;
    if (lost) {
      outcomes[i].error = connection_lost(idle_.text, idle_.sqlstate, sql, loss_after_sending());
      continue;
    }
    ResultHandle result(PQgetResult(conn));
    if (turn_lock && succeeded(result.get())) {
      ResultHandle end(PQgetResult(conn));  // nullptr: the end of the lock's results
      result.reset(PQgetResult(conn));      // the statement's
    } else if (turn_lock) {
      // The lock failed: the statement was skipped (PGRES_PIPELINE_ABORTED) and the error is the lock's.
      ResultHandle end(PQgetResult(conn));
      ResultHandle skipped(PQgetResult(conn));
    }
    if (succeeded(result.get())) {
      outcomes[i].result = ExecResult{.affected_rows = affected_rows(result.get()), .rows = {}};
    } else {
      Error error = error_from_result(result.get(), conn, sql, loss_after_sending());
      if (in_transaction_ && !transaction_error_) transaction_error_ = error;  // for commit()'s message
      // Forgotten here; the caller's own run of the statement prepares it again.
      stale = stale || statement_deallocated(result.get()) || plan_stale(result.get());
      lost = PQstatus(conn) != CONNECTION_OK;
      outcomes[i].error = std::move(error);
      if (lost) continue;
    }
    ResultHandle end(PQgetResult(conn));  // nullptr: the end of this statement's results
    ResultHandle sync(PQgetResult(conn));
    if (PQresultStatus(sync.get()) != PGRES_PIPELINE_SYNC) lost = PQstatus(conn) != CONNECTION_OK;
  }
  if (lost) return outcomes;  // the session is gone: reconnect() makes a new one
  if (PQexitPipelineMode(conn) != 1) {
    throw Error(ErrorCategory::internal, fmt::format("leaving pipeline mode failed: {}", PQerrorMessage(conn)), "",
                sql);
  }
  if (stale) {
    if (!in_transaction_) ResultHandle ignored(PQexec(conn, "DEALLOCATE ALL"));  // an aborted one would refuse it
    statements_.clear();
  }
  return outcomes;
}

void PostgresDriver::run_script(std::string_view sql) {
  const std::string text(sql);
  PGconn* conn = live(text);
  ResultHandle result(PQexec(conn, text.c_str()));
  if (!succeeded(result.get())) fail(error_from_result(result.get(), conn, text, loss_after_sending()));
}

void PostgresDriver::begin(bool /*for_write*/) {
  if (in_transaction_) {
    throw Error(ErrorCategory::invalid_argument, "begin() inside an open transaction: commit() or rollback() it first");
  }
  PGconn* conn = live(begin_sql);
  ResultHandle result(PQexec(conn, begin_sql));
  // BEGIN changes nothing, so even a loss after sending it leaves nothing applied.
  if (!succeeded(result.get())) throw error_from_result(result.get(), conn, begin_sql, LossMeans::nothing_applied);
  in_transaction_ = true;
  transaction_error_.reset();
}

void PostgresDriver::commit() {
  if (!in_transaction_) throw Error(ErrorCategory::invalid_argument, "commit() without begin()");
  // Whatever happens below, the transaction is over.
  in_transaction_ = false;
  std::optional<Error> earlier = std::exchange(transaction_error_, std::nullopt);
  // A session found dead before COMMIT was sent took the transaction with it: not committed.
  PGconn* conn = live("COMMIT", LossMeans::transaction_lost);
  ResultHandle result(PQexec(conn, "COMMIT"));
  if (!succeeded(result.get())) throw error_from_result(result.get(), conn, "COMMIT", LossMeans::maybe_applied);
  // COMMIT of a transaction that an error aborted "succeeds" with the tag ROLLBACK.
  if (std::string_view(PQcmdStatus(result.get())) == "ROLLBACK") throw rolled_back_instead(earlier);
}

void PostgresDriver::rollback() {
  in_transaction_ = false;
  transaction_error_.reset();
  // A dead session has rolled back already; errors here leave nothing to undo, so they are ignored.
  if (!conn_ || !session_alive(conn_.get()) || PQtransactionStatus(conn_.get()) == PQTRANS_IDLE) return;
  ResultHandle ignored(PQexec(conn_.get(), "ROLLBACK"));
}

void PostgresDriver::reconnect() {
  in_transaction_ = false;
  transaction_error_.reset();
  open();
}

ExecResult PostgresDriver::run_bound(const std::string& sql, const BoundParams& params,
                                     const std::vector<Type>& result_types) {
  PGconn* conn = live(sql);
  ResultHandle result;
  for (bool prepared_again = false;; prepared_again = true) {
    const std::string& name = prepared(conn, sql, params);
    result.reset(
        PQexecPrepared(conn, name.c_str(), params.count(), params.values(), params.lengths(), params.formats(), 0));
    if (succeeded(result.get())) break;
    // Someone deallocated our statements (DEALLOCATE / DISCARD ALL in a script, a pooler): forget
    // them all so the retry that 26000 asks for prepares again.
    if (statement_deallocated(result.get())) statements_.clear();
    // Prepare afresh; outside a transaction (where nothing was aborted) run it again at once.
    if (plan_stale(result.get())) {
      if (!in_transaction_) {
        ResultHandle ignored(PQexec(conn, "DEALLOCATE ALL"));
      }
      statements_.clear();
      if (!in_transaction_ && !prepared_again) continue;
    }
    fail(error_from_result(result.get(), conn, sql, loss_after_sending()));
  }
  ExecResult out;
  out.affected_rows = affected_rows(result.get());
  out.rows = read_rows(result.get(), result_types, sql);
  return out;
}

void PostgresDriver::open() {
  conn_.reset();
  statements_.clear();
  idle_ = {};
  last_sent_ = {};
  // connect_timeout comes before dbname so the URL can override it; without one, connecting to
  // an unreachable host would wait for the OS's TCP timeout.
  const char* keys[] = {"connect_timeout", "fallback_application_name", "dbname", nullptr};
  const char* values[] = {"10", "upsert", url_.c_str(), nullptr};
  ConnHandle conn(PQconnectdbParams(keys, values, /*expand_dbname=*/1));
  if (!conn) throw connect_error("libpq is out of memory", url_);
  if (PQstatus(conn.get()) != CONNECTION_OK) throw connect_error(PQerrorMessage(conn.get()), url_);
  PQsetNoticeReceiver(conn.get(), receive_notice, &idle_);
  // Off only on servers before 10 built to keep timestamps as doubles; binary timestamps differ there.
  const char* integer_datetimes = PQparameterStatus(conn.get(), "integer_datetimes");
  integer_datetimes_ = integer_datetimes == nullptr || std::string_view(integer_datetimes) == "on";
  ResultHandle setup(PQexec(conn.get(), session_setup));
  if (!succeeded(setup.get())) {
    throw error_from_result(setup.get(), conn.get(), session_setup, LossMeans::nothing_applied);
  }
  conn_ = std::move(conn);
}

PGconn* PostgresDriver::live(const std::string& sql, LossMeans if_dead) {
  if (!conn_) throw connection_lost("not connected since the last reconnect failed", "", sql, if_dead);
  // Measured from the previous send, not its reply: the idle time can only be over-estimated, so
  // the check is never skipped after a real idle spell longer than idle_check_after.
  const auto now = std::chrono::steady_clock::now();
  if (now - last_sent_ >= idle_check_after && !session_alive(conn_.get())) {
    throw connection_lost(idle_.text, idle_.sqlstate, sql, if_dead);
  }
  last_sent_ = now;
  return conn_.get();
}

const std::string& PostgresDriver::prepared(PGconn* conn, const std::string& sql, const BoundParams& params) {
  if (const std::string* name = statements_.find(sql, params.types())) return *name;
  if (statements_.full()) {
    // Prepared statements belong to the session, not the transaction: this is safe inside one.
    ResultHandle result(PQexec(conn, "DEALLOCATE ALL"));
    if (!succeeded(result.get())) fail(error_from_result(result.get(), conn, "DEALLOCATE ALL", loss_before_sending()));
    statements_.clear();
  }
  std::string name = statements_.next_name();
  ResultHandle result(PQprepare(conn, name.c_str(), sql.c_str(), params.count(), params.types().data()));
  if (!succeeded(result.get())) fail(error_from_result(result.get(), conn, sql, loss_before_sending()));
  return statements_.remember(sql, params.types(), std::move(name));
}

void PostgresDriver::fail(Error error) {
  if (in_transaction_ && !transaction_error_) transaction_error_ = error;
  throw std::move(error);
}

}  // namespace postgres

std::unique_ptr<Driver> open_postgres(std::string_view url) {
  return std::make_unique<postgres::PostgresDriver>(std::string(url));
}

}  // namespace upsert::detail
