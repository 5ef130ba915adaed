// Binding parameters (one row, or a column of rows for array binding) and reading result columns.

#include "drivers/mysql/values.hpp"

#include <fmt/format.h>

#include <type_traits>
#include <utility>
#include <variant>

namespace upsert::detail::mysql {

namespace {

constexpr std::int64_t micros_per_day = 86'400'000'000;
// Text and blob columns start with this much room; longer values are fetched again whole.
constexpr std::size_t initial_text_buffer = 256;

MYSQL_TIME mysql_date(const Date& date) {
  MYSQL_TIME t{};
  t.year = static_cast<unsigned>(date.year);
  t.month = static_cast<unsigned>(date.month);
  t.day = static_cast<unsigned>(date.day);
  t.time_type = MYSQL_TIMESTAMP_DATE;
  return t;
}

MYSQL_TIME mysql_datetime(const Timestamp& timestamp) {
  // Floor division, so instants before 1970 land on the previous day with a positive time of day.
  std::int64_t days = timestamp.micros_since_epoch / micros_per_day;
  std::int64_t micros = timestamp.micros_since_epoch % micros_per_day;
  if (micros < 0) {
    micros += micros_per_day;
    --days;
  }
  MYSQL_TIME t = mysql_date(Date::from_days_since_epoch(days));
  t.hour = static_cast<unsigned>(micros / 3'600'000'000);
  t.minute = static_cast<unsigned>(micros / 60'000'000 % 60);
  t.second = static_cast<unsigned>(micros / 1'000'000 % 60);
  t.second_part = static_cast<unsigned long>(micros % 1'000'000);
  t.time_type = MYSQL_TIMESTAMP_DATETIME;
  return t;
}

[[noreturn]] void unreadable(const ColumnBuffer& column, const std::string& sql, std::string_view why) {
  throw Error(ErrorCategory::data,
              fmt::format("result column \"{}\" cannot be read as {}: {}; select a value of that type or ask for "
                          "another type",
                          column.name, type_name(column.type), why),
              "", sql);
}

Date date_of(const MYSQL_TIME& t, const ColumnBuffer& column, const std::string& sql) {
  try {
    return Date(static_cast<int>(t.year), static_cast<int>(t.month), static_cast<int>(t.day));
  } catch (const Error&) {
    unreadable(column, sql, fmt::format("{:04}-{:02}-{:02} is not a calendar date", t.year, t.month, t.day));
  }
}

// Bytes of a text or blob column; a value longer than the buffer is fetched again whole.
std::vector<char> column_bytes(MYSQL_STMT* stmt, unsigned index, ColumnBuffer& column, const MYSQL_BIND& bind,
                               const std::string& sql, Stage stage) {
  if (column.length <= column.data.size()) {
    return std::vector<char>(column.data.begin(), column.data.begin() + static_cast<std::ptrdiff_t>(column.length));
  }
  std::vector<char> whole(column.length);
  MYSQL_BIND again = bind;
  again.buffer = whole.data();
  again.buffer_length = column.length;
  if (mysql_stmt_fetch_column(stmt, &again, index, 0) != 0) throw_error(stmt, sql, stage);
  return whole;
}

// The bytes of a text or blob value, and the MYSQL_TIME of a date or timestamp: one name for
// both alternatives, so the array binding below treats each pair alike.
std::pair<const void*, std::size_t> bytes_of(const std::string& text) {
  return {text.data(), text.size()};
}
std::pair<const void*, std::size_t> bytes_of(const Bytes& bytes) {
  return {bytes.data.data(), bytes.data.size()};
}
MYSQL_TIME mysql_time(const Date& date) {
  return mysql_date(date);
}
MYSQL_TIME mysql_time(const Timestamp& timestamp) {
  return mysql_datetime(timestamp);
}

}  // namespace

void bind_param(const Value& value, MYSQL_BIND& bind, ParamBuffer& buffer) {
  // A non-null pointer for empty text and blobs: the library may not expect a null buffer.
  static char empty = 0;
  bind = MYSQL_BIND{};
  std::visit(
      [&](const auto& v) {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, std::monostate>) {
          bind.buffer_type = MYSQL_TYPE_NULL;
        } else if constexpr (std::is_same_v<T, std::int64_t>) {
          buffer.integer = v;
          bind.buffer_type = MYSQL_TYPE_LONGLONG;
          bind.buffer = &buffer.integer;
        } else if constexpr (std::is_same_v<T, double>) {
          buffer.real = v;
          bind.buffer_type = MYSQL_TYPE_DOUBLE;
          bind.buffer = &buffer.real;
        } else if constexpr (std::is_same_v<T, bool>) {
          buffer.flag = v ? 1 : 0;
          bind.buffer_type = MYSQL_TYPE_TINY;
          bind.buffer = &buffer.flag;
        } else if constexpr (std::is_same_v<T, std::string>) {
          buffer.length = static_cast<unsigned long>(v.size());
          bind.buffer_type = MYSQL_TYPE_STRING;
          bind.buffer = v.empty() ? &empty : const_cast<char*>(v.data());
          bind.buffer_length = buffer.length;
          bind.length = &buffer.length;
        } else if constexpr (std::is_same_v<T, Bytes>) {
          buffer.length = static_cast<unsigned long>(v.data.size());
          bind.buffer_type = MYSQL_TYPE_BLOB;
          bind.buffer = v.data.empty() ? static_cast<void*>(&empty) : const_cast<std::uint8_t*>(v.data.data());
          bind.buffer_length = buffer.length;
          bind.length = &buffer.length;
        } else if constexpr (std::is_same_v<T, Date>) {
          buffer.time = mysql_date(v);
          bind.buffer_type = MYSQL_TYPE_DATE;
          bind.buffer = &buffer.time;
        } else if constexpr (std::is_same_v<T, Timestamp>) {
          buffer.time = mysql_datetime(v);
          bind.buffer_type = MYSQL_TYPE_DATETIME;
          bind.buffer = &buffer.time;
        }
      },
      value.storage());
}

void bind_column(ColumnBuffer& column, MYSQL_BIND& bind) {
  bind = MYSQL_BIND{};
  bind.is_null = &column.is_null;
  bind.error = &column.error;
  bind.length = &column.length;
  switch (column.type) {
    case Type::int64:
    case Type::boolean:  // BOOLEAN is TINYINT(1); read as an integer, non-zero is true
      bind.buffer_type = MYSQL_TYPE_LONGLONG;
      bind.buffer = &column.integer;
      break;
    case Type::float64:
      bind.buffer_type = MYSQL_TYPE_DOUBLE;
      bind.buffer = &column.real;
      break;
    case Type::date:
      bind.buffer_type = MYSQL_TYPE_DATE;
      bind.buffer = &column.time;
      break;
    case Type::timestamp:
      bind.buffer_type = MYSQL_TYPE_DATETIME;
      bind.buffer = &column.time;
      break;
    case Type::text:
    case Type::bytes:
      column.data.resize(initial_text_buffer);
      bind.buffer_type = column.type == Type::text ? MYSQL_TYPE_STRING : MYSQL_TYPE_BLOB;
      bind.buffer = column.data.data();
      bind.buffer_length = static_cast<unsigned long>(column.data.size());
      break;
  }
}

Value column_value(MYSQL_STMT* stmt, unsigned index, ColumnBuffer& column, const MYSQL_BIND& bind,
                   const std::string& sql, Stage stage) {
  if (column.is_null) return Value();
  const bool text_like = column.type == Type::text || column.type == Type::bytes;
  if (column.error && !text_like) unreadable(column, sql, "the value does not fit (truncated or out of range)");
  switch (column.type) {
    case Type::int64: return Value(column.integer);
    case Type::boolean: return Value(column.integer != 0);
    case Type::float64: return Value(column.real);
    case Type::date: return Value(date_of(column.time, column, sql));
    case Type::timestamp: {
      const MYSQL_TIME& t = column.time;
      return Value(Timestamp::from_parts(date_of(t, column, sql), static_cast<int>(t.hour), static_cast<int>(t.minute),
                                         static_cast<int>(t.second), static_cast<int>(t.second_part)));
    }
    case Type::text: {
      auto bytes = column_bytes(stmt, index, column, bind, sql, stage);
      return Value(std::string(bytes.begin(), bytes.end()));
    }
    case Type::bytes: {
      auto bytes = column_bytes(stmt, index, column, bind, sql, stage);
      return Value(Bytes{std::vector<std::uint8_t>(bytes.begin(), bytes.end())});
    }
  }
  return Value();
}

bool bind_param_column(const std::vector<std::vector<Value>>& rows, std::size_t p, ParamColumn& column,
                       MYSQL_BIND& bind) {
  static char empty = 0;
  const Value* sample = nullptr;  // the first non-NULL value: its type is the column's
  for (const auto& row : rows) {
    if (row[p].is_null()) continue;
    if (sample == nullptr) sample = &row[p];
    if (row[p].storage().index() != sample->storage().index()) return false;
  }
  const std::size_t n = rows.size();
  column.indicators.assign(n, STMT_INDICATOR_NONE);
  bind = MYSQL_BIND{};
  bind.u.indicator = column.indicators.data();
  if (sample == nullptr) {
    bind.buffer_type = MYSQL_TYPE_NULL;
    column.indicators.assign(n, STMT_INDICATOR_NULL);
    return true;
  }
  std::visit(
      [&](const auto& first) {
        using T = std::decay_t<decltype(first)>;
        // Calls store(r, value) for each non-NULL row r; marks the NULL rows.
        auto each = [&](auto&& store) {
          for (std::size_t r = 0; r < n; ++r) {
            if (rows[r][p].is_null()) {
              column.indicators[r] = STMT_INDICATOR_NULL;
            } else {
              store(r, std::get<T>(rows[r][p].storage()));
            }
          }
        };
        if constexpr (std::is_same_v<T, std::int64_t>) {
          column.integers.assign(n, 0);
          each([&](std::size_t r, const T& v) { column.integers[r] = v; });
          bind.buffer_type = MYSQL_TYPE_LONGLONG;
          bind.buffer = column.integers.data();
        } else if constexpr (std::is_same_v<T, double>) {
          column.reals.assign(n, 0);
          each([&](std::size_t r, const T& v) { column.reals[r] = v; });
          bind.buffer_type = MYSQL_TYPE_DOUBLE;
          bind.buffer = column.reals.data();
        } else if constexpr (std::is_same_v<T, bool>) {
          column.flags.assign(n, 0);
          each([&](std::size_t r, const T& v) { column.flags[r] = v ? 1 : 0; });
          bind.buffer_type = MYSQL_TYPE_TINY;
          bind.buffer = column.flags.data();
        } else if constexpr (std::is_same_v<T, std::string> || std::is_same_v<T, Bytes>) {
          column.pointers.assign(n, &empty);
          column.lengths.assign(n, 0);
          each([&](std::size_t r, const T& v) {
            const auto [data, size] = bytes_of(v);
            if (size > 0) column.pointers[r] = data;
            column.lengths[r] = static_cast<unsigned long>(size);
          });
          bind.buffer_type = std::is_same_v<T, std::string> ? MYSQL_TYPE_STRING : MYSQL_TYPE_BLOB;
          bind.buffer = column.pointers.data();
          bind.length = column.lengths.data();
        } else if constexpr (std::is_same_v<T, Date> || std::is_same_v<T, Timestamp>) {
          column.times.assign(n, MYSQL_TIME{});
          each([&](std::size_t r, const T& v) { column.times[r] = mysql_time(v); });
          // A valid address for every row, NULL rows included: no pointer is left null.
          column.pointers.resize(n);
          for (std::size_t r = 0; r < n; ++r) column.pointers[r] = &column.times[r];
          bind.buffer_type = std::is_same_v<T, Date> ? MYSQL_TYPE_DATE : MYSQL_TYPE_DATETIME;
          bind.buffer = column.pointers.data();
        }
      },
      sample->storage());
  return true;
}

}  // namespace upsert::detail::mysql
