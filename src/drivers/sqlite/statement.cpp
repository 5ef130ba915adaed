// Prepared statements: the cache keyed by SQL text, binding values, and reading rows back as the
// caller's types.

#include <fmt/format.h>
#include <sqlite3.h>

#include <charconv>
#include <cmath>
#include <limits>
#include <optional>

#include "drivers/sqlite/sqlite_driver.hpp"

namespace upsert::detail {

namespace {

[[noreturn]] void throw_last_error(sqlite3* db, std::string_view sql) {
  throw sqlite_error(sqlite3_extended_errcode(db), sqlite3_errmsg(db), std::string(sql));
}

// Resets a statement and drops its bindings whatever happens, so a cached statement holds no lock
// and no copy of the caller's values once run_statement returns.
class ResetOnExit {
 public:
  explicit ResetOnExit(sqlite3_stmt* statement) : statement_(statement) {}
  ResetOnExit(const ResetOnExit&) = delete;
  ResetOnExit& operator=(const ResetOnExit&) = delete;
  ~ResetOnExit() {
    sqlite3_reset(statement_);
    sqlite3_clear_bindings(statement_);
  }

 private:
  sqlite3_stmt* statement_;
};

// Dates and timestamps travel as their fixed-width text, so comparing the text compares the time.
int bind_value(sqlite3_stmt* statement, int index, const Value& value) {
  struct Binder {
    sqlite3_stmt* s;
    int i;
    int operator()(std::monostate) const { return sqlite3_bind_null(s, i); }
    int operator()(std::int64_t v) const { return sqlite3_bind_int64(s, i, v); }
    int operator()(double v) const {
      if (std::isnan(v)) {
        throw Error(ErrorCategory::data,
                    fmt::format("parameter {} is NaN, which SQLite would store as NULL: store NULL, or check the "
                                "computation that produced it",
                                i));
      }
      return sqlite3_bind_double(s, i, v);
    }
    int operator()(bool v) const { return sqlite3_bind_int(s, i, v ? 1 : 0); }
    int operator()(const std::string& v) const { return text(v); }
    int operator()(const Date& v) const { return text(v.to_string()); }
    int operator()(const Timestamp& v) const { return text(v.to_string()); }
    int operator()(const Bytes& v) const {
      // A null pointer would bind NULL, not an empty blob.
      if (v.data.empty()) return sqlite3_bind_zeroblob(s, i, 0);
      return sqlite3_bind_blob64(s, i, v.data.data(), v.data.size(), SQLITE_TRANSIENT);
    }
    int text(const std::string& v) const {
      return sqlite3_bind_text64(s, i, v.data(), v.size(), SQLITE_TRANSIENT, SQLITE_UTF8);
    }
  };
  return std::visit(Binder{statement, index}, value.storage());
}

void bind_all(sqlite3* db, sqlite3_stmt* statement, const std::string& text, std::span<const Value> params) {
  const int expected = sqlite3_bind_parameter_count(statement);
  if (static_cast<std::size_t>(expected) != params.size()) {
    throw Error(ErrorCategory::invalid_argument,
                fmt::format("the SQL has {} placeholders but {} values were given: pass one value per placeholder",
                            expected, params.size()),
                "", text);
  }
  for (std::size_t i = 0; i < params.size(); ++i) {
    if (bind_value(statement, static_cast<int>(i + 1), params[i]) != SQLITE_OK) throw_last_error(db, text);
  }
}

std::string column_text(sqlite3_stmt* statement, int column) {
  const auto* text = reinterpret_cast<const char*>(sqlite3_column_text(statement, column));
  const int size = sqlite3_column_bytes(statement, column);
  return text == nullptr ? std::string() : std::string(text, static_cast<std::size_t>(size));
}

// A result value that cannot become the requested type.
Error conversion_error(sqlite3_stmt* statement, int column, Type wanted, std::string_view why) {
  return Error(ErrorCategory::data,
               fmt::format("result column {} (\"{}\") cannot be read as {}: {}; ask for the column's own type",
                           column + 1, sqlite3_column_name(statement, column), type_name(wanted), why));
}

Value read_int64(sqlite3_stmt* s, int c) {
  switch (sqlite3_column_type(s, c)) {
    case SQLITE_INTEGER: return Value(static_cast<std::int64_t>(sqlite3_column_int64(s, c)));
    case SQLITE_FLOAT: {
      // e.g. avg() or a sum over a non-STRICT column; only whole numbers within range convert.
      const double d = sqlite3_column_double(s, c);
      if (std::trunc(d) == d && d >= -0x1p63 && d < 0x1p63) return Value(static_cast<std::int64_t>(d));
      throw conversion_error(s, c, Type::int64, fmt::format("it holds the REAL {}", d));
    }
    case SQLITE_TEXT: {
      const std::string text = column_text(s, c);
      std::int64_t v = 0;
      auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
      if (ec == std::errc() && end == text.data() + text.size()) return Value(v);
      throw conversion_error(s, c, Type::int64, fmt::format("it holds the text \"{}\"", text));
    }
    default: throw conversion_error(s, c, Type::int64, "it holds a BLOB");
  }
}

Value read_double(sqlite3_stmt* s, int c) {
  switch (sqlite3_column_type(s, c)) {
    case SQLITE_INTEGER:
    case SQLITE_FLOAT: return Value(sqlite3_column_double(s, c));
    case SQLITE_TEXT: {
      const std::string text = column_text(s, c);
      double v = 0;
      auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
      if (ec == std::errc() && end == text.data() + text.size()) return Value(v);
      throw conversion_error(s, c, Type::float64, fmt::format("it holds the text \"{}\"", text));
    }
    default: throw conversion_error(s, c, Type::float64, "it holds a BLOB");
  }
}

Value read_bool(sqlite3_stmt* s, int c) {
  switch (sqlite3_column_type(s, c)) {
    case SQLITE_INTEGER: return Value(sqlite3_column_int64(s, c) != 0);
    case SQLITE_FLOAT: return Value(sqlite3_column_double(s, c) != 0.0);
    case SQLITE_TEXT: {
      const std::string text = column_text(s, c);
      if (text == "1" || text == "true") return Value(true);
      if (text == "0" || text == "false") return Value(false);
      throw conversion_error(s, c, Type::boolean, fmt::format("it holds the text \"{}\"", text));
    }
    default: throw conversion_error(s, c, Type::boolean, "it holds a BLOB");
  }
}

template <class Parsed>
Value read_time(sqlite3_stmt* s, int c, Type wanted) {
  if (sqlite3_column_type(s, c) != SQLITE_TEXT) {
    throw conversion_error(s, c, wanted, "dates and timestamps are stored as text, and this is not text");
  }
  const std::string text = column_text(s, c);
  try {
    return Value(Parsed::parse(text));
  } catch (const Error& e) {
    throw conversion_error(s, c, wanted, e.what());
  }
}

Value read_bytes(sqlite3_stmt* s, int c) {
  // sqlite3_column_blob gives the bytes of any column; a zero-length blob comes back as nullptr.
  const auto* data = static_cast<const std::uint8_t*>(sqlite3_column_blob(s, c));
  const int size = sqlite3_column_bytes(s, c);
  Bytes bytes;
  if (data != nullptr) bytes.data.assign(data, data + size);
  return Value(std::move(bytes));
}

Value read_column(sqlite3_stmt* s, int c, std::optional<Type> wanted) {
  if (sqlite3_column_type(s, c) == SQLITE_NULL) return Value();
  if (!wanted) return Value(column_text(s, c));
  switch (*wanted) {
    case Type::int64: return read_int64(s, c);
    case Type::float64: return read_double(s, c);
    case Type::boolean: return read_bool(s, c);
    case Type::text: return Value(column_text(s, c));
    case Type::date: return read_time<Date>(s, c, Type::date);
    case Type::timestamp: return read_time<Timestamp>(s, c, Type::timestamp);
    case Type::bytes: return read_bytes(s, c);
  }
  return Value(column_text(s, c));
}

Row read_row(sqlite3_stmt* statement, const std::vector<Type>& result_types) {
  const int columns = sqlite3_column_count(statement);
  Row row;
  row.reserve(static_cast<std::size_t>(columns));
  for (int c = 0; c < columns; ++c) {
    std::optional<Type> wanted;
    if (static_cast<std::size_t>(c) < result_types.size()) wanted = result_types[static_cast<std::size_t>(c)];
    row.push_back(read_column(statement, c, wanted));
  }
  return row;
}

}  // namespace

sqlite3_stmt* StatementCache::get(const std::string& sql) {
  auto found = entries_.find(sql);
  if (found != entries_.end()) {
    found->second.last_used = ++clock_;
    return found->second.statement;
  }
  sqlite3_stmt* statement = nullptr;
  const char* tail = nullptr;
  const int rc = sqlite3_prepare_v3(db_, sql.c_str(), static_cast<int>(sql.size() + 1), SQLITE_PREPARE_PERSISTENT,
                                    &statement, &tail);
  if (rc != SQLITE_OK) throw_last_error(db_, sql);
  if (statement == nullptr) {
    throw Error(ErrorCategory::invalid_argument, "the SQL holds no statement (only blanks or comments): pass one", "",
                sql);
  }
  // One statement per call: text after it would be silently ignored.
  if (tail != nullptr && std::string_view(tail).find_first_not_of(" \t\r\n;") != std::string_view::npos) {
    sqlite3_finalize(statement);
    throw Error(ErrorCategory::invalid_argument,
                "the SQL holds more than one statement: run them one by one, or use execute_script() for SQL "
                "without parameters",
                "", sql);
  }
  if (entries_.size() >= capacity) evict_least_recently_used();
  entries_.emplace(sql, Entry{statement, ++clock_});
  return statement;
}

void StatementCache::evict_least_recently_used() {
  auto oldest = entries_.begin();
  for (auto it = entries_.begin(); it != entries_.end(); ++it) {
    if (it->second.last_used < oldest->second.last_used) oldest = it;
  }
  if (oldest == entries_.end()) return;
  sqlite3_finalize(oldest->second.statement);
  entries_.erase(oldest);
}

void StatementCache::clear() {
  for (auto& [sql, entry] : entries_) sqlite3_finalize(entry.statement);
  entries_.clear();
}

void StatementCache::reset_handle(sqlite3* db) {
  clear();
  db_ = db;
}

ExecResult run_statement(sqlite3* db, sqlite3_stmt* statement, const std::string& text, std::span<const Value> params,
                         const std::vector<Type>& result_types) {
  ResetOnExit reset(statement);
  bind_all(db, statement, text, params);
  const bool writes = sqlite3_stmt_readonly(statement) == 0;
  const sqlite3_int64 changes_before = sqlite3_total_changes64(db);
  ExecResult result;
  // A value that cannot be converted must not stop the statement halfway: SQLite applies RETURNING
  // statements on the first step, so step to the end and report the conversion afterwards.
  std::optional<Error> conversion;
  for (;;) {
    const int rc = sqlite3_step(statement);
    if (rc == SQLITE_DONE) break;
    if (rc != SQLITE_ROW) throw_last_error(db, text);
    if (conversion) continue;
    try {
      result.rows.push_back(read_row(statement, result_types));
    } catch (const Error& e) {
      conversion = e;
    }
  }
  if (conversion) throw *conversion;
  // sqlite3_changes64 keeps the count of the last INSERT/UPDATE/DELETE, so a statement that changed
  // nothing (DDL, DO NOTHING, a false WHERE) is told apart by the total not moving.
  if (writes && sqlite3_total_changes64(db) != changes_before) result.affected_rows = sqlite3_changes64(db);
  return result;
}

}  // namespace upsert::detail
