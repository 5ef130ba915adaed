// Python values <-> upsert::Value. No silent conversions: a Decimal is refused (the library has
// no decimal type, and rounding it to float would lose digits), an int beyond int64 is refused.
#include <pybind11/pybind11.h>
// After Python.h (pybind11), which datetime.h needs first.
#include <datetime.h>

#include <fmt/format.h>

#include "common.hpp"

namespace upsert::python {

namespace {

constexpr std::int64_t micros_per_second = 1'000'000;
constexpr std::int64_t micros_per_day = 86'400 * micros_per_second;

[[noreturn]] void refuse(py::handle object, std::string_view what, std::string_view fix) {
  throw Error(ErrorCategory::invalid_argument,
              fmt::format("{} {} of type {}: {}", what, py::repr(object).cast<std::string>(),
                          py::str(py::type::handle_of(object).attr("__name__")).cast<std::string>(), fix));
}

Value from_datetime(py::handle object) {
  py::object t = py::reinterpret_borrow<py::object>(object);
  if (!t.attr("tzinfo").is_none()) {
    // Aware datetimes are stored as UTC wall time: the engines' timestamp columns have no zone.
    static py::object utc = py::module_::import("datetime").attr("timezone").attr("utc");
    t = t.attr("astimezone")(utc);
  }
  PyObject* p = t.ptr();
  return Value(Timestamp::from_parts(Date(PyDateTime_GET_YEAR(p), PyDateTime_GET_MONTH(p), PyDateTime_GET_DAY(p)),
                                     PyDateTime_DATE_GET_HOUR(p), PyDateTime_DATE_GET_MINUTE(p),
                                     PyDateTime_DATE_GET_SECOND(p), PyDateTime_DATE_GET_MICROSECOND(p)));
}

}  // namespace

Value value_from_python(py::handle object, std::string_view what) {
  PyObject* p = object.ptr();
  if (p == Py_None) return Value();
  if (PyBool_Check(p)) return Value(p == Py_True);
  if (PyLong_Check(p)) {
    int overflow = 0;
    const long long v = PyLong_AsLongLongAndOverflow(p, &overflow);
    if (overflow != 0) {
      refuse(object, what, "it is outside the 64-bit integer range (-9223372036854775808..9223372036854775807)");
    }
    return Value(static_cast<std::int64_t>(v));
  }
  if (PyFloat_Check(p)) return Value(PyFloat_AS_DOUBLE(p));
  if (PyUnicode_Check(p)) {
    Py_ssize_t size = 0;
    const char* data = PyUnicode_AsUTF8AndSize(p, &size);
    if (data == nullptr) throw py::error_already_set();
    return Value(std::string(data, static_cast<std::size_t>(size)));
  }
  if (PyBytes_Check(p) || PyByteArray_Check(p) || PyMemoryView_Check(p)) {
    const std::string s = py::bytes(py::reinterpret_borrow<py::object>(object)).cast<std::string>();
    return Value(Bytes{std::vector<std::uint8_t>(s.begin(), s.end())});
  }
  if (PyDateTime_Check(p)) return from_datetime(object);
  if (PyDate_Check(p)) return Value(Date(PyDateTime_GET_YEAR(p), PyDateTime_GET_MONTH(p), PyDateTime_GET_DAY(p)));
  const std::string type = py::str(py::type::handle_of(object).attr("__name__")).cast<std::string>();
  if (type == "Decimal") {
    refuse(object, what,
           "upsert has no decimal type and will not round it silently; pass int(x) for whole numbers or "
           "float(x) if binary floating point is acceptable");
  }
  refuse(object, what, "pass None, bool, int, float, str, bytes, datetime.date or datetime.datetime");
}

py::object python_from_value(const Value& value) {
  return std::visit(
      [](const auto& x) -> py::object {
        using T = std::decay_t<decltype(x)>;
        if constexpr (std::is_same_v<T, std::monostate>) {
          return py::none();
        } else if constexpr (std::is_same_v<T, std::int64_t>) {
          return py::int_(x);
        } else if constexpr (std::is_same_v<T, double>) {
          return py::float_(x);
        } else if constexpr (std::is_same_v<T, bool>) {
          return py::bool_(x);
        } else if constexpr (std::is_same_v<T, std::string>) {
          return py::str(x);
        } else if constexpr (std::is_same_v<T, Date>) {
          return py::reinterpret_steal<py::object>(PyDate_FromDate(x.year, x.month, x.day));
        } else if constexpr (std::is_same_v<T, Timestamp>) {
          std::int64_t days = x.micros_since_epoch / micros_per_day;
          std::int64_t rest = x.micros_since_epoch % micros_per_day;
          if (rest < 0) {
            rest += micros_per_day;
            --days;
          }
          const Date d = Date::from_days_since_epoch(days);
          const auto seconds = static_cast<int>(rest / micros_per_second);
          return py::reinterpret_steal<py::object>(
              PyDateTime_FromDateAndTime(d.year, d.month, d.day, seconds / 3600, seconds / 60 % 60, seconds % 60,
                                         static_cast<int>(rest % micros_per_second)));
        } else {
          return py::bytes(reinterpret_cast<const char*>(x.data.data()), x.data.size());
        }
      },
      value.storage());
}

Row row_from_python(py::handle row, std::string_view what) {
  if (PyUnicode_Check(row.ptr()) || PyBytes_Check(row.ptr()) || !PySequence_Check(row.ptr())) {
    throw Error(ErrorCategory::invalid_argument,
                fmt::format("{} {} is not a sequence of values: pass a tuple or a list (or a dict of column "
                            "name to value where rows are accepted)",
                            what, py::repr(row).cast<std::string>()));
  }
  py::sequence seq = py::reinterpret_borrow<py::sequence>(row);
  Row out;
  out.reserve(seq.size());
  for (py::handle item : seq) out.push_back(value_from_python(item, what == "key" ? "key value" : "value"));
  return out;
}

py::tuple python_from_row(const Row& row) {
  py::tuple t(row.size());
  for (std::size_t i = 0; i < row.size(); ++i) t[i] = python_from_value(row[i]);
  return t;
}

void bind_values(py::module_& m) {
  PyDateTime_IMPORT;
  py::enum_<Type>(m, "Type", "A column type.")
      .value("int64", Type::int64)
      .value("float64", Type::float64)
      .value("text", Type::text)
      .value("boolean", Type::boolean)
      .value("date", Type::date)
      .value("timestamp", Type::timestamp)
      .value("bytes", Type::bytes);
  py::enum_<Dialect>(m, "Dialect", "A SQL dialect to render for.")
      .value("sqlite", Dialect::sqlite)
      .value("postgresql", Dialect::postgresql)
      .value("mysql", Dialect::mysql)
      .value("mariadb", Dialect::mariadb)
      .value("oracle", Dialect::oracle)
      .value("sqlserver", Dialect::sqlserver);
}

}  // namespace upsert::python
