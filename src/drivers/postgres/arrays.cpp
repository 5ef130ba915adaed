// Binary arrays as array_recv reads them (src/backend/utils/adt/arrayfuncs.c): a header of
// dimensions, a has-NULLs flag, the element type and each dimension's size and lower bound, then
// per element its length (-1 for NULL) and its bytes in the element type's binary format. All
// integers are big-endian.

#include "drivers/postgres/arrays.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <bit>
#include <climits>
#include <cstdint>
#include <cstring>

#include "drivers/postgres/values.hpp"
#include "upsert/error.hpp"

namespace upsert::detail::postgres {

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
