#pragma once
/// The one exception type of the library, with a category the caller can act on.

#include <stdexcept>
#include <string>
#include <string_view>

#include "upsert/export.hpp"

namespace upsert {

/// What kind of failure an Error is, and so what the caller can do about it.
enum class ErrorCategory {
  invalid_argument,  ///< the caller's input is wrong (bad identifier, NULL key, type mismatch)
  unsupported,       ///< the dialect cannot express this statement with PostgreSQL's semantics
  retryable,         ///< deadlock, serialization failure, busy, lock timeout: try again
  constraint,        ///< a constraint refused the row (unique, not null, check, foreign key)
  overflow,          ///< a numeric value is out of range for its column
  data,              ///< a value has the wrong type or format for the engine
  syntax,            ///< the engine rejected the SQL (a bug, or a missing table/column)
  connection,        ///< the connection could not be made, or was lost before the statement was sent
  outcome_unknown,   ///< the connection was lost after the statement was sent: it may have been applied
  internal,          ///< a bug in this library
};

/// The name of a category, e.g. "retryable".
UPSERT_EXPORT std::string_view category_name(ErrorCategory category);

/// An error with its category; engine errors also carry the engine's code, message and the SQL.
class UPSERT_EXPORT Error : public std::runtime_error {
 public:
  /// An error raised by the library itself; `message` names the cause and the fix.
  Error(ErrorCategory category, std::string message);
  /// An error reported by a database engine.
  Error(ErrorCategory category, std::string message, std::string engine_code, std::string sql);

  /// The category.
  ErrorCategory category() const { return category_; }
  /// True when retrying the same statement may succeed.
  bool retryable() const { return category_ == ErrorCategory::retryable; }
  /// The engine's own code (SQLSTATE, errno, extended result code); empty for library errors.
  const std::string& engine_code() const { return engine_code_; }
  /// The SQL that failed; empty for library errors.
  const std::string& sql() const { return sql_; }

 private:
  ErrorCategory category_;
  std::string engine_code_;
  std::string sql_;
};

}  // namespace upsert
