#pragma once
// Values to libpq parameters (typed by OID) and text-format results back to Values; and the rows
// of a batch statement as binary arrays, one per column, for the column-array form
// INSERT ... SELECT * FROM unnest($1::BIGINT[], ...) (src/render/unnest.hpp).
//
// Arrays go in binary, not as text array literals: in a literal, quotes, backslashes, commas,
// braces, white space and the word NULL all need escaping, and a slip there changes what is
// stored. In the binary format every element is a length and its bytes, and NULL is a length of
// -1, so there is nothing to escape. It is also the fastest form measured
// (bench/postgres_batch_forms.cpp).

#include <libpq-fe.h>

#include <deque>
#include <span>
#include <string>
#include <vector>

#include "session/driver.hpp"
#include "upsert/value.hpp"

namespace upsert::detail::postgres {

// Type OIDs from pg_type; stable across releases, so they are spelt out instead of pulling in the
// server's catalog headers. 0 lets the server infer the type (used for NULL).
inline constexpr Oid unknown_oid = 0;
inline constexpr Oid bool_oid = 16;
inline constexpr Oid bytea_oid = 17;
inline constexpr Oid int8_oid = 20;
inline constexpr Oid text_oid = 25;
inline constexpr Oid float8_oid = 701;
inline constexpr Oid date_oid = 1082;
inline constexpr Oid timestamp_oid = 1114;

// A parameter already in PostgreSQL's binary format.
struct BinaryParam {
  Oid type;           // the parameter's type (an array type here)
  std::string bytes;  // what array_recv reads
};

// The type OID of an array of `element` values, e.g. bigint[] for int64.
Oid array_type_oid(Type element);

// One array per column of `arrays.rows`, in column order, with the element types `arrays.types`.
// Throws Error(data) naming the row and column for text PostgreSQL cannot store (a NUL byte) or a
// value too large to send, and Error(unsupported) for timestamps when the server keeps them as
// floating point (`integer_datetimes` off: PostgreSQL before 10, built so). `sql` is for messages.
std::vector<BinaryParam> column_arrays(const ColumnArrays& arrays, const std::string& sql, bool integer_datetimes);

// The parameters of one statement in the arrays PQprepare / PQexecPrepared take. Values go in text
// format but bytea, which goes in binary so zero bytes need no escaping; the column arrays of
// batches go in binary too. Points into `values` (and into itself), so it is built in place and
// must not outlive them.
class BoundParams {
 public:
  // Converts `values`; throws Error(data) for text PostgreSQL cannot store (a NUL byte).
  BoundParams(std::span<const Value> values, const std::string& sql);
  // `leading` first ($1, $2, ...: the column arrays of a batch), then `values`.
  BoundParams(std::vector<BinaryParam> leading, std::span<const Value> values, const std::string& sql);
  BoundParams(const BoundParams&) = delete;
  BoundParams& operator=(const BoundParams&) = delete;

  int count() const { return static_cast<int>(types_.size()); }
  const std::vector<Oid>& types() const { return types_; }
  const char* const* values() const { return pointers_.data(); }
  const int* lengths() const { return lengths_.data(); }
  const int* formats() const { return formats_.data(); }

 private:
  void add(Oid type, const char* data, int length, int format);
  void add_owned(Oid type, std::string bytes, int format);
  void add_value(const Value& v, std::size_t index, const std::string& sql);

  std::vector<Oid> types_;
  std::deque<std::string> rendered_;   // owned bytes; a deque never moves what it holds
  std::vector<const char*> pointers_;  // nullptr for NULL
  std::vector<int> lengths_;
  std::vector<int> formats_;
};

// Every row of a text-format result: column i converted to `result_types[i]`, later columns as
// text. Throws Error(data) naming the column when a value does not parse as its type.
std::vector<Row> read_rows(const PGresult* result, const std::vector<Type>& result_types, const std::string& sql);

}  // namespace upsert::detail::postgres
