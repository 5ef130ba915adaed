// Parameters go out typed (explicit OIDs) so the server never has to guess from text, and results
// come back in text format, which DateStyle ISO / TimeZone UTC (set on connect) make deterministic.

#include "drivers/postgres/values.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <bit>
#include <charconv>
#include <climits>
#include <cmath>
#include <cstdint>
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

// ---- binary arrays -------------------------------------------------------------------------------
// Binary arrays as array_recv reads them (src/backend/utils/adt/arrayfuncs.c): a header of
// dimensions, a has-NULLs flag, the element type and each dimension's size and lower bound, then
// per element its length (-1 for NULL) and its bytes in the element type's binary format. All
// integers are big-endian.

namespace {

// PostgreSQL counts dates and timestamps from 2000-01-01, upsert from 1970-01-01.
constexpr std::int64_t epoch_2000_days = 10'957;
constexpr std::int64_t epoch_2000_micros = epoch_2000_days * 86'400 * 1'000'000;

// The server reads a message of at most 1 GiB (and no value can be larger), so the Bind message
// that carries the arrays must stay below it.
constexpr std::size_t max_message_bytes = (std::size_t{1} << 30) - (std::size_t{1} << 20);

Oid element_type_oid(Type type) {
  switch (type) {
    case Type::int64: return int8_oid;
    case Type::float64: return float8_oid;
    case Type::text: return text_oid;
    case Type::boolean: return bool_oid;
    case Type::date: return date_oid;
    case Type::timestamp: return timestamp_oid;
    case Type::bytes: return bytea_oid;
  }
  throw Error(ErrorCategory::internal, "unknown type");
}

class ArrayWriter {
 public:
  explicit ArrayWriter(std::string& out) : out_(out) {}

  void u32(std::uint32_t v) {
    const char bytes[4] = {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8),
                           static_cast<char>(v)};
    out_.append(bytes, 4);
  }
  void i32(std::int32_t v) { u32(static_cast<std::uint32_t>(v)); }
  void u64(std::uint64_t v) {
    u32(static_cast<std::uint32_t>(v >> 32));
    u32(static_cast<std::uint32_t>(v));
  }
  void i64(std::int64_t v) { u64(static_cast<std::uint64_t>(v)); }
  void null_element() { i32(-1); }
  // A variable-length element: its length, then its bytes.
  void element(const void* data, std::size_t size) {
    i32(static_cast<std::int32_t>(size));
    out_.append(static_cast<const char*>(data), size);
  }

 private:
  std::string& out_;
};

// "(7, \"B\")": the key of row `r`, for messages.
std::string key_text(const ColumnArrays& arrays, std::size_t r) {
  std::vector<std::string> parts;
  for (auto p : arrays.key_columns) parts.push_back(arrays.rows[r][p].to_string());
  return fmt::format("({})", fmt::join(parts, ", "));
}

Error bad_value(const ColumnArrays& arrays, std::size_t r, std::size_t column, const std::string& sql,
                std::string_view problem) {
  return Error(
      ErrorCategory::data,
      fmt::format("column \"{}\" of the row with key {} {}", arrays.names[column], key_text(arrays, r), problem), "",
      sql);
}

// Column `column` of every row as one array of `type`.
std::string encode_column(const ColumnArrays& arrays, std::size_t column, Type type, bool integer_datetimes,
                          const std::string& sql) {
  const auto& rows = arrays.rows;
  std::string out;
  out.reserve(20 + rows.size() * 12);
  ArrayWriter w(out);
  bool has_null = false;
  for (const Row& row : rows) has_null = has_null || row[column].is_null();
  // An array without elements has no dimensions at all.
  w.i32(rows.empty() ? 0 : 1);
  w.i32(has_null ? 1 : 0);
  w.u32(element_type_oid(type));
  if (!rows.empty()) {
    w.i32(static_cast<std::int32_t>(rows.size()));
    w.i32(1);  // lower bound: arrays are 1-based
  }
  for (std::size_t r = 0; r < rows.size(); ++r) {
    const Value& v = rows[r][column];
    if (v.is_null()) {
      w.null_element();
      continue;
    }
    switch (type) {
      case Type::int64:
        w.i32(8);
        w.i64(v.as<std::int64_t>());
        break;
      case Type::float64: {
        // An integer in a double column is converted as the server's int8 -> float8 cast would.
        const double d = v.get_if<double>() != nullptr ? v.as<double>() : static_cast<double>(v.as<std::int64_t>());
        w.i32(8);
        w.u64(std::bit_cast<std::uint64_t>(d));
        break;
      }
      case Type::boolean: {
        const char b = v.as<bool>() ? 1 : 0;
        w.element(&b, 1);
        break;
      }
      case Type::text: {
        const std::string& s = v.as<std::string>();
        if (std::memchr(s.data(), '\0', s.size()) != nullptr) {
          throw bad_value(arrays, r, column, sql,
                          "is text containing a NUL byte, which PostgreSQL text cannot store: use a bytes column "
                          "for binary data");
        }
        if (s.size() > static_cast<std::size_t>(INT_MAX)) {
          throw bad_value(arrays, r, column, sql, "is larger than PostgreSQL can store (1 GiB per value)");
        }
        w.element(s.data(), s.size());
        break;
      }
      case Type::date:
        w.i32(4);
        w.i32(static_cast<std::int32_t>(v.as<Date>().days_since_epoch() - epoch_2000_days));
        break;
      case Type::timestamp:
        if (!integer_datetimes) {
          throw Error(ErrorCategory::unsupported,
                      "this PostgreSQL server keeps timestamps as floating point (integer_datetimes is off, "
                      "a build option before PostgreSQL 10): batches with timestamp columns are not supported "
                      "on it; upgrade the server or upsert such rows one at a time with execute()",
                      "", sql);
        }
        w.i32(8);
        w.i64(v.as<Timestamp>().micros_since_epoch - epoch_2000_micros);
        break;
      case Type::bytes: {
        const auto& bytes = v.as<Bytes>().data;
        if (bytes.size() > static_cast<std::size_t>(INT_MAX)) {
          throw bad_value(arrays, r, column, sql, "is larger than PostgreSQL can store (1 GiB per value)");
        }
        w.element(bytes.data(), bytes.size());
        break;
      }
    }
  }
  return out;
}

}  // namespace

Oid array_type_oid(Type element) {
  switch (element) {
    case Type::int64: return 1016;      // _int8
    case Type::float64: return 1022;    // _float8
    case Type::text: return 1009;       // _text
    case Type::boolean: return 1000;    // _bool
    case Type::date: return 1182;       // _date
    case Type::timestamp: return 1115;  // _timestamp
    case Type::bytes: return 1001;      // _bytea
  }
  throw Error(ErrorCategory::internal, "unknown type");
}

std::vector<BinaryParam> column_arrays(const ColumnArrays& arrays, const std::string& sql, bool integer_datetimes) {
  std::vector<BinaryParam> out;
  out.reserve(arrays.types.size());
  std::size_t total = 0;
  for (std::size_t c = 0; c < arrays.types.size(); ++c) {
    const Type type = arrays.types[c];
    out.push_back({array_type_oid(type), encode_column(arrays, c, type, integer_datetimes, sql)});
    total += out.back().bytes.size();
    if (total > max_message_bytes) {
      throw Error(ErrorCategory::data,
                  fmt::format("the {} rows of one batch statement take more than {} MiB, more than PostgreSQL "
                              "accepts in one message (1 GiB): lower BatchOptions::max_rows_per_statement",
                              arrays.rows.size(), total >> 20),
                  "", sql);
    }
  }
  return out;
}

}  // namespace upsert::detail::postgres
