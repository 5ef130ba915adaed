// Expressions over the existing row (col) and the proposed row (proposed), with Python operators.
// Python scalars are accepted wherever an expression is and become bound constants.
#include <pybind11/stl.h>

#include "common.hpp"

namespace upsert::python {

Expr expr_from_python(py::handle object) {
  if (py::isinstance<Expr>(object)) return object.cast<Expr>();
  return val(value_from_python(object, "constant"));
}

namespace {

std::vector<Expr> exprs(const py::args& args) {
  std::vector<Expr> out;
  for (py::handle a : args) out.push_back(expr_from_python(a));
  return out;
}

}  // namespace

void bind_expressions(py::module_& m) {
  py::class_<Expr>(m, "Expr", "An expression; combine with + - * / and comparisons.")
      .def("__add__", [](const Expr& a, py::object b) { return a + expr_from_python(b); })
      .def("__radd__", [](const Expr& a, py::object b) { return expr_from_python(b) + a; })
      .def("__sub__", [](const Expr& a, py::object b) { return a - expr_from_python(b); })
      .def("__rsub__", [](const Expr& a, py::object b) { return expr_from_python(b) - a; })
      .def("__mul__", [](const Expr& a, py::object b) { return a * expr_from_python(b); })
      .def("__rmul__", [](const Expr& a, py::object b) { return expr_from_python(b) * a; })
      .def("__truediv__", [](const Expr& a, py::object b) { return a / expr_from_python(b); })
      .def("__rtruediv__", [](const Expr& a, py::object b) { return expr_from_python(b) / a; })
      .def("__neg__", [](const Expr& a) { return -a; })
      .def("__eq__", [](const Expr& a, py::object b) { return a == expr_from_python(b); })
      .def("__ne__", [](const Expr& a, py::object b) { return a != expr_from_python(b); })
      .def("__lt__", [](const Expr& a, py::object b) { return a < expr_from_python(b); })
      .def("__le__", [](const Expr& a, py::object b) { return a <= expr_from_python(b); })
      .def("__gt__", [](const Expr& a, py::object b) { return a > expr_from_python(b); })
      .def("__ge__", [](const Expr& a, py::object b) { return a >= expr_from_python(b); })
      .def("__and__", [](const Expr& a, py::object b) { return a && expr_from_python(b); })
      .def("__or__", [](const Expr& a, py::object b) { return a || expr_from_python(b); })
      .def("__invert__", [](const Expr& a) { return !a; })
      .def("__bool__",
           [](const Expr&) -> bool {
             throw Error(ErrorCategory::invalid_argument,
                         "an upsert expression has no truth value in Python: combine conditions with & | ~ or "
                         "and_()/or_()/not_(), not with and/or/not");
           })
      .def("__repr__", [](const Expr&) { return "<upsert.Expr>"; });
  m.def("col", &col, py::arg("name"), "The existing row's column `name`.");
  m.def("proposed", &proposed, py::arg("name"), "The proposed (inserted) row's column `name`.");
  m.def("value", &expr_from_python, py::arg("v"), "A constant, bound as a parameter.");
  m.def(
      "greatest", [](py::args a) { return greatest(exprs(a)); }, "The largest non-NULL argument.");
  m.def(
      "least", [](py::args a) { return least(exprs(a)); }, "The smallest non-NULL argument.");
  m.def(
      "coalesce", [](py::args a) { return coalesce(exprs(a)); }, "The first non-NULL argument.");
  m.def(
      "and_",
      [](py::args a) {
        std::vector<Expr> e = exprs(a);
        if (e.empty()) throw Error(ErrorCategory::invalid_argument, "and_() needs at least one condition");
        Expr out = e[0];
        for (std::size_t i = 1; i < e.size(); ++i) out = out && e[i];
        return out;
      },
      "All conditions hold.");
  m.def(
      "or_",
      [](py::args a) {
        std::vector<Expr> e = exprs(a);
        if (e.empty()) throw Error(ErrorCategory::invalid_argument, "or_() needs at least one condition");
        Expr out = e[0];
        for (std::size_t i = 1; i < e.size(); ++i) out = out || e[i];
        return out;
      },
      "Any condition holds.");
  m.def(
      "not_", [](py::object a) { return !expr_from_python(a); }, "The condition does not hold.");
  m.def(
      "is_null", [](py::object a) { return is_null(expr_from_python(a)); }, "IS NULL.");
  m.def(
      "is_not_null", [](py::object a) { return is_not_null(expr_from_python(a)); }, "IS NOT NULL.");
  m.def(
      "case",
      [](py::iterable whens, py::object else_) {
        std::vector<std::pair<Expr, Expr>> pairs;
        for (py::handle w : whens) {
          py::tuple t = py::reinterpret_borrow<py::object>(w).cast<py::tuple>();
          if (t.size() != 2) throw Error(ErrorCategory::invalid_argument, "case() takes (condition, value) pairs");
          pairs.emplace_back(expr_from_python(t[0]), expr_from_python(t[1]));
        }
        return case_when(std::move(pairs),
                         else_.is_none() ? std::optional<Expr>() : std::optional<Expr>(expr_from_python(else_)));
      },
      py::arg("whens"), py::arg("else_") = py::none(),
      "CASE WHEN cond THEN value ... ELSE else_ END, from [(cond, value), ...].");
}

}  // namespace upsert::python
