// SQLite's extended result codes mapped onto upsert::ErrorCategory, with a hint per category that
// tells the caller what to do.

#include "drivers/sqlite/error.hpp"

#include <fmt/format.h>
#include <sqlite3.h>

#include <iterator>

namespace upsert::detail {

namespace {

bool contains(std::string_view text, std::string_view part) {
  return text.find(part) != std::string_view::npos;
}

// SQLite has no integer overflow error for column arithmetic: an int64 sum that overflows becomes a
// REAL, and a STRICT INTEGER column refuses to store it.
bool is_int64_overflow(int extended_code, std::string_view message) {
  if (extended_code == SQLITE_CONSTRAINT_DATATYPE)
    return contains(message, "cannot store REAL value in INTEGER column");
  // sum(), abs() and the like do raise one.
  return (extended_code & 0xff) == SQLITE_ERROR && contains(message, "integer overflow");
}

struct CodeName {
  int code;
  const char* name;
};

#define UPSERT_SQLITE_CODE(code) \
  CodeName {                     \
    code, #code                  \
  }

// Every result code of SQLite 3.40 (primary and extended), so engine_code reads as in the manual.
constexpr CodeName code_names[] = {
    UPSERT_SQLITE_CODE(SQLITE_OK),
    UPSERT_SQLITE_CODE(SQLITE_ERROR),
    UPSERT_SQLITE_CODE(SQLITE_INTERNAL),
    UPSERT_SQLITE_CODE(SQLITE_PERM),
    UPSERT_SQLITE_CODE(SQLITE_ABORT),
    UPSERT_SQLITE_CODE(SQLITE_BUSY),
    UPSERT_SQLITE_CODE(SQLITE_LOCKED),
    UPSERT_SQLITE_CODE(SQLITE_NOMEM),
    UPSERT_SQLITE_CODE(SQLITE_READONLY),
    UPSERT_SQLITE_CODE(SQLITE_INTERRUPT),
    UPSERT_SQLITE_CODE(SQLITE_IOERR),
    UPSERT_SQLITE_CODE(SQLITE_CORRUPT),
    UPSERT_SQLITE_CODE(SQLITE_NOTFOUND),
    UPSERT_SQLITE_CODE(SQLITE_FULL),
    UPSERT_SQLITE_CODE(SQLITE_CANTOPEN),
    UPSERT_SQLITE_CODE(SQLITE_PROTOCOL),
    UPSERT_SQLITE_CODE(SQLITE_EMPTY),
    UPSERT_SQLITE_CODE(SQLITE_SCHEMA),
    UPSERT_SQLITE_CODE(SQLITE_TOOBIG),
    UPSERT_SQLITE_CODE(SQLITE_CONSTRAINT),
    UPSERT_SQLITE_CODE(SQLITE_MISMATCH),
    UPSERT_SQLITE_CODE(SQLITE_MISUSE),
    UPSERT_SQLITE_CODE(SQLITE_NOLFS),
    UPSERT_SQLITE_CODE(SQLITE_AUTH),
    UPSERT_SQLITE_CODE(SQLITE_FORMAT),
    UPSERT_SQLITE_CODE(SQLITE_RANGE),
    UPSERT_SQLITE_CODE(SQLITE_NOTADB),
    UPSERT_SQLITE_CODE(SQLITE_NOTICE),
    UPSERT_SQLITE_CODE(SQLITE_WARNING),
    UPSERT_SQLITE_CODE(SQLITE_ROW),
    UPSERT_SQLITE_CODE(SQLITE_DONE),
    UPSERT_SQLITE_CODE(SQLITE_ERROR_MISSING_COLLSEQ),
    UPSERT_SQLITE_CODE(SQLITE_ERROR_RETRY),
    UPSERT_SQLITE_CODE(SQLITE_ERROR_SNAPSHOT),
    UPSERT_SQLITE_CODE(SQLITE_IOERR_READ),
    UPSERT_SQLITE_CODE(SQLITE_IOERR_SHORT_READ),
    UPSERT_SQLITE_CODE(SQLITE_IOERR_WRITE),
    UPSERT_SQLITE_CODE(SQLITE_IOERR_FSYNC),
    UPSERT_SQLITE_CODE(SQLITE_IOERR_DIR_FSYNC),
    UPSERT_SQLITE_CODE(SQLITE_IOERR_TRUNCATE),
    UPSERT_SQLITE_CODE(SQLITE_IOERR_FSTAT),
    UPSERT_SQLITE_CODE(SQLITE_IOERR_UNLOCK),
    UPSERT_SQLITE_CODE(SQLITE_IOERR_RDLOCK),
    UPSERT_SQLITE_CODE(SQLITE_IOERR_DELETE),
    UPSERT_SQLITE_CODE(SQLITE_IOERR_BLOCKED),
    UPSERT_SQLITE_CODE(SQLITE_IOERR_NOMEM),
    UPSERT_SQLITE_CODE(SQLITE_IOERR_ACCESS),
    UPSERT_SQLITE_CODE(SQLITE_IOERR_CHECKRESERVEDLOCK),
    UPSERT_SQLITE_CODE(SQLITE_IOERR_LOCK),
    UPSERT_SQLITE_CODE(SQLITE_IOERR_CLOSE),
    UPSERT_SQLITE_CODE(SQLITE_IOERR_DIR_CLOSE),
    UPSERT_SQLITE_CODE(SQLITE_IOERR_SHMOPEN),
    UPSERT_SQLITE_CODE(SQLITE_IOERR_SHMSIZE),
    UPSERT_SQLITE_CODE(SQLITE_IOERR_SHMLOCK),
    UPSERT_SQLITE_CODE(SQLITE_IOERR_SHMMAP),
    UPSERT_SQLITE_CODE(SQLITE_IOERR_SEEK),
    UPSERT_SQLITE_CODE(SQLITE_IOERR_DELETE_NOENT),
    UPSERT_SQLITE_CODE(SQLITE_IOERR_MMAP),
    UPSERT_SQLITE_CODE(SQLITE_IOERR_GETTEMPPATH),
    UPSERT_SQLITE_CODE(SQLITE_IOERR_CONVPATH),
    UPSERT_SQLITE_CODE(SQLITE_IOERR_VNODE),
    UPSERT_SQLITE_CODE(SQLITE_IOERR_AUTH),
    UPSERT_SQLITE_CODE(SQLITE_IOERR_BEGIN_ATOMIC),
    UPSERT_SQLITE_CODE(SQLITE_IOERR_COMMIT_ATOMIC),
    UPSERT_SQLITE_CODE(SQLITE_IOERR_ROLLBACK_ATOMIC),
    UPSERT_SQLITE_CODE(SQLITE_IOERR_DATA),
    UPSERT_SQLITE_CODE(SQLITE_IOERR_CORRUPTFS),
    UPSERT_SQLITE_CODE(SQLITE_LOCKED_SHAREDCACHE),
    UPSERT_SQLITE_CODE(SQLITE_LOCKED_VTAB),
    UPSERT_SQLITE_CODE(SQLITE_BUSY_RECOVERY),
    UPSERT_SQLITE_CODE(SQLITE_BUSY_SNAPSHOT),
    UPSERT_SQLITE_CODE(SQLITE_BUSY_TIMEOUT),
    UPSERT_SQLITE_CODE(SQLITE_CANTOPEN_NOTEMPDIR),
    UPSERT_SQLITE_CODE(SQLITE_CANTOPEN_ISDIR),
    UPSERT_SQLITE_CODE(SQLITE_CANTOPEN_FULLPATH),
    UPSERT_SQLITE_CODE(SQLITE_CANTOPEN_CONVPATH),
    UPSERT_SQLITE_CODE(SQLITE_CANTOPEN_DIRTYWAL),
    UPSERT_SQLITE_CODE(SQLITE_CANTOPEN_SYMLINK),
    UPSERT_SQLITE_CODE(SQLITE_CORRUPT_VTAB),
    UPSERT_SQLITE_CODE(SQLITE_CORRUPT_SEQUENCE),
    UPSERT_SQLITE_CODE(SQLITE_CORRUPT_INDEX),
    UPSERT_SQLITE_CODE(SQLITE_READONLY_RECOVERY),
    UPSERT_SQLITE_CODE(SQLITE_READONLY_CANTLOCK),
    UPSERT_SQLITE_CODE(SQLITE_READONLY_ROLLBACK),
    UPSERT_SQLITE_CODE(SQLITE_READONLY_DBMOVED),
    UPSERT_SQLITE_CODE(SQLITE_READONLY_CANTINIT),
    UPSERT_SQLITE_CODE(SQLITE_READONLY_DIRECTORY),
    UPSERT_SQLITE_CODE(SQLITE_ABORT_ROLLBACK),
    UPSERT_SQLITE_CODE(SQLITE_CONSTRAINT_CHECK),
    UPSERT_SQLITE_CODE(SQLITE_CONSTRAINT_COMMITHOOK),
    UPSERT_SQLITE_CODE(SQLITE_CONSTRAINT_FOREIGNKEY),
    UPSERT_SQLITE_CODE(SQLITE_CONSTRAINT_FUNCTION),
    UPSERT_SQLITE_CODE(SQLITE_CONSTRAINT_NOTNULL),
    UPSERT_SQLITE_CODE(SQLITE_CONSTRAINT_PRIMARYKEY),
    UPSERT_SQLITE_CODE(SQLITE_CONSTRAINT_TRIGGER),
    UPSERT_SQLITE_CODE(SQLITE_CONSTRAINT_UNIQUE),
    UPSERT_SQLITE_CODE(SQLITE_CONSTRAINT_VTAB),
    UPSERT_SQLITE_CODE(SQLITE_CONSTRAINT_ROWID),
    UPSERT_SQLITE_CODE(SQLITE_CONSTRAINT_PINNED),
    UPSERT_SQLITE_CODE(SQLITE_CONSTRAINT_DATATYPE),
    UPSERT_SQLITE_CODE(SQLITE_NOTICE_RECOVER_WAL),
    UPSERT_SQLITE_CODE(SQLITE_NOTICE_RECOVER_ROLLBACK),
    UPSERT_SQLITE_CODE(SQLITE_WARNING_AUTOINDEX),
    UPSERT_SQLITE_CODE(SQLITE_AUTH_USER),
};

#undef UPSERT_SQLITE_CODE

// What the caller can do, by category (and for a few codes, more precisely).
std::string_view hint(ErrorCategory category, int extended_code) {
  const int primary = extended_code & 0xff;
  switch (category) {
    case ErrorCategory::retryable:
      return "another connection holds the database's write lock: retry (Connection does), or raise "
             "?busy_timeout_ms=N in the URL so statements wait longer";
    case ErrorCategory::overflow:
      return "the result is outside the int64 range (SQLite turns an overflowing integer sum into a REAL, which "
             "the library refuses to store); the row is unchanged: reset the counter or store it as double";
    case ErrorCategory::constraint:
      return "a constraint of the table refused the row: for a unique key other than the conflict target, the "
             "row collides with another existing row";
    case ErrorCategory::data:
      if (primary == SQLITE_FULL) {
        return "the disk holding the database (or SQLite's temporary files) is full: free space and retry";
      }
      return "a value has the wrong type or size for its column: check the row against the table's column types";
    case ErrorCategory::syntax:
      return "SQLite rejected the SQL: check that the table exists with these columns (Connection::create_table "
             "makes it)";
    case ErrorCategory::connection:
      if (primary == SQLITE_CANTOPEN) {
        return "the database file cannot be opened: check that its directory exists and is writable";
      }
      if (primary == SQLITE_NOTADB) return "the file is not an SQLite database: check the path in the URL";
      if (primary == SQLITE_READONLY) return "the database is read-only: check the file's and directory's permissions";
      return "the database file could not be read or written: check the disk and the file, then reconnect";
    default: return "this is unexpected: please report it with the SQL";
  }
}

}  // namespace

ErrorCategory sqlite_error_category(int extended_code, std::string_view message) {
  if (is_int64_overflow(extended_code, message)) return ErrorCategory::overflow;
  switch (extended_code & 0xff) {
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
    case SQLITE_PROTOCOL:   // a WAL lock race; SQLite itself retries it a few times first
    case SQLITE_SCHEMA:     // the schema changed under a prepared statement more often than SQLite re-prepares
    case SQLITE_INTERRUPT:  // the statement was cancelled and rolled back
    case SQLITE_ABORT: return ErrorCategory::retryable;
    case SQLITE_CONSTRAINT:
      // A value of the wrong type for a STRICT column is a type error, not a rule of the table.
      return extended_code == SQLITE_CONSTRAINT_DATATYPE ? ErrorCategory::data : ErrorCategory::constraint;
    case SQLITE_TOOBIG:
    case SQLITE_MISMATCH:
    case SQLITE_RANGE:
    case SQLITE_FULL: return ErrorCategory::data;
    case SQLITE_ERROR:
    case SQLITE_AUTH: return ErrorCategory::syntax;
    case SQLITE_CANTOPEN:
    case SQLITE_NOTADB:
    case SQLITE_IOERR:
    case SQLITE_CORRUPT:
    case SQLITE_READONLY:
    case SQLITE_PERM:
    case SQLITE_NOMEM:
    case SQLITE_NOLFS:
    case SQLITE_FORMAT: return ErrorCategory::connection;
    default: return ErrorCategory::internal;  // SQLITE_MISUSE, SQLITE_INTERNAL: a bug here
  }
}

std::string sqlite_code_name(int extended_code) {
  for (const auto& entry : code_names) {
    if (entry.code == extended_code) return entry.name;
  }
  // An extended code newer than this table: name its primary code and keep the number.
  for (const auto& entry : code_names) {
    if (entry.code == (extended_code & 0xff)) return fmt::format("{}({})", entry.name, extended_code);
  }
  return std::to_string(extended_code);
}

ConstraintKind sqlite_constraint_kind(int extended_code) {
  switch (extended_code) {
    case SQLITE_CONSTRAINT_UNIQUE:
    case SQLITE_CONSTRAINT_PRIMARYKEY: return ConstraintKind::unique;
    case SQLITE_CONSTRAINT_NOTNULL: return ConstraintKind::not_null;
    case SQLITE_CONSTRAINT_CHECK: return ConstraintKind::check;
    case SQLITE_CONSTRAINT_FOREIGNKEY: return ConstraintKind::foreign_key;
    default: return ConstraintKind::none;
  }
}

Error sqlite_error(int extended_code, std::string_view engine_message, std::string sql) {
  const ErrorCategory category = sqlite_error_category(extended_code, engine_message);
  std::string message =
      fmt::format("SQLite {}: {}: {}", sqlite_code_name(extended_code), engine_message, hint(category, extended_code));
  // SQLite has no SQLSTATE. A retry helps only where another connection held the lock; a file
  // that cannot be opened or read stays so.
  EngineError engine{.code = sqlite_code_name(extended_code),
                     .constraint = sqlite_constraint_kind(extended_code),
                     .retryable = category == ErrorCategory::retryable};
  return Error(category, std::move(message), std::move(engine), std::move(sql));
}

}  // namespace upsert::detail
