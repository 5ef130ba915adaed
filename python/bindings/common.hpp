#pragma once
// What the binding files share: Python <-> Value conversion and expression coercion. Each binding
// file registers one public header's names (bind_<name>), called from module.cpp.
#include <pybind11/pybind11.h>

#include <string_view>

#include "upsert/upsert.hpp"

namespace upsert::python {

namespace py = pybind11;

// A Python scalar as a Value: None, bool, int (int64 range), float, str, bytes/bytearray/memoryview,
// datetime.date, datetime.datetime (aware ones converted to UTC). Anything else, Decimal included,
// throws Error(invalid_argument) naming `what` and the fix.
Value value_from_python(py::handle object, std::string_view what = "value");
// A Value as a Python object (date, naive datetime in UTC for timestamps, bytes, ...).
py::object python_from_value(const Value& value);
// A row (any sequence) as values.
Row row_from_python(py::handle row, std::string_view what = "row");
// A Row as a tuple.
py::tuple python_from_row(const Row& row);
// An Expr, or a Python scalar as a constant.
Expr expr_from_python(py::handle object);

void bind_values(py::module_& m);
void bind_errors(py::module_& m);
void bind_schema(py::module_& m);
void bind_expressions(py::module_& m);
void bind_statement(py::module_& m);
void bind_connection(py::module_& m);
void bind_counter_writer(py::module_& m);

}  // namespace upsert::python
