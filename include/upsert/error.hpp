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

/// Which kind of constraint refused a row (for Error(constraint)).
enum class ConstraintKind {
  none,         ///< not a constraint violation, or one of another kind (a trigger, an exclusion constraint)
  unique,       ///< a unique key or the primary key
  not_null,     ///< NOT NULL
  check,        ///< a CHECK constraint
  foreign_key,  ///< a foreign key
};

/// The name of a constraint kind, e.g. "foreign_key".
UPSERT_EXPORT std::string_view constraint_kind_name(ConstraintKind kind);

/// What a database engine reported with a failure, beyond its message.
struct EngineError {
  std::string code;      ///< the engine's own code: SQLSTATE, "errno (SQLSTATE)", or SQLite's result code name
  std::string sqlstate;  ///< the SQLSTATE where the engine has one (PostgreSQL, MySQL/MariaDB); empty on SQLite
  ConstraintKind constraint = ConstraintKind::none;  ///< for a constraint violation, its kind
  bool retryable = false;                            ///< running the statement again may succeed
};

/// An error with its category; engine errors also carry the engine's code, the facts a caller
/// branches on (constraint kind, SQLSTATE, whether a retry can help) and the SQL.
class UPSERT_EXPORT Error : public std::runtime_error {
 public:
  /// An error raised by the library itself; `message` names the cause and the fix.
  Error(ErrorCategory category, std::string message);
  /// An error about `sql`; `engine_code` is the engine's code, if an engine reported it.
  Error(ErrorCategory category, std::string message, std::string engine_code, std::string sql);
  /// An error reported by a database engine.
  Error(ErrorCategory category, std::string message, EngineError engine, std::string sql);

  /// The category.
  ErrorCategory category() const { return category_; }
  /// For a constraint violation, which kind of constraint; none otherwise.
  ConstraintKind constraint() const { return engine_.constraint; }
  /// The SQLSTATE where the engine has one (PostgreSQL, MySQL/MariaDB); empty on SQLite and for
  /// library errors.
  const std::string& sqlstate() const { return engine_.sqlstate; }
  /// True when running the same statement (inside a transaction: the whole transaction) again may
  /// succeed: a transient conflict (deadlock, serialization failure, busy, lock timeout), or a lost
  /// connection that applied nothing (on a new connection; Connection reconnects by itself).
  /// False for permanent errors and for an outcome_unknown statement, which may have been applied.
  bool retryable() const { return engine_.retryable; }
  /// The engine's own code (SQLSTATE, errno, extended result code); empty for library errors.
  const std::string& engine_code() const { return engine_.code; }
  /// The SQL that failed; empty for library errors.
  const std::string& sql() const { return sql_; }
  /// What the engine reported, to pass on with another message.
  const EngineError& engine() const { return engine_; }

 private:
  ErrorCategory category_;
  EngineError engine_;
  std::string sql_;
};

}  // namespace upsert
