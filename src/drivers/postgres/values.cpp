// Parameters go out typed (explicit OIDs) so the server never has to guess from text, and results
// come back in text format, which DateStyle ISO / TimeZone UTC (set on connect) make deterministic.

#include "drivers/postgres/values.hpp"

#include <fmt/format.h>

#include <charconv>
#include <climits>
#include <cmath>
#include <cstring>
#include <string_view>

#include "upsert/error.hpp"

namespace upsert::detail::postgres {

namespace {

// The shortest text that reads back as the same double; PostgreSQL spells the specials its own way.
std::string double_text(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "Infinity" : "-Infinity";
  return fmt::format("{}", v);
}

int length_of(std::size_t size, std::size_t index, const std::string& sql) {
  if (size > static_cast<std::size_t>(INT_MAX)) {
    throw Error(ErrorCategory::data,
                fmt::format("parameter ${} is {} bytes, more than libpq can send (2 GiB; PostgreSQL stores at most "
                            "1 GiB per value): store it in smaller pieces",
                            index + 1, size),
                "", sql);
  }
  return static_cast<int>(size);
}

}  // namespace

BoundParams::BoundParams(std::span<const Value> values, const std::string& sql) : BoundParams({}, values, sql) {}

BoundParams::BoundParams(std::vector<BinaryParam> leading, std::span<const Value> values, const std::string& sql) {
  const std::size_t n = leading.size() + values.size();
  types_.reserve(n);
  pointers_.reserve(n);
  lengths_.reserve(n);
  formats_.reserve(n);
  for (std::size_t i = 0; i < leading.size(); ++i) {
    length_of(leading[i].bytes.size(), i, sql);
    add_owned(leading[i].type, std::move(leading[i].bytes), 1);
  }
  for (std::size_t i = 0; i < values.size(); ++i) add_value(values[i], leading.size() + i, sql);
}

void BoundParams::add(Oid type, const char* data, int length, int format) {
  types_.push_back(type);
  pointers_.push_back(data);
  lengths_.push_back(length);
  formats_.push_back(format);
}

void BoundParams::add_owned(Oid type, std::string bytes, int format) {
  rendered_.push_back(std::move(bytes));
  const std::string& kept = rendered_.back();
  add(type, kept.data(), static_cast<int>(kept.size()), format);
}

void BoundParams::add_value(const Value& v, std::size_t index, const std::string& sql) {
  if (v.is_null()) {
    add(unknown_oid, nullptr, 0, 0);
    return;
  }
  switch (v.type()) {
    case Type::int64: add_owned(int8_oid, std::to_string(v.as<std::int64_t>()), 0); break;
    case Type::float64: add_owned(float8_oid, double_text(v.as<double>()), 0); break;
    case Type::boolean: add(bool_oid, v.as<bool>() ? "t" : "f", 1, 0); break;
    case Type::date: add_owned(date_oid, v.as<Date>().to_string(), 0); break;
    case Type::timestamp: add_owned(timestamp_oid, v.as<Timestamp>().to_string(), 0); break;
    case Type::text: {
      const std::string& s = v.as<std::string>();
      if (std::memchr(s.data(), '\0', s.size()) != nullptr) {
        throw Error(ErrorCategory::data,
                    fmt::format("parameter ${} is text containing a NUL byte, which PostgreSQL text cannot store: "
                                "use a bytes column for binary data",
                                index + 1),
                    "", sql);
      }
      add(text_oid, s.c_str(), length_of(s.size(), index, sql), 0);
      break;
    }
    case Type::bytes: {
      const auto& bytes = v.as<Bytes>().data;
      // libpq reads a null pointer as SQL NULL, so empty bytes need a real (empty) buffer.
      const char* data = bytes.empty() ? "" : reinterpret_cast<const char*>(bytes.data());
      add(bytea_oid, data, length_of(bytes.size(), index, sql), 1);
      break;
    }
  }
}

namespace {

// Thrown by the parsers below; read_rows adds the column and the SQL.
struct BadCell {
  std::string reason;
};

std::int64_t parse_int64(std::string_view text) {
  std::int64_t out = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  if (ec != std::errc() || end != text.data() + text.size()) throw BadCell{"not an integer in the int64 range"};
  return out;
}

double parse_float64(std::string_view text) {
  if (text == "NaN") return std::nan("");
  if (text == "Infinity") return HUGE_VAL;
  if (text == "-Infinity") return -HUGE_VAL;
  double out = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), out);
  if (ec != std::errc() || end != text.data() + text.size()) throw BadCell{"not a number"};
  return out;
}

bool parse_bool(std::string_view text) {
  if (text == "t") return true;
  if (text == "f") return false;
  throw BadCell{"not a boolean (t or f)"};
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  throw BadCell{"bad hex digit in bytea output"};
}

// bytea_output = 'hex' (set on connect): "\x" then two hex digits per byte.
Bytes parse_bytea(std::string_view text) {
  if (text.substr(0, 2) != "\\x" || text.size() % 2 != 0) throw BadCell{"not bytea hex output (\\x...)"};
  Bytes out;
  out.data.reserve(text.size() / 2 - 1);
  for (std::size_t i = 2; i < text.size(); i += 2) {
    out.data.push_back(static_cast<std::uint8_t>(hex_digit(text[i]) * 16 + hex_digit(text[i + 1])));
  }
  return out;
}

template <class Parse>
auto parse_with_library(std::string_view text, Parse parse) {
  try {
    return parse(text);
  } catch (const Error& e) {
    // Date/Timestamp::parse speak of the caller's input; here the server sent it (e.g. a BC
    // date, a year past 9999 or 'infinity', which upsert's types cannot hold).
    throw BadCell{e.what()};
  }
}

Value parse_cell(std::string_view text, Type type, Oid column_type) {
  switch (type) {
    case Type::int64: return parse_int64(text);
    case Type::float64: return parse_float64(text);
    case Type::boolean: return parse_bool(text);
    case Type::text: return std::string(text);
    case Type::date: return parse_with_library(text, [](std::string_view t) { return Date::parse(t); });
    case Type::timestamp: {
      // A timestamptz prints "+00" in this session's UTC time zone; the instant is the same.
      if (column_type != timestamp_oid && text.size() > 3 && text.substr(text.size() - 3) == "+00") {
        text.remove_suffix(3);
      }
      return parse_with_library(text, [](std::string_view t) { return Timestamp::parse(t); });
    }
    case Type::bytes:
      if (column_type == bytea_oid) return parse_bytea(text);
      return Bytes{std::vector<std::uint8_t>(text.begin(), text.end())};  // text asked for as bytes
  }
  throw BadCell{"unknown type"};
}

}  // namespace

std::vector<Row> read_rows(const PGresult* result, const std::vector<Type>& result_types, const std::string& sql) {
  const int rows = PQntuples(result);
  const int columns = PQnfields(result);
  std::vector<Row> out;
  out.reserve(static_cast<std::size_t>(rows));
  for (int r = 0; r < rows; ++r) {
    Row row;
    row.reserve(static_cast<std::size_t>(columns));
    for (int c = 0; c < columns; ++c) {
      if (PQgetisnull(result, r, c)) {
        row.emplace_back();
        continue;
      }
      const std::string_view text(PQgetvalue(result, r, c), static_cast<std::size_t>(PQgetlength(result, r, c)));
      const auto index = static_cast<std::size_t>(c);
      const Type type = index < result_types.size() ? result_types[index] : Type::text;
      try {
        row.push_back(parse_cell(text, type, PQftype(result, c)));
      } catch (const BadCell& bad) {
        const std::string shown = text.size() > 60 ? std::string(text.substr(0, 60)) + "..." : std::string(text);
        throw Error(ErrorCategory::data,
                    fmt::format("result column {} (\"{}\") holds \"{}\", which cannot be read as {}: {}; ask for "
                                "the column's actual type in result_types (or cast it in the query)",
                                c + 1, PQfname(result, c), shown, type_name(type), bad.reason),
                    "", sql);
      }
    }
    out.push_back(std::move(row));
  }
  return out;
}

}  // namespace upsert::detail::postgres
