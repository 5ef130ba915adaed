#pragma once
// Values to libmariadb's binary parameters and result columns back to Values. libmariadb reads
// parameters from, and writes results to, caller-owned buffers that MYSQL_BIND points into; the
// callers keep those buffers in vectors sized before any pointer is taken, so they never move
// while bound.

#include <mysql.h>

#include <cstdint>
#include <string>
#include <vector>

#include "drivers/mysql/error.hpp"
#include "upsert/value.hpp"

namespace upsert::detail::mysql {

// Storage for one parameter's value in the binary form libmariadb sends.
struct ParamBuffer {
  std::int64_t integer = 0;
  double real = 0;
  signed char flag = 0;
  MYSQL_TIME time{};
  unsigned long length = 0;
};

// Points `bind` at `value`, stored in `buffer` where it needs storage (text and bytes are bound
// in place: `value` must outlive the execution).
void bind_param(const Value& value, MYSQL_BIND& bind, ParamBuffer& buffer);

// One parameter's values for every row of an array-bound execution, in the column-wise layout
// libmariadb reads: a contiguous array for the numeric types, whose size it knows; an array of
// pointers for the rest (text and blobs with an array of lengths; dates and times to MYSQL_TIME).
struct ParamColumn {
  std::vector<std::int64_t> integers;
  std::vector<double> reals;
  std::vector<signed char> flags;
  std::vector<MYSQL_TIME> times;
  std::vector<const void*> pointers;
  std::vector<unsigned long> lengths;
  std::vector<char> indicators;  // STMT_INDICATOR_NULL or STMT_INDICATOR_NONE per row
};

// Fills `column` with parameter `p` of every row and points `bind` at it, for array binding; false
// when the rows disagree on the parameter's type (say int64 in one row, double in another). The
// types bound are those of bind_param for one row.
bool bind_param_column(const std::vector<std::vector<Value>>& rows, std::size_t p, ParamColumn& column,
                       MYSQL_BIND& bind);

// Where libmariadb writes one result column of the current row.
struct ColumnBuffer {
  Type type = Type::text;
  std::string name;
  std::int64_t integer = 0;
  double real = 0;
  MYSQL_TIME time{};
  std::vector<char> data;
  unsigned long length = 0;
  my_bool is_null = 0;
  my_bool error = 0;
};

// Points `bind` at `column`'s buffer for its type.
void bind_column(ColumnBuffer& column, MYSQL_BIND& bind);

// The value of result column `index` of the row just fetched, as `column.type`; a text or blob
// longer than its buffer is fetched again whole. Throws Error(data) naming the column when the
// value cannot be read as that type.
Value column_value(MYSQL_STMT* stmt, unsigned index, ColumnBuffer& column, const MYSQL_BIND& bind,
                   const std::string& sql, Stage stage);

}  // namespace upsert::detail::mysql
