#pragma once
/// Column types and the values bound as statement parameters.

#include <compare>
#include <concepts>
#include <cstdint>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "upsert/export.hpp"

namespace upsert {

/// The column types every dialect maps to a native type.
enum class Type { int64, float64, text, boolean, date, timestamp, bytes };

/// The schema name of a type: "int64", "double", "text", "bool", "date", "timestamp", "bytes".
UPSERT_EXPORT std::string_view type_name(Type type);

/// Parses a schema type name (as printed by type_name, plus a few aliases such as "int" and "string").
UPSERT_EXPORT Type parse_type(std::string_view name);

/// A calendar date (proleptic Gregorian), validated on construction.
struct UPSERT_EXPORT Date {
  int year = 1970;  ///< 1..9999
  int month = 1;    ///< 1..12
  int day = 1;      ///< 1..days in month
  Date() = default;
  /// Builds a date; throws Error(invalid_argument) when it does not exist.
  Date(int year, int month, int day);
  /// Parses "YYYY-MM-DD".
  static Date parse(std::string_view text);
  /// "YYYY-MM-DD".
  std::string to_string() const;
  /// Days since 1970-01-01.
  std::int64_t days_since_epoch() const;
  /// The date `days` days after 1970-01-01.
  static Date from_days_since_epoch(std::int64_t days);
  friend auto operator<=>(const Date&, const Date&) = default;
};

/// A point in time without time zone, with microsecond precision.
struct UPSERT_EXPORT Timestamp {
  std::int64_t micros_since_epoch = 0;  ///< microseconds since 1970-01-01 00:00:00
  /// Parses "YYYY-MM-DD HH:MM:SS[.ffffff]" (a 'T' separator is accepted too).
  static Timestamp parse(std::string_view text);
  /// Builds a timestamp from a date and a time of day.
  static Timestamp from_parts(Date date, int hour, int minute, int second, int micros = 0);
  /// "YYYY-MM-DD HH:MM:SS.ffffff".
  std::string to_string() const;
  /// The calendar date part.
  Date date() const;
  friend auto operator<=>(const Timestamp&, const Timestamp&) = default;
};

/// Raw bytes (a BLOB, bytea, VARBINARY); distinct from text.
struct Bytes {
  std::vector<std::uint8_t> data;  ///< the bytes themselves
  friend auto operator<=>(const Bytes&, const Bytes&) = default;
};

/// A value of any column type, or NULL. Values are only ever bound as parameters.
class UPSERT_EXPORT Value {
 public:
  /// The variant behind a value; std::monostate is NULL.
  using Storage = std::variant<std::monostate, std::int64_t, double, bool, std::string, Date, Timestamp, Bytes>;

  /// NULL.
  Value() = default;
  /// NULL.
  Value(std::nullptr_t) {}
  /// An integer (any integral type but bool and char).
  template <std::integral T>
  requires(!std::same_as<T, bool> && !std::same_as<T, char>) Value(T v) : storage_(static_cast<std::int64_t>(v)) {}
  /// A double.
  Value(double v) : storage_(v) {}
  /// A boolean.
  template <std::same_as<bool> T>
  Value(T v) : storage_(v) {}
  /// Text.
  Value(std::string v) : storage_(std::move(v)) {}
  /// Text.
  Value(std::string_view v) : storage_(std::string(v)) {}
  /// Text.
  Value(const char* v) : storage_(std::string(v)) {}
  /// A date.
  Value(Date v) : storage_(v) {}
  /// A timestamp.
  Value(Timestamp v) : storage_(v) {}
  /// Bytes.
  Value(Bytes v) : storage_(std::move(v)) {}

  /// True for NULL.
  bool is_null() const { return std::holds_alternative<std::monostate>(storage_); }
  /// The type of a non-NULL value.
  Type type() const;
  /// The held alternative, e.g. as<std::int64_t>(); throws std::bad_variant_access on mismatch.
  template <class T>
  const T& as() const {
    return std::get<T>(storage_);
  }
  /// The held alternative or nullptr.
  template <class T>
  const T* get_if() const {
    return std::get_if<T>(&storage_);
  }
  /// The variant itself, for std::visit.
  const Storage& storage() const { return storage_; }
  /// A readable rendering for messages and tests (text quoted, NULL as NULL); never SQL.
  std::string to_string() const;

  /// Total order: NULL first, then by type index, then by value. Used to sort and merge keys.
  friend UPSERT_EXPORT std::strong_ordering operator<=>(const Value& a, const Value& b);
  /// Equality consistent with operator<=> (every NaN equal), without ordering (cheaper).
  friend UPSERT_EXPORT bool operator==(const Value& a, const Value& b);

 private:
  Storage storage_;
};

/// A row of values, in the order of the statement's insert columns.
using Row = std::vector<Value>;

}  // namespace upsert
