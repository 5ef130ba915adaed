#include "upsert/value.hpp"

#include <fmt/format.h>

#include <charconv>
#include <chrono>
#include <cmath>

#include "upsert/error.hpp"

namespace upsert {

namespace {

constexpr std::int64_t micros_per_second = 1'000'000;
constexpr std::int64_t micros_per_day = 86'400 * micros_per_second;

Error bad(std::string message) {
  return Error(ErrorCategory::invalid_argument, std::move(message));
}

// Reads exactly `width` decimal digits at `pos`.
int read_digits(std::string_view text, std::size_t pos, std::size_t width, std::string_view what) {
  int out = 0;
  if (pos + width > text.size()) {
    throw bad(fmt::format("cannot parse {} \"{}\": too short", what, text));
  }
  auto [ptr, ec] = std::from_chars(text.data() + pos, text.data() + pos + width, out);
  if (ec != std::errc() || ptr != text.data() + pos + width) {
    throw bad(fmt::format("cannot parse {} \"{}\": expected digits at position {}", what, text, pos + 1));
  }
  return out;
}

void expect_char(std::string_view text, std::size_t pos, std::string_view allowed, std::string_view what) {
  if (pos >= text.size() || allowed.find(text[pos]) == std::string_view::npos) {
    throw bad(
        fmt::format("cannot parse {} \"{}\": expected '{}' at position {}", what, text, allowed.substr(0, 1), pos + 1));
  }
}

}  // namespace

std::string_view type_name(Type type) {
  switch (type) {
    case Type::int64: return "int64";
    case Type::float64: return "double";
    case Type::text: return "text";
    case Type::boolean: return "bool";
    case Type::date: return "date";
    case Type::timestamp: return "timestamp";
    case Type::bytes: return "bytes";
  }
  return "unknown";
}

Type parse_type(std::string_view name) {
  if (name == "int64" || name == "int" || name == "integer" || name == "bigint") return Type::int64;
  if (name == "double" || name == "float64" || name == "float" || name == "real") return Type::float64;
  if (name == "text" || name == "string") return Type::text;
  if (name == "bool" || name == "boolean") return Type::boolean;
  if (name == "date") return Type::date;
  if (name == "timestamp" || name == "datetime") return Type::timestamp;
  if (name == "bytes" || name == "blob") return Type::bytes;
  throw bad(fmt::format("unknown type \"{}\": use one of int64, double, text, bool, date, timestamp, bytes", name));
}

Date::Date(int y, int m, int d) : year(y), month(m), day(d) {
  using namespace std::chrono;
  if (y < 1 || y > 9999 ||
      !year_month_day{std::chrono::year{y}, std::chrono::month{static_cast<unsigned>(m)},
                      std::chrono::day{static_cast<unsigned>(d)}}
           .ok()) {
    throw bad(fmt::format("invalid date {:04}-{:02}-{:02}: no such day (years 1 to 9999)", y, m, d));
  }
}

namespace {

// The YYYY-MM-DD at the start of `text`; a refusal quotes all of `text` (a timestamp's date part
// cut out on its own could end inside a multi-byte character, and would not say what was given).
Date read_date(std::string_view text, std::string_view what) {
  int y = read_digits(text, 0, 4, what);
  expect_char(text, 4, "-", what);
  int m = read_digits(text, 5, 2, what);
  expect_char(text, 7, "-", what);
  int d = read_digits(text, 8, 2, what);
  return Date(y, m, d);
}

}  // namespace

Date Date::parse(std::string_view text) {
  constexpr std::string_view what = "date (expected YYYY-MM-DD)";
  if (text.size() != 10) throw bad(fmt::format("cannot parse {} \"{}\"", what, text));
  return read_date(text, what);
}

std::string Date::to_string() const {
  // Written by hand for the usual years: SQLite binds every date as this text, and fmt::format
  // was 3% of a SQLite batch's CPU.
  if (year < 0 || year > 9999) return fmt::format("{:04}-{:02}-{:02}", year, month, day);
  std::string out(10, '-');
  const auto digits = [&](std::size_t at, int value, int width) {
    for (int i = width - 1; i >= 0; --i, value /= 10)
      out[at + static_cast<std::size_t>(i)] = static_cast<char>('0' + value % 10);
  };
  digits(0, year, 4);
  digits(5, month, 2);
  digits(8, day, 2);
  return out;
}

std::int64_t Date::days_since_epoch() const {
  using namespace std::chrono;
  sys_days days{std::chrono::year{year} / std::chrono::month{static_cast<unsigned>(month)} /
                std::chrono::day{static_cast<unsigned>(day)}};
  return days.time_since_epoch().count();
}

Date Date::from_days_since_epoch(std::int64_t days) {
  using namespace std::chrono;
  year_month_day ymd{sys_days{std::chrono::days{days}}};
  return Date(static_cast<int>(ymd.year()), static_cast<int>(static_cast<unsigned>(ymd.month())),
              static_cast<int>(static_cast<unsigned>(ymd.day())));
}

Timestamp Timestamp::from_parts(Date date, int hour, int minute, int second, int micros) {
  if (hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 59 || micros < 0 ||
      micros >= micros_per_second) {
    throw bad(fmt::format("invalid time of day {:02}:{:02}:{:02}.{:06}", hour, minute, second, micros));
  }
  return Timestamp{date.days_since_epoch() * micros_per_day + ((hour * 60 + minute) * 60 + second) * micros_per_second +
                   micros};
}

Timestamp Timestamp::parse(std::string_view text) {
  constexpr std::string_view what = "timestamp (expected YYYY-MM-DD HH:MM:SS[.ffffff])";
  if (text.size() < 19) throw bad(fmt::format("cannot parse {} \"{}\"", what, text));
  Date date = read_date(text, what);
  expect_char(text, 10, " T", what);
  int h = read_digits(text, 11, 2, what);
  expect_char(text, 13, ":", what);
  int mi = read_digits(text, 14, 2, what);
  expect_char(text, 16, ":", what);
  int s = read_digits(text, 17, 2, what);
  int micros = 0;
  if (text.size() > 19) {
    expect_char(text, 19, ".", what);
    std::size_t digits = text.size() - 20;
    if (digits == 0 || digits > 6) throw bad(fmt::format("cannot parse {} \"{}\": 1 to 6 fraction digits", what, text));
    micros = read_digits(text, 20, digits, what);
    for (std::size_t i = digits; i < 6; ++i) micros *= 10;
  }
  return from_parts(date, h, mi, s, micros);
}

Date Timestamp::date() const {
  std::int64_t days = micros_since_epoch / micros_per_day;
  if (micros_since_epoch % micros_per_day < 0) --days;
  return Date::from_days_since_epoch(days);
}

std::string Timestamp::to_string() const {
  Date d = date();
  std::int64_t in_day = micros_since_epoch - d.days_since_epoch() * micros_per_day;
  std::int64_t secs = in_day / micros_per_second;
  return fmt::format("{} {:02}:{:02}:{:02}.{:06}", d.to_string(), secs / 3600, secs / 60 % 60, secs % 60,
                     in_day % micros_per_second);
}

Type Value::type() const {
  switch (storage_.index()) {
    case 1: return Type::int64;
    case 2: return Type::float64;
    case 3: return Type::boolean;
    case 4: return Type::text;
    case 5: return Type::date;
    case 6: return Type::timestamp;
    case 7: return Type::bytes;
    default: throw Error(ErrorCategory::internal, "Value::type() called on NULL");
  }
}

std::string Value::to_string() const {
  struct Printer {
    std::string operator()(std::monostate) const { return "NULL"; }
    std::string operator()(std::int64_t v) const { return std::to_string(v); }
    std::string operator()(double v) const { return fmt::format("{}", v); }
    std::string operator()(bool v) const { return v ? "true" : "false"; }
    std::string operator()(const std::string& v) const { return fmt::format("\"{}\"", v); }
    std::string operator()(const Date& v) const { return v.to_string(); }
    std::string operator()(const Timestamp& v) const { return v.to_string(); }
    std::string operator()(const Bytes& v) const {
      std::string out = "x'";
      for (auto b : v.data) out += fmt::format("{:02x}", b);
      return out + "'";
    }
  };
  return std::visit(Printer{}, storage_);
}

std::strong_ordering operator<=>(const Value& a, const Value& b) {
  if (a.storage_.index() != b.storage_.index()) return a.storage_.index() <=> b.storage_.index();
  return std::visit(
      [&](const auto& x) -> std::strong_ordering {
        using T = std::decay_t<decltype(x)>;
        const T& y = std::get<T>(b.storage_);
        if constexpr (std::is_same_v<T, std::monostate>) {
          return std::strong_ordering::equal;
        } else if constexpr (std::is_same_v<T, double>) {
          // Doubles order by value; NaN (which SQL engines reject or sort apart) sorts last.
          if (x < y) return std::strong_ordering::less;
          if (y < x) return std::strong_ordering::greater;
          if (x == y) return std::strong_ordering::equal;
          return std::isnan(x) <=> std::isnan(y);
        } else {
          return x <=> y;
        }
      },
      a.storage_);
}

bool operator==(const Value& a, const Value& b) {
  if (a.storage_.index() != b.storage_.index()) return false;
  return std::visit(
      [&](const auto& x) -> bool {
        using T = std::decay_t<decltype(x)>;
        const T& y = std::get<T>(b.storage_);
        if constexpr (std::is_same_v<T, std::monostate>) {
          return true;
        } else if constexpr (std::is_same_v<T, double>) {
          return x == y || (std::isnan(x) && std::isnan(y));
        } else {
          return x == y;
        }
      },
      a.storage_);
}

}  // namespace upsert
