#pragma once
// MySQL / MariaDB error numbers mapped onto upsert::ErrorCategory.

#include <mysql.h>

#include <string_view>

#include "upsert/error.hpp"

namespace upsert::detail::mysql {

// How far a failed request got. It decides what a lost connection means: before anything was sent
// nothing was applied (`connection`, safe to retry after reconnecting); after an autocommit statement
// or COMMIT was sent it may have been applied (`outcome_unknown`).
enum class Stage {
  not_sent,             // connecting, preparing, START TRANSACTION
  sent,                 // an autocommit statement, a script, or COMMIT
  sent_in_transaction,  // a statement inside an open transaction: the server rolls the whole
                        // transaction back when the connection drops, so nothing stays applied
};

// The category of a server (1000-1999, 3000+) or client (2000-2999) error number.
ErrorCategory category_for(unsigned error_number, Stage stage);

// The constraint kind of an error number (1062 unique, 1048 not null, 4025/3819 check, 1452 foreign
// key, ...).
ConstraintKind constraint_for(unsigned error_number);

// True when running the statement again may succeed: a transient conflict, or a connection error
// other than a wrong login or target.
bool retry_may_help(unsigned error_number, ErrorCategory category);

// What an error number and SQLSTATE say, as Error carries it.
EngineError engine_error(unsigned error_number, std::string_view sqlstate, ErrorCategory category);

// Throws the Error for an error number, its SQLSTATE and message, and the SQL that failed.
[[noreturn]] void throw_error(unsigned error_number, std::string_view sqlstate, std::string_view message,
                              std::string_view sql, Stage stage);

// Throws the last error of a connection handle.
[[noreturn]] void throw_error(MYSQL* connection, std::string_view sql, Stage stage);

// Throws the last error of a prepared statement handle.
[[noreturn]] void throw_error(MYSQL_STMT* statement, std::string_view sql, Stage stage);

}  // namespace upsert::detail::mysql
