#pragma once
// Values to SQLite parameters and SQLite result columns back to Values.

#include <vector>

#include "upsert/value.hpp"

struct sqlite3_stmt;

namespace upsert::detail {

// Binds `value` to parameter `index` (1-based) of `statement`; returns SQLite's result code.
// Dates and timestamps travel as their fixed-width text, so comparing the text compares the time;
// throws Error(data) for a NaN, which SQLite would store as NULL.
int bind_value(sqlite3_stmt* statement, int index, const Value& value);

// The current row of `statement`, column i converted to `result_types[i]` (later columns as text).
// Throws Error(data) naming the column when a value cannot become its type.
Row read_row(sqlite3_stmt* statement, const std::vector<Type>& result_types);

}  // namespace upsert::detail
