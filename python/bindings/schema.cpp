// Table: columns (with default, NOT NULL, identity) and unique keys, built by chained calls.
#include <pybind11/stl.h>

#include "common.hpp"

namespace upsert::python {

void bind_schema(py::module_& m) {
  py::class_<Table, std::shared_ptr<Table>>(m, "Table", "A table: its columns and unique keys.")
      .def(py::init<std::string>(), py::arg("name"), "A table named `name` (ASCII letters, digits and '_').")
      .def(
          "column",
          [](Table& t, std::string name, Type type, py::object default_, bool not_null, bool identity) -> Table& {
            Column c{std::move(name), type};
            if (!default_.is_none()) c.default_value = value_from_python(default_, "default");
            c.nullable = !not_null;
            c.identity = identity;
            return t.add_column(std::move(c));
          },
          py::arg("name"), py::arg("type"), py::kw_only(), py::arg("default") = py::none(), py::arg("not_null") = false,
          py::arg("identity") = false, py::return_value_policy::reference_internal,
          "Adds a column; returns the table for chaining.")
      .def(
          "primary_key", [](Table& t, std::vector<std::string> columns) -> Table& { return t.primary_key(columns); },
          py::arg("columns"), py::return_value_policy::reference_internal, "Declares the primary key.")
      .def(
          "unique_key",
          [](Table& t, std::vector<std::string> columns, std::string name) -> Table& {
            return t.unique_key(std::move(columns), std::move(name));
          },
          py::arg("columns"), py::arg("name") = "", py::return_value_policy::reference_internal,
          "Declares a unique key (a conflict target).")
      .def_property_readonly("name", &Table::name, "The table name.")
      .def_property_readonly(
          "column_names",
          [](const Table& t) {
            std::vector<std::string> names;
            for (const Column& c : t.columns()) names.push_back(c.name);
            return names;
          },
          "The column names, in declaration order.")
      .def("__repr__", [](const Table& t) { return "<upsert.Table " + t.name() + ">"; });
}

}  // namespace upsert::python
