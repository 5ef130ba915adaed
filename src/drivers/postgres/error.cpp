// SQLSTATE -> ErrorCategory for PostgreSQL, and the messages that say what to do.
// Codes: https://www.postgresql.org/docs/15/errcodes-appendix.html

#include "drivers/postgres/error.hpp"

#include <fmt/format.h>
#include <libpq-fe.h>

#include <algorithm>

#include "drivers/postgres/url.hpp"

namespace upsert::detail::postgres {

namespace {

// libpq gives no SQLSTATE when it detects the loss itself (socket closed, reset); these are the
// standard codes for the two situations.
constexpr std::string_view unable_to_connect = "08001";   // sqlclient_unable_to_establish_sqlconnection
constexpr std::string_view connection_failure = "08006";  // connection_failure

std::string_view sqlstate_class(std::string_view sqlstate) {
  return sqlstate.substr(0, 2);
}

// libpq's messages end in a newline and indent continuation lines; one line reads better inside ours.
std::string one_line(std::string_view text) {
  std::string out;
  for (char c : text) {
    const bool space = c == '\n' || c == '\t' || c == ' ';
    if (!space) {
      out += c;
    } else if (!out.empty() && out.back() != ' ') {
      out += ' ';
    }
  }
  if (!out.empty() && out.back() == ' ') out.pop_back();
  return out;
}

std::string field(const PGresult* result, int code) {
  const char* value = result != nullptr ? PQresultErrorField(result, code) : nullptr;
  return value != nullptr ? value : "";
}

// The server's primary message with its detail and hint, or libpq's own text when the server
// sent nothing (client-side failures).
std::string server_text(const PGresult* result, const PGconn* conn) {
  std::string text = field(result, PG_DIAG_MESSAGE_PRIMARY);
  if (text.empty()) {
    const char* own = result != nullptr ? PQresultErrorMessage(result) : "";
    text = one_line(*own != '\0' ? own : PQerrorMessage(conn));
  }
  if (auto detail = field(result, PG_DIAG_MESSAGE_DETAIL); !detail.empty()) text += " (" + detail + ")";
  if (auto hint = field(result, PG_DIAG_MESSAGE_HINT); !hint.empty()) text += " Hint: " + hint;
  return text;
}

// What the caller can do about an error of this kind.
std::string_view advice(ErrorCategory category, std::string_view sqlstate) {
  if (sqlstate == "25P02") {
    return "The transaction was aborted by an earlier error and refuses every statement until it ends: call "
           "rollback(), then run the transaction again";
  }
  if (sqlstate == "23505") {
    return "A unique key refused the row: if it is not the conflict target, make it the target (on_conflict) or "
           "change the value";
  }
  if (sqlstate == "26000") {
    return "A prepared statement of this session was deallocated (DEALLOCATE or DISCARD ALL, or a pooler in "
           "transaction mode); the driver prepares it again on the next attempt";
  }
  if (sqlstate == "21000") {
    return "One statement proposed two rows for one existing row. The library merges repeated keys before "
           "sending, so the engine compares keys the library keeps apart: a nondeterministic collation on a key "
           "column (e.g. ICU's case-insensitive 'und-u-ks-level2' makes 'a' and 'A' one key). Use execute_batch, "
           "which sends such a table's rows one per statement, or give the column a deterministic collation";
  }
  if (sqlstate == "42P18") {
    return "The type of a NULL parameter cannot be inferred from where it is used: bind a typed value or cast the "
           "parameter in the SQL";
  }
  switch (category) {
    case ErrorCategory::retryable:
      return "A transient conflict with another transaction: run the statement (or the whole transaction) again; "
             "Connection retries it by itself outside transactions";
    case ErrorCategory::constraint: return "A constraint refused the row: change the value or the constraint";
    case ErrorCategory::overflow:
      return "A value is out of range for its column type (e.g. a BIGINT counter overflowing): nothing was "
             "applied; use smaller values or a wider column";
    case ErrorCategory::data: return "A value has the wrong type or format for its column: check the bound values";
    case ErrorCategory::syntax:
      return "The server rejected the SQL: check that the table and its columns exist as the schema says "
             "(Connection::create_table)";
    case ErrorCategory::unsupported: return "This server does not support the statement";
    case ErrorCategory::outcome_unknown:
      return "The server cannot tell whether the statement completed: check the data before running it again";
    default: return "See the server's message";
  }
}

}  // namespace

bool ends_session(std::string_view sqlstate) {
  // 57P01 admin_shutdown, 57P02 crash_shutdown, 57P03 cannot_connect_now, 57P04 database_dropped,
  // 57P05 idle_session_timeout.
  return sqlstate_class(sqlstate) == "08" || (sqlstate.size() == 5 && sqlstate.substr(0, 4) == "57P0");
}

ErrorCategory category_for_sqlstate(std::string_view sqlstate) {
  if (sqlstate.size() != 5) return ErrorCategory::internal;
  if (ends_session(sqlstate)) return ErrorCategory::connection;
  // serialization_failure, deadlock_detected, lock_not_available (lock_timeout, NOWAIT) and
  // query_canceled (statement_timeout, often used as a lock wait limit): another attempt may pass.
  if (sqlstate == "40001" || sqlstate == "40P01" || sqlstate == "55P03" || sqlstate == "57014") {
    return ErrorCategory::retryable;
  }
  if (sqlstate == "40002") return ErrorCategory::constraint;       // deferred constraint failed at COMMIT
  if (sqlstate == "40003") return ErrorCategory::outcome_unknown;  // statement_completion_unknown
  if (sqlstate == "22003") return ErrorCategory::overflow;         // numeric_value_out_of_range
  // cardinality_violation: the statement's own rows, not the library, are at fault (two of them
  // are one key to a nondeterministic collation); was reported as a bug of the library.
  if (sqlstate == "21000") return ErrorCategory::invalid_argument;
  // out_of_memory, too_many_connections: server load that may pass.
  if (sqlstate == "53200" || sqlstate == "53300") return ErrorCategory::retryable;
  // raise_exception: a trigger or function refused the row, as a constraint would.
  if (sqlstate == "P0001") return ErrorCategory::constraint;
  // invalid_sql_statement_name: a prepared statement vanished; the driver prepares it again.
  if (sqlstate == "26000") return ErrorCategory::retryable;

  const std::string_view cls = sqlstate_class(sqlstate);
  if (cls == "40") return ErrorCategory::retryable;                  // other transaction rollbacks
  if (cls == "23" || cls == "44") return ErrorCategory::constraint;  // integrity, WITH CHECK OPTION
  if (cls == "22") return ErrorCategory::data;
  if (cls == "42") return ErrorCategory::syntax;
  if (cls == "0A") return ErrorCategory::unsupported;
  if (cls == "25") return ErrorCategory::invalid_argument;  // invalid transaction state: a usage error
  // Anything else (system errors, internal errors, ...) is not something a retry or the caller's
  // values can fix.
  return ErrorCategory::internal;
}

ConstraintKind constraint_for_sqlstate(std::string_view sqlstate) {
  if (sqlstate == "23505") return ConstraintKind::unique;       // unique_violation
  if (sqlstate == "23502") return ConstraintKind::not_null;     // not_null_violation
  if (sqlstate == "23514") return ConstraintKind::check;        // check_violation
  if (sqlstate == "23503") return ConstraintKind::foreign_key;  // foreign_key_violation
  return ConstraintKind::none;
}

Error connection_lost(std::string_view server_message, std::string_view sqlstate, std::string sql, LossMeans loss) {
  const std::string said = server_message.empty() ? "" : fmt::format(" (server: {})", server_message);
  const std::string code(sqlstate.empty() ? connection_failure : sqlstate);
  // Nothing applied (or a transaction the server rolled back): running it again on a new session
  // may succeed. A statement that may have committed must not simply run again.
  const EngineError engine{.code = code, .sqlstate = code, .retryable = loss != LossMeans::maybe_applied};
  switch (loss) {
    case LossMeans::nothing_applied:
      return Error(ErrorCategory::connection,
                   fmt::format("lost the connection to PostgreSQL before the statement ran{}: nothing was applied; "
                               "reconnect and run it again (Connection does both outside a transaction)",
                               said),
                   engine, std::move(sql));
    case LossMeans::transaction_lost:
      return Error(ErrorCategory::connection,
                   fmt::format("lost the connection to PostgreSQL inside a transaction{}: the server rolled the "
                               "transaction back; call rollback(), reconnect and run the whole transaction again "
                               "(Connection::transaction does)",
                               said),
                   engine, std::move(sql));
    case LossMeans::maybe_applied: break;
  }
  return Error(ErrorCategory::outcome_unknown,
               fmt::format("lost the connection to PostgreSQL after sending the statement{}: it may or may not "
                           "have been applied; check the data before running it again",
                           said),
               engine, std::move(sql));
}

Error error_from_result(const PGresult* result, const PGconn* conn, std::string sql, LossMeans loss) {
  const std::string sqlstate = field(result, PG_DIAG_SQLSTATE);
  if (PQstatus(conn) == CONNECTION_BAD || ends_session(sqlstate)) {
    // When the socket closes, libpq replaces the server's last error (e.g. the FATAL of an ended
    // session) with its own "server closed the connection"; the connection's message keeps both.
    std::string said = sqlstate.empty() ? one_line(PQerrorMessage(conn)) : server_text(result, conn);
    return connection_lost(said, sqlstate, std::move(sql), loss);
  }
  const ErrorCategory category = category_for_sqlstate(sqlstate);
  std::string message =
      fmt::format("PostgreSQL error {}: {}", sqlstate.empty() ? "(no SQLSTATE)" : sqlstate, server_text(result, conn));
  if (auto constraint = field(result, PG_DIAG_CONSTRAINT_NAME);
      !constraint.empty() && message.find(constraint) == std::string::npos) {
    message += fmt::format(" (constraint \"{}\")", constraint);
  }
  message += fmt::format(". {}", advice(category, sqlstate));
  EngineError engine{.code = sqlstate,
                     .sqlstate = sqlstate,
                     .constraint = constraint_for_sqlstate(sqlstate),
                     .retryable = category == ErrorCategory::retryable};
  return Error(category, std::move(message), std::move(engine), std::move(sql));
}

Error connect_error(std::string_view reason, std::string_view url) {
  return Error(
      ErrorCategory::connection,
      fmt::format("cannot connect to PostgreSQL at {}: {}. Check the URL (host, port, user, password, "
                  "database) and that the server is running and accepts connections",
                  redact_url(url), one_line(reason)),
      // libpq does not say why (a server still starting, or a wrong password): a retry may help.
      EngineError{
          .code = std::string(unable_to_connect), .sqlstate = std::string(unable_to_connect), .retryable = true},
      "");
}

}  // namespace upsert::detail::postgres
