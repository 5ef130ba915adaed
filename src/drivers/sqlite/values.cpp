// Binding Values to SQLite parameters, and reading result columns back as the caller's types.

#include "drivers/sqlite/values.hpp"

#include <fmt/format.h>
#include <sqlite3.h>

#include <charconv>
#include <cmath>
#include <optional>

#include "upsert/error.hpp"

namespace upsert::detail {

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

namespace {

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

}  // namespace

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

}  // namespace upsert::detail
