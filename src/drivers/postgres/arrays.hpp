#pragma once
// The rows of a batch statement as binary PostgreSQL arrays, one per insert column, for the
// column-array form INSERT ... SELECT * FROM unnest($1::BIGINT[], ...) (src/render/unnest.hpp).
//
// Binary, not text array literals: in a literal, quotes, backslashes, commas, braces, white space
// and the word NULL all need escaping, and a slip there changes what is stored. In the binary
// format every element is a length and its bytes, and NULL is a length of -1, so there is nothing
// to escape. It is also the fastest form measured (bench/postgres_batch_forms.cpp).

#include <libpq-fe.h>

#include <string>
#include <vector>

#include "session/driver.hpp"

namespace upsert::detail::postgres {

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

}  // namespace upsert::detail::postgres
