#pragma once
// PostgreSQL's column-array form of an upsert, for batches:
//   INSERT ... SELECT * FROM unnest($1::BIGINT[], ...) ON CONFLICT ...
// any number of rows in one parameter per column, and one text (one prepared statement) for every
// row count.

#include <string>
#include <vector>

#include "upsert/render.hpp"
#include "upsert/statement.hpp"
#include "upsert/value.hpp"

namespace upsert::detail {

// An upsert whose rows travel as one array per insert column instead of one placeholder per value.
struct ColumnArraySql {
  std::string text;               // placeholders $1..$k take the k insert columns' arrays, in column order
  std::vector<Type> array_types;  // the element type of each array: its insert column's type
  std::vector<Value> params;      // the values of the placeholders after the arrays ($k+1, ...), in order
};

// The column-array form of `statement`. The rows are not in the result: the caller binds column i
// of every row, in row order, as array $i+1. Checks the statement as render() does.
ColumnArraySql render_unnest(const Upsert& statement);

}  // namespace upsert::detail
