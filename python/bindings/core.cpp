// A small binding of the library for upsert.django: tables, expressions, the statement, rendering,
// errors and the counter writer, with the names of the python module's contract (see
// /work/wt/python.md). A stand-in until the python module's own bindings land (branch python):
// they replace this file.
#include <pybind11/pybind11.h>
// After pybind11 (Python.h), which datetime.h needs first.
#include <datetime.h>
#include <pybind11/stl.h>

#include "upsert/upsert.hpp"

namespace py = pybind11;

namespace upsert::python {

// A Value as Python (dbapi.cpp).
py::object value_to_python(const Value& v);

namespace {

Value to_value(py::handle o) {
  if (o.is_none()) return Value();
  if (PyBool_Check(o.ptr())) return Value(o.cast<bool>());
  if (PyLong_Check(o.ptr())) return Value(o.cast<std::int64_t>());
  if (PyFloat_Check(o.ptr())) return Value(o.cast<double>());
  if (PyUnicode_Check(o.ptr())) return Value(o.cast<std::string>());
  if (PyBytes_Check(o.ptr()) || PyByteArray_Check(o.ptr()) || PyMemoryView_Check(o.ptr())) {
    std::string s = py::bytes(py::reinterpret_borrow<py::object>(o)).cast<std::string>();
    return Value(Bytes{std::vector<std::uint8_t>(s.begin(), s.end())});
  }
  if (PyDateTime_Check(o.ptr())) {
    py::object t = py::reinterpret_borrow<py::object>(o);
    if (!t.attr("tzinfo").is_none())
      t = t.attr("astimezone")(py::module_::import("datetime").attr("timezone").attr("utc"));
    PyObject* p = t.ptr();
    return Value(Timestamp::from_parts(Date(PyDateTime_GET_YEAR(p), PyDateTime_GET_MONTH(p), PyDateTime_GET_DAY(p)),
                                       PyDateTime_DATE_GET_HOUR(p), PyDateTime_DATE_GET_MINUTE(p),
                                       PyDateTime_DATE_GET_SECOND(p), PyDateTime_DATE_GET_MICROSECOND(p)));
  }
  if (PyDate_Check(o.ptr()))
    return Value(Date(PyDateTime_GET_YEAR(o.ptr()), PyDateTime_GET_MONTH(o.ptr()), PyDateTime_GET_DAY(o.ptr())));
  throw py::type_error("cannot bind " + py::repr(o).cast<std::string>());
}
Expr to_expr(py::handle o) {
  if (py::isinstance<Expr>(o)) return o.cast<Expr>();
  return Expr(to_value(o));
}
std::vector<Expr> exprs(py::args a) {
  std::vector<Expr> v;
  for (auto x : a) v.push_back(to_expr(x));
  return v;
}

}  // namespace

void bind_core(py::module_& m) {
  PyDateTime_IMPORT;
  static py::exception<Error> exc(m, "Error");
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const Error& e) {
      exc(e.what());
    }
  });
  py::enum_<Type>(m, "Type")
      .value("int64", Type::int64)
      .value("float64", Type::float64)
      .value("text", Type::text)
      .value("boolean", Type::boolean)
      .value("date", Type::date)
      .value("timestamp", Type::timestamp)
      .value("bytes", Type::bytes);
  py::class_<Table, std::shared_ptr<Table>>(m, "Table")
      .def(py::init<std::string>())
      .def(
          "column",
          [](Table& t, std::string n, Type ty, bool not_null, bool identity) -> Table& {
            Column c;
            c.name = n;
            c.type = ty;
            c.nullable = !not_null;
            c.identity = identity;
            return t.add_column(c);
          },
          py::arg("name"), py::arg("type"), py::kw_only(), py::arg("not_null") = false, py::arg("identity") = false,
          py::return_value_policy::reference_internal)
      .def("primary_key", &Table::primary_key, py::return_value_policy::reference_internal)
      .def(
          "unique_key", [](Table& t, std::vector<std::string> c) -> Table& { return t.unique_key(c); },
          py::return_value_policy::reference_internal);
  py::class_<Expr>(m, "Expr")
      .def("__add__", [](const Expr& a, py::object b) { return a + to_expr(b); })
      .def("__radd__", [](const Expr& a, py::object b) { return to_expr(b) + a; })
      .def("__sub__", [](const Expr& a, py::object b) { return a - to_expr(b); })
      .def("__rsub__", [](const Expr& a, py::object b) { return to_expr(b) - a; })
      .def("__mul__", [](const Expr& a, py::object b) { return a * to_expr(b); })
      .def("__rmul__", [](const Expr& a, py::object b) { return to_expr(b) * a; })
      .def("__truediv__", [](const Expr& a, py::object b) { return a / to_expr(b); })
      .def("__neg__", [](const Expr& a) { return -a; })
      .def("__eq__", [](const Expr& a, py::object b) { return a == to_expr(b); })
      .def("__ne__", [](const Expr& a, py::object b) { return a != to_expr(b); })
      .def("__lt__", [](const Expr& a, py::object b) { return a < to_expr(b); })
      .def("__le__", [](const Expr& a, py::object b) { return a <= to_expr(b); })
      .def("__gt__", [](const Expr& a, py::object b) { return a > to_expr(b); })
      .def("__ge__", [](const Expr& a, py::object b) { return a >= to_expr(b); });
  m.def("col", &col);
  m.def("proposed", &proposed);
  m.def("value", [](py::object v) { return to_expr(v); });
  m.def("greatest", [](py::args a) { return greatest(exprs(a)); });
  m.def("least", [](py::args a) { return least(exprs(a)); });
  m.def("coalesce", [](py::args a) { return coalesce(exprs(a)); });
  m.def("and_", [](py::object a, py::object b) { return to_expr(a) && to_expr(b); });
  m.def("or_", [](py::object a, py::object b) { return to_expr(a) || to_expr(b); });
  m.def("not_", [](py::object a) { return !to_expr(a); });
  m.def("is_null", [](py::object a) { return is_null(to_expr(a)); });
  m.def(
      "case",
      [](std::vector<std::pair<py::object, py::object>> w, py::object else_) {
        std::vector<std::pair<Expr, Expr>> v;
        for (auto& [c, e] : w) v.emplace_back(to_expr(c), to_expr(e));
        return case_when(v, else_.is_none() ? std::optional<Expr>() : std::optional<Expr>(to_expr(else_)));
      },
      py::arg("whens"), py::arg("else_") = py::none());
  py::class_<Upsert>(m, "Upsert")
      .def("columns", &Upsert::columns, py::return_value_policy::reference_internal)
      .def(
          "rows",
          [](Upsert& u, py::list rows) -> Upsert& {
            for (auto r : rows) {
              Row row;
              for (auto v : r) row.push_back(to_value(v));
              u.row(row);
            }
            return u;
          },
          py::return_value_policy::reference_internal)
      .def("on_conflict", &Upsert::on_conflict, py::return_value_policy::reference_internal)
      .def("do_nothing", &Upsert::do_nothing, py::return_value_policy::reference_internal)
      .def(
          "do_update",
          [](Upsert& u, py::dict d, py::object where) -> Upsert& {
            std::vector<Assignment> a;
            for (auto [k, v] : d) a.emplace_back(k.cast<std::string>(), to_expr(v));
            return u.do_update(a, where.is_none() ? std::optional<Expr>() : std::optional<Expr>(to_expr(where)));
          },
          py::arg("assignments"), py::arg("where") = py::none(), py::return_value_policy::reference_internal)
      .def(
          "returning",
          [](Upsert& u, std::vector<std::string> c, bool inserted) -> Upsert& {
            u.returning(c);
            u.returning_inserted_flag(inserted);
            return u;
          },
          py::arg("columns"), py::arg("inserted") = false, py::return_value_policy::reference_internal);
  m.def("insert_into", [](const Table& t) { return insert_into(t); });
  m.def(
      "render",
      [](const Upsert& u, const std::string& d, py::object) {
        const Sql sql = render(u, parse_dialect(d));
        py::list params;
        for (const Value& v : sql.params) params.append(value_to_python(v));
        return py::make_tuple(sql.text, params);
      },
      py::arg("statement"), py::arg("dialect"), py::arg("placeholders") = py::none());
  py::class_<CounterWriter>(m, "CounterWriter")
      .def(py::init(
          [](const std::string& url, const Table& t, std::vector<std::string> key, std::vector<std::string> sum) {
            CounterWriterOptions o;
            o.key = key;
            o.sum = sum;
            py::gil_scoped_release r;
            return std::make_unique<CounterWriter>(connect(url), std::make_shared<const Table>(t), o);
          }))
      .def("add",
           [](CounterWriter& w, py::sequence key, py::sequence vals) {
             std::vector<Value> k, v;
             for (auto x : key) k.push_back(to_value(x));
             for (auto x : vals) v.push_back(to_value(x));
             py::gil_scoped_release r;
             return w.add(k, v);
           })
      .def("flush",
           [](CounterWriter& w) {
             py::gil_scoped_release r;
             w.flush();
           })
      .def("close",
           [](CounterWriter& w) {
             py::gil_scoped_release r;
             w.close();
           })
      .def("stats", [](CounterWriter& w) {
        auto s = w.stats();
        py::dict d;
        d["accepted"] = s.accepted;
        d["flushes"] = s.flushes;
        return d;
      });
}

}  // namespace upsert::python
