// The upsert statement builder and rendering. Rows are tuples/lists in insert-column order, or
// dicts of column name -> value (the first dict of an empty statement sets the insert columns).
#include <pybind11/stl.h>

#include <fmt/format.h>

#include "common.hpp"
#include "connection.hpp"

namespace upsert::python {

namespace {

Dialect dialect_from_python(py::handle d) {
  if (py::isinstance<Dialect>(d)) return d.cast<Dialect>();
  return parse_dialect(py::str(d).cast<std::string>());
}

Placeholders placeholders_from_python(py::handle p) {
  if (p.is_none()) return Placeholders::native;
  const std::string s = py::str(p).cast<std::string>();
  if (s == "native") return Placeholders::native;
  if (s == "qmark") return Placeholders::qmark;
  if (s == "format") return Placeholders::format;
  if (s == "numeric") return Placeholders::numeric;
  throw Error(ErrorCategory::invalid_argument,
              fmt::format("unknown placeholder style \"{}\": use \"native\", \"qmark\" (?), \"format\" (%s) or "
                          "\"numeric\" (:1)",
                          s));
}

}  // namespace

// Appends one Python row (sequence or dict) to `u`.
void add_python_row(Upsert& u, py::handle row) {
  if (!PyDict_Check(row.ptr())) {
    u.row(row_from_python(row));
    return;
  }
  py::dict d = py::reinterpret_borrow<py::dict>(row);
  if (u.row_values().empty()) {
    std::vector<std::string> names;
    for (auto item : d) names.push_back(py::str(item.first).cast<std::string>());
    u.columns(names);
  }
  const auto& columns = u.insert_columns();
  if (d.size() != columns.size()) {
    throw Error(ErrorCategory::invalid_argument,
                fmt::format("row {} has {} columns, the statement inserts {} ({}): give every row the same keys",
                            py::repr(row).cast<std::string>(), d.size(), columns.size(), fmt::join(columns, ", ")));
  }
  Row values;
  values.reserve(columns.size());
  for (const std::string& c : columns) {
    PyObject* item = PyDict_GetItemString(d.ptr(), c.c_str());
    if (item == nullptr) {
      throw Error(ErrorCategory::invalid_argument,
                  fmt::format("row {} has no value for column \"{}\": give every row the same keys",
                              py::repr(row).cast<std::string>(), c));
    }
    values.push_back(value_from_python(item));
  }
  u.row(std::move(values));
}

void bind_statement(py::module_& m) {
  py::class_<Upsert>(m, "Upsert", "An upsert statement; build it with insert_into(table).")
      .def(
          "columns", [](Upsert& u, std::vector<std::string> names) -> Upsert& { return u.columns(names); },
          py::return_value_policy::reference_internal, "Sets the insert columns (default: every column).")
      .def(
          "row",
          [](Upsert& u, py::handle values) -> Upsert& {
            add_python_row(u, values);
            return u;
          },
          py::arg("values"), py::return_value_policy::reference_internal,
          "Adds a row: a tuple/list in insert-column order, or a dict of column -> value.")
      .def(
          "rows",
          [](Upsert& u, py::iterable rows) -> Upsert& {
            for (py::handle r : rows) add_python_row(u, r);
            return u;
          },
          py::arg("rows"), py::return_value_policy::reference_internal, "Adds rows (see row()).")
      .def(
          "on_conflict", [](Upsert& u, std::vector<std::string> key) -> Upsert& { return u.on_conflict(key); },
          py::arg("columns"), py::return_value_policy::reference_internal,
          "The conflict target: the columns of one of the table's unique keys.")
      .def("do_nothing", &Upsert::do_nothing, py::return_value_policy::reference_internal,
           "On conflict, leave the existing row as it is.")
      .def(
          "do_update",
          [](Upsert& u, py::dict assignments, py::object where) -> Upsert& {
            std::vector<Assignment> a;
            for (auto [column, e] : assignments)
              a.emplace_back(py::str(column).cast<std::string>(), expr_from_python(e));
            return u.do_update(std::move(a),
                               where.is_none() ? std::optional<Expr>() : std::optional<Expr>(expr_from_python(where)));
          },
          py::arg("assignments"), py::arg("where") = py::none(), py::return_value_policy::reference_internal,
          "On conflict, set each column to its expression (applied left to right), where `where` holds.")
      .def(
          "returning",
          [](Upsert& u, std::vector<std::string> columns, bool inserted) -> Upsert& {
            u.returning(std::move(columns));
            return u.returning_inserted_flag(inserted);
          },
          py::arg("columns"), py::arg("inserted") = false, py::return_value_policy::reference_internal,
          "Return these columns of each written row (and, with inserted=True, whether it was inserted).")
      .def_property_readonly("insert_columns", &Upsert::insert_columns, "The insert columns.")
      .def_property_readonly(
          "row_count", [](const Upsert& u) { return u.row_values().size(); }, "Rows held.");
  m.def(
      "insert_into", [](const Table& t) { return insert_into(t); }, py::arg("table"),
      "Starts an upsert into `table` (a snapshot of it).");
  m.def(
      "render",
      [](const Upsert& u, py::handle dialect, py::handle placeholders, std::optional<std::string> profile,
         std::optional<std::string> distribution_column) {
        RenderOptions options;
        options.placeholders = placeholders_from_python(placeholders);
        if (profile) options.profile = parse_profile(*profile);
        if (distribution_column) options.distribution_column = *distribution_column;
        const Sql sql = render(u, dialect_from_python(dialect), options);
        py::list params;
        for (const Value& v : sql.params) params.append(python_from_value(v));
        return py::make_tuple(sql.text, params);
      },
      py::arg("statement"), py::arg("dialect"), py::arg("placeholders") = py::none(), py::arg("profile") = py::none(),
      py::arg("distribution_column") = py::none(),
      "Renders to (sql, params) for a dialect; placeholders: None/'native', 'qmark', 'format' or 'numeric'; "
      "profile: a distributed engine ('cockroachdb', 'yugabytedb', 'citus', 'tidb', 'vitess'), with the table's "
      "distribution_column for citus and vitess.");
  m.def(
      "create_table_sql",
      [](const Table& t, py::handle dialect) { return create_table_sql(t, dialect_from_python(dialect)); },
      py::arg("table"), py::arg("dialect"), "CREATE TABLE IF NOT EXISTS statements for a dialect.");
  m.def(
      "quote_identifier",
      [](const std::string& name, py::handle dialect) { return quote_identifier(name, dialect_from_python(dialect)); },
      py::arg("name"), py::arg("dialect"), "A validated identifier, quoted for a dialect.");
}

}  // namespace upsert::python
