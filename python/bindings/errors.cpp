// upsert::Error -> the Python exception hierarchy of upsert/errors.py, by category, with the facts
// a caller branches on as attributes (category, engine_code, sqlstate, constraint, retryable, sql).
#include "common.hpp"

namespace upsert::python {

namespace {

const char* class_for(ErrorCategory category) {
  switch (category) {
    case ErrorCategory::retryable: return "RetryableError";
    case ErrorCategory::constraint: return "ConstraintError";
    case ErrorCategory::overflow: return "ValueOverflowError";
    case ErrorCategory::invalid_argument: return "InvalidArgumentError";
    case ErrorCategory::outcome_unknown: return "OutcomeUnknownError";
    case ErrorCategory::connection: return "ConnectionLostError";
    case ErrorCategory::unsupported: return "UnsupportedError";
    default: return "Error";
  }
}

void raise(const Error& e) {
  py::object errors = py::module_::import("upsert.errors");
  py::object cls = errors.attr(class_for(e.category()));
  py::object instance = cls(py::str(e.what()));
  instance.attr("category") = py::str(std::string(category_name(e.category())));
  instance.attr("engine_code") = e.engine_code().empty() ? py::object(py::none()) : py::str(e.engine_code());
  instance.attr("sqlstate") = e.sqlstate().empty() ? py::object(py::none()) : py::str(e.sqlstate());
  instance.attr("constraint") = e.constraint() == ConstraintKind::none
                                    ? py::object(py::none())
                                    : py::str(std::string(constraint_kind_name(e.constraint())));
  instance.attr("retryable") = py::bool_(e.retryable() || e.category() == ErrorCategory::retryable);
  instance.attr("sql") = e.sql().empty() ? py::object(py::none()) : py::str(e.sql());
  PyErr_SetObject(cls.ptr(), instance.ptr());
}

}  // namespace

void bind_errors(py::module_&) {
  py::register_exception_translator([](std::exception_ptr p) {
    try {
      if (p) std::rethrow_exception(p);
    } catch (const Error& e) {
      raise(e);
    }
  });
}

}  // namespace upsert::python
