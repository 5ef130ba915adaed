// A Connection over someone else's Python DB-API connection (Django's), so an upsert joins that
// connection's transaction, query logging and settings while every session strategy still applies:
// batches merged, key-ordered and cut by the parameter limit, MariaDB's outcome read-back,
// SQLite's inserted flag, PostgreSQL's column-array batches.
//
// The driver below implements the private Driver interface (src/session/driver.hpp) by calling a
// Python "bridge" object (python/upsert/django/_bridge.py) that runs SQL on the borrowed cursor:
//   execute(sql, params | None) -> (rowcount, rows | None)
//   begin(), commit(), rollback(), in_transaction() -> bool, server_version() -> str
//   classify(exception) -> (category, engine_code, sqlstate)
// Django's backends all take `%s` placeholders (and convert them for SQLite and Oracle), so the
// driver rewrites each dialect's native placeholders to `%s`, in parameter order, and doubles every
// literal `%`. A Python exception raised by the bridge is kept and re-raised unchanged once the
// session gives up, so a Django caller catches django.db.IntegrityError as it always does.

#include <pybind11/pybind11.h>
// After pybind11 (Python.h), which datetime.h needs first.
#include <datetime.h>
#include <pybind11/stl.h>

#include <cmath>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "session/session.hpp"
#include "upsert/connection.hpp"
#include "upsert/error.hpp"

namespace py = pybind11;

namespace upsert::python {

namespace {

constexpr std::int64_t micros_per_second = 1'000'000;
constexpr std::int64_t micros_per_day = 86'400 * micros_per_second;

// ---- values --------------------------------------------------------------------------------------

py::object to_python(const Value& v) {
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
      v.storage());
}

Error bad_result(const py::handle& obj, Type type) {
  return Error(ErrorCategory::internal, "the database returned " + py::repr(obj).cast<std::string>() + " for a " +
                                            std::string(type_name(type)) + " column");
}

// A value the DB-API driver returned for a column of `type`: drivers differ (SQLite returns dates as
// text and booleans as integers, MySQL booleans as integers, psycopg2 bytea as memoryview).
Value from_python(const py::handle& obj, Type type) {
  if (obj.is_none()) return Value();
  switch (type) {
    case Type::int64:
      if (PyLong_Check(obj.ptr())) return Value(obj.cast<std::int64_t>());
      return Value(py::int_(py::reinterpret_borrow<py::object>(obj)).cast<std::int64_t>());  // a MySQL SUM's Decimal
    case Type::float64: return Value(py::float_(py::reinterpret_borrow<py::object>(obj)).cast<double>());
    case Type::boolean: return Value(static_cast<bool>(PyObject_IsTrue(obj.ptr())));
    case Type::text:
      if (PyBytes_Check(obj.ptr())) return Value(obj.attr("decode")("utf-8").cast<std::string>());
      return Value(obj.cast<std::string>());
    case Type::bytes: {
      PyObject* raw_bytes = PyBytes_FromObject(obj.ptr());  // bytes, or psycopg2's memoryview
      if (raw_bytes == nullptr) throw py::error_already_set();
      const auto raw = py::reinterpret_steal<py::bytes>(raw_bytes).cast<std::string>();
      return Value(Bytes{std::vector<std::uint8_t>(raw.begin(), raw.end())});
    }
    case Type::date:
      if (PyUnicode_Check(obj.ptr())) return Value(Date::parse(obj.cast<std::string>()));
      if (!PyDate_Check(obj.ptr())) throw bad_result(obj, type);
      return Value(
          Date(PyDateTime_GET_YEAR(obj.ptr()), PyDateTime_GET_MONTH(obj.ptr()), PyDateTime_GET_DAY(obj.ptr())));
    case Type::timestamp: {
      if (PyUnicode_Check(obj.ptr())) return Value(Timestamp::parse(obj.cast<std::string>()));
      if (!PyDateTime_Check(obj.ptr())) throw bad_result(obj, type);
      py::object t = py::reinterpret_borrow<py::object>(obj);
      // An aware value (PostgreSQL's timestamptz under Django's USE_TZ) is read as UTC.
      if (!t.attr("tzinfo").is_none())
        t = t.attr("astimezone")(py::module_::import("datetime").attr("timezone").attr("utc"));
      PyObject* p = t.ptr();
      return Value(Timestamp::from_parts(Date(PyDateTime_GET_YEAR(p), PyDateTime_GET_MONTH(p), PyDateTime_GET_DAY(p)),
                                         PyDateTime_DATE_GET_HOUR(p), PyDateTime_DATE_GET_MINUTE(p),
                                         PyDateTime_DATE_GET_SECOND(p), PyDateTime_DATE_GET_MICROSECOND(p)));
    }
  }
  throw bad_result(obj, type);
}

// ---- placeholders --------------------------------------------------------------------------------

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

// `text` with `dialect`'s native placeholders ($1, ?, :1, @p1) rewritten to `%s` and every `%`
// doubled; `order` receives, per `%s`, the index of the parameter it takes. Quoted string literals
// are copied as they are (but for `%`); identifiers are validated letters, digits and '_'.
std::string to_format(std::string_view text, Dialect dialect, std::vector<std::size_t>& order) {
  std::string out;
  out.reserve(text.size() + 16);
  bool in_literal = false;
  std::size_t next = 0;  // for `?`
  for (std::size_t i = 0; i < text.size(); ++i) {
    const char c = text[i];
    if (c == '%') {
      out += "%%";
      continue;
    }
    if (c == '\'') in_literal = !in_literal;
    if (in_literal) {
      out += c;
      continue;
    }
    auto numbered = [&](std::size_t prefix) {
      std::size_t j = i + prefix;
      std::size_t n = 0;
      while (j < text.size() && is_digit(text[j])) n = n * 10 + static_cast<std::size_t>(text[j++] - '0');
      if (j == i + prefix || n == 0) return false;
      order.push_back(n - 1);
      out += "%s";
      i = j - 1;
      return true;
    };
    bool placeholder = false;
    switch (dialect) {
      case Dialect::postgresql: placeholder = c == '$' && numbered(1); break;
      case Dialect::oracle: placeholder = c == ':' && numbered(1); break;
      case Dialect::sqlserver:
        placeholder = c == '@' && i + 1 < text.size() && text[i + 1] == 'p' && numbered(2);
        break;
      case Dialect::sqlite:
      case Dialect::mysql:
      case Dialect::mariadb:
        if (c == '?') {
          order.push_back(next++);
          out += "%s";
          placeholder = true;
        }
        break;
    }
    if (!placeholder) out += c;
  }
  return out;
}

// ---- the driver ----------------------------------------------------------------------------------

class DbapiDriver final : public detail::Driver {
 public:
  DbapiDriver(py::object bridge, Dialect dialect, std::string database)
      : bridge_(std::move(bridge)), dialect_(dialect), database_(std::move(database)) {}

  ~DbapiDriver() override {
    py::gil_scoped_acquire gil;
    bridge_ = py::object();
    pending_ = py::object();
  }

  Dialect dialect() const override { return dialect_; }
  std::string database() const override { return database_; }
  std::string server_version() override {
    py::gil_scoped_acquire gil;
    return call("server_version").cast<std::string>();
  }

  ExecResult run(const std::string& text, std::span<const Value> params,
                 const std::vector<Type>& result_types) override {
    std::vector<std::size_t> order;
    std::string sql = params.empty() ? text : to_format(text, dialect_, order);
    py::gil_scoped_acquire gil;
    py::list args;
    for (std::size_t index : order) args.append(to_python(params[index]));
    return execute(text, py::str(sql), params.empty() ? py::object(py::none()) : py::object(args), result_types);
  }

  void run_script(std::string_view sql) override {
    py::gil_scoped_acquire gil;
    execute(std::string(sql), py::str(std::string(sql)), py::none(), {});
  }

  // PostgreSQL through psycopg2: a Python list becomes ARRAY[...], and the text casts it to the
  // column's array type, so the column-array form needs nothing more.
  ExecResult run_column_arrays(const std::string& text, const detail::ColumnArrays& arrays,
                               std::span<const Value> params, const std::vector<Type>& result_types) override {
    if (dialect_ != Dialect::postgresql) return Driver::run_column_arrays(text, arrays, params, result_types);
    std::vector<std::size_t> order;
    const std::string sql = to_format(text, dialect_, order);
    const std::size_t columns = arrays.types.size();
    py::gil_scoped_acquire gil;
    std::vector<py::list> lists(columns);
    for (const Row& row : arrays.rows) {
      for (std::size_t c = 0; c < columns; ++c) lists[c].append(to_python(row[c]));
    }
    py::list args;
    for (std::size_t index : order) {
      if (index < columns) {
        args.append(lists[index]);
      } else {
        args.append(to_python(params[index - columns]));
      }
    }
    return execute(text, py::str(sql), args, result_types);
  }

  void begin(bool /*for_write*/) override {
    py::gil_scoped_acquire gil;
    call("begin");
  }
  void commit() override {
    py::gil_scoped_acquire gil;
    call("commit");
  }
  void rollback() override {
    py::gil_scoped_acquire gil;
    try {
      call("rollback");
    } catch (const Error&) {
      // rollback never throws; the error that led here is what the caller sees.
    }
  }
  bool in_transaction() const override {
    py::gil_scoped_acquire gil;
    return bridge_.attr("in_transaction")().cast<bool>();
  }
  // The connection belongs to Django, which re-opens it between requests: never here.
  void reconnect() override {
    throw Error(ErrorCategory::connection, "the Django connection is lost; Django re-opens it for the next request");
  }

  // The Python exception behind the last failure, if the last failure came from Python.
  py::object take_pending() { return std::exchange(pending_, py::object()); }

 private:
  // Calls a bridge method (the GIL held), turning a Python exception into an Error the session
  // can classify, and keeping the exception to re-raise.
  template <class... Args>
  py::object call(const char* method, Args&&... args) {
    try {
      return bridge_.attr(method)(std::forward<Args>(args)...);
    } catch (py::error_already_set& e) {
      throw keep(e, "");
    }
  }

  Error keep(py::error_already_set& e, const std::string& sql) {
    pending_ = e.value();
    std::string category = "syntax";
    std::string code;
    std::string sqlstate;
    try {
      auto facts = bridge_.attr("classify")(pending_).cast<py::tuple>();
      category = facts[0].cast<std::string>();
      code = facts[1].cast<std::string>();
      sqlstate = facts[2].cast<std::string>();
    } catch (py::error_already_set&) {
      // classify() failing leaves the error permanent; the original exception is still raised.
    }
    EngineError engine;
    engine.code = code;
    engine.sqlstate = sqlstate;
    engine.retryable = category == "retryable";
    const ErrorCategory c = category == "retryable"    ? ErrorCategory::retryable
                            : category == "constraint" ? ErrorCategory::constraint
                            : category == "data"       ? ErrorCategory::data
                                                       : ErrorCategory::syntax;
    return Error(c, py::str(pending_).cast<std::string>(), engine, sql);
  }

  ExecResult execute(const std::string& native_sql, const py::str& sql, const py::object& params,
                     const std::vector<Type>& result_types) {
    pending_ = py::object();
    py::tuple result;
    try {
      result = bridge_.attr("execute")(sql, params).cast<py::tuple>();
    } catch (py::error_already_set& e) {
      throw keep(e, native_sql);
    }
    ExecResult out;
    out.affected_rows = result[0].cast<std::int64_t>();
    if (result[1].is_none()) return out;
    for (const py::handle row : result[1]) {
      Row values;
      std::size_t i = 0;
      for (const py::handle cell : row) {
        values.push_back(i < result_types.size() ? from_python(cell, result_types[i])
                                                 : Value(py::str(cell).cast<std::string>()));
        ++i;
      }
      out.rows.push_back(std::move(values));
    }
    return out;
  }

  py::object bridge_;
  Dialect dialect_;
  std::string database_;
  py::object pending_;
};

// Rows of a result as Python tuples.
py::list rows_to_python(const std::vector<Row>& rows) {
  py::list out;
  for (const Row& row : rows) {
    py::tuple t(row.size());
    for (std::size_t i = 0; i < row.size(); ++i) t[i] = to_python(row[i]);
    out.append(std::move(t));
  }
  return out;
}

// Runs `work` on a Connection over `bridge`; a failure that came from Python is re-raised as the
// original Python exception.
template <class Work>
py::object with_bridge(py::object bridge, const std::string& dialect, const std::string& database, Work&& work) {
  auto owned = std::make_unique<DbapiDriver>(std::move(bridge), parse_dialect(dialect), database);
  DbapiDriver* driver = owned.get();
  Connection connection = detail::ConnectionAccess::wrap(std::move(owned));
  try {
    py::object result = work(connection);
    // A key collation that merges keys (Connection::warnings) reaches Django code as a Python
    // warning: shown once per message under Python's default filter, and testable.
    if (!connection.warnings().empty()) {
      const py::object category = py::module_::import("upsert.errors").attr("KeyCollationWarning");
      for (const auto& warning : connection.warnings()) {
        if (PyErr_WarnEx(category.ptr(), warning.c_str(), 2) != 0) throw py::error_already_set();
      }
    }
    return result;
  } catch (const Error&) {
    py::object pending = driver->take_pending();
    if (!pending) throw;
    PyErr_SetObject(reinterpret_cast<PyObject*>(Py_TYPE(pending.ptr())), pending.ptr());
    throw py::error_already_set();
  }
}

// `statement` (its action, target and RETURNING) with `columns` and `rows` (sequences of Python
// values in column order, converted by the columns' types): Django's layer caches statements and
// sends only new values.
Upsert with_rows(const Upsert& statement, const std::vector<std::string>& columns, const py::sequence& rows) {
  Upsert out = statement;
  out.clear_rows();
  out.columns(columns);
  std::vector<Type> types;
  types.reserve(columns.size());
  for (const auto& c : columns) types.push_back(statement.table().column_named(c).type);
  std::vector<Row> values;
  values.reserve(rows.size());
  for (const py::handle row : rows) {
    const auto cells = py::reinterpret_borrow<py::sequence>(row);
    if (cells.size() != columns.size()) {
      throw Error(ErrorCategory::invalid_argument, "a row has " + std::to_string(cells.size()) + " values for " +
                                                       std::to_string(columns.size()) + " columns");
    }
    Row r;
    r.reserve(columns.size());
    for (std::size_t i = 0; i < columns.size(); ++i) {
      try {
        r.push_back(from_python(cells[i], types[i]));
      } catch (const py::cast_error&) {
        throw Error(ErrorCategory::invalid_argument, "column \"" + columns[i] + "\" is " +
                                                         std::string(type_name(types[i])) + ", but the value is " +
                                                         py::repr(cells[i]).cast<std::string>());
      }
    }
    values.push_back(std::move(r));
  }
  out.rows(std::move(values));
  return out;
}

}  // namespace

void bind_dbapi(py::module_& m) {
  PyDateTime_IMPORT;
  m.def(
      "_dbapi_execute",
      [](py::object bridge, const std::string& dialect, const std::string& database, const Upsert& statement,
         const std::vector<std::string>& columns, const py::sequence& rows, std::size_t max_rows_per_statement) {
        const Upsert full = with_rows(statement, columns, rows);
        return with_bridge(std::move(bridge), dialect, database, [&](Connection& connection) -> py::object {
          if (full.row_values().size() == 1) {
            ExecResult r;
            {
              py::gil_scoped_release release;
              r = connection.execute(full);
            }
            return py::make_tuple(r.affected_rows, rows_to_python(r.rows));
          }
          BatchOptions options;
          options.max_rows_per_statement = max_rows_per_statement;
          options.take_turns = false;  // the caller's transaction holds locks across statements
          BatchResult r;
          {
            py::gil_scoped_release release;
            r = connection.execute_batch(full, options);
          }
          return py::make_tuple(r.affected_rows, rows_to_python(r.rows));
        });
      },
      py::arg("bridge"), py::arg("dialect"), py::arg("database"), py::arg("statement"), py::arg("columns"),
      py::arg("rows"), py::arg("max_rows_per_statement") = 1000,
      "Runs `statement` with `rows` (values in `columns` order) on a borrowed DB-API connection through "
      "`bridge` (see upsert.django): one row as one upsert, more as a batch. Returns (affected_rows, rows).");
  m.def(
      "_dbapi_render",
      [](const Upsert& statement, const std::vector<std::string>& columns, const py::sequence& rows,
         const std::string& dialect) {
        const Dialect d = parse_dialect(dialect);
        const Sql sql = render(with_rows(statement, columns, rows), d);
        std::vector<std::size_t> order;
        const std::string text = to_format(sql.text, d, order);
        py::list params;
        for (std::size_t index : order) params.append(to_python(sql.params[index]));
        return py::make_tuple(text, params);
      },
      py::arg("statement"), py::arg("columns"), py::arg("rows"), py::arg("dialect"),
      "The SQL and parameters `_dbapi_execute` hands a Django cursor for a single statement (for tests).");
}

}  // namespace upsert::python
