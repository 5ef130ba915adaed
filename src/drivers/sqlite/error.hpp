#pragma once
// SQLite's extended result codes mapped onto upsert::ErrorCategory.

#include <string>
#include <string_view>

#include "upsert/error.hpp"

namespace upsert::detail {

// The category of an SQLite extended result code; `message` (sqlite3_errmsg) tells the few codes
// apart that mean different things, such as an int64 overflow seen as a REAL in an INTEGER column.
ErrorCategory sqlite_error_category(int extended_code, std::string_view message);

// The name of an SQLite (extended) result code, e.g. "SQLITE_CONSTRAINT_UNIQUE".
std::string sqlite_code_name(int extended_code);

// The constraint kind of an SQLite extended result code (SQLITE_CONSTRAINT_UNIQUE, ...).
ConstraintKind sqlite_constraint_kind(int extended_code);

// An upsert::Error for an SQLite failure: category, code name, engine message, a hint and the SQL.
Error sqlite_error(int extended_code, std::string_view engine_message, std::string sql);

}  // namespace upsert::detail
