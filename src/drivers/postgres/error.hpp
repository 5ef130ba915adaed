#pragma once
// PostgreSQL failures onto upsert::ErrorCategory: SQLSTATE for server errors, and for a lost
// connection whether the command in flight may have been applied.

#include <string>
#include <string_view>

#include "upsert/error.hpp"

// libpq's handle types, declared exactly as libpq-fe.h declares them, so that this header (and the
// SQLSTATE tests that include it) needs no libpq include path.
typedef struct pg_conn PGconn;
typedef struct pg_result PGresult;

namespace upsert::detail::postgres {

// What losing the connection means for the command that was in flight; it decides between
// ErrorCategory::connection (safe to run again) and ErrorCategory::outcome_unknown.
enum class LossMeans {
  nothing_applied,   // not sent yet, or only a PREPARE / BEGIN (they change no data)
  transaction_lost,  // sent inside a transaction: the server rolls it back with the session
  maybe_applied,     // an autocommit statement or COMMIT was sent: it may have been committed
};

// The category of a SQLSTATE. Codes that end the session (class 08, 57P01..57P05) give
// `connection`; error_from_result turns that into outcome_unknown where the command may have run.
ErrorCategory category_for_sqlstate(std::string_view sqlstate);

// The constraint kind of a SQLSTATE (23505 unique, 23502 not null, 23514 check, 23503 foreign key).
ConstraintKind constraint_for_sqlstate(std::string_view sqlstate);

// True for SQLSTATEs with which the server ends the session (class 08, 57P01..57P05).
bool ends_session(std::string_view sqlstate);

// The Error for a failed command. `result` may be null (libpq could not even send the command).
Error error_from_result(const PGresult* result, const PGconn* conn, std::string sql, LossMeans loss);

// The Error for a connection that is gone. `server_message` and `sqlstate` are what the server
// said as it closed the session (empty when it just vanished).
Error connection_lost(std::string_view server_message, std::string_view sqlstate, std::string sql, LossMeans loss);

// The Error for a failed connect, with libpq's reason; the URL's password is masked.
Error connect_error(std::string_view reason, std::string_view url);

}  // namespace upsert::detail::postgres
