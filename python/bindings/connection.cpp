// connect(url) and Connection. The GIL is released while the library waits on the engine; a
// connection used from several Python threads is serialised by its own lock instead of crashing.
#include "connection.hpp"

#include <pthread.h>
#include <pybind11/stl.h>

#include <atomic>

#include <fmt/format.h>

#include "fork.hpp"

namespace upsert::python {

namespace {

std::atomic<std::uint64_t> generation{0};
std::atomic<int> open_sqlite{0};               // SqliteUse objects alive in this process
std::atomic<bool> sqlite_crossed_fork{false};  // an ancestor had one alive when it forked

py::list python_rows(const std::vector<Row>& rows) {
  py::list out;
  for (const Row& r : rows) out.append(python_from_row(r));
  return out;
}

// The statement with `rows` (a sequence of tuples/lists/dicts) instead of its own, if given.
Upsert with_rows(const Upsert& statement, const py::object& rows) {
  if (rows.is_none()) return statement;
  Upsert copy = statement;
  copy.clear_rows();
  for (py::handle r : rows) add_python_row(copy, r);
  return copy;
}

std::vector<Value> params_from_python(const py::object& params) {
  std::vector<Value> out;
  if (params.is_none()) return out;
  for (py::handle p : params) out.push_back(value_from_python(p, "parameter"));
  return out;
}

// A PreparedUpsert with the Python connection it belongs to (kept alive, and its lock and fork
// checks taken on every call).
struct PyPrepared {
  py::object owner;
  PyConnection* connection;
  PreparedUpsert prepared;
};

}  // namespace

std::uint64_t fork_generation() {
  return generation.load(std::memory_order_relaxed);
}

void watch_forks() {
  static const int registered = pthread_atfork(nullptr, nullptr, [] {
    generation.fetch_add(1);
    if (open_sqlite.exchange(0) > 0) sqlite_crossed_fork = true;
  });
  (void)registered;
}

SqliteUse::SqliteUse(std::string_view url) : generation_(fork_generation()) {
  if (!url.starts_with("sqlite:")) return;
  if (sqlite_crossed_fork) {
    throw Error(ErrorCategory::invalid_argument,
                "SQLite was open in this process's parent when it forked (a connection or CounterWriter made "
                "before os.fork()): SQLite's lock bookkeeping was inherited without the locks, and a new SQLite "
                "connection here could lose commits or corrupt the file (https://www.sqlite.org/howtocorrupt.html, "
                "section 2.6). Open SQLite connections and writers only after forking (upsert.django's "
                "CounterWriter starts on first use: do not use it before the fork), or use PostgreSQL or MariaDB, "
                "where a writer made before fork() reopens itself in the child");
  }
  counted_ = true;
  open_sqlite.fetch_add(1);
}

SqliteUse::~SqliteUse() {
  if (counted_ && generation_ == fork_generation()) open_sqlite.fetch_sub(1);
}

PyConnection::PyConnection(std::string url) : url_(std::move(url)), sqlite_use_(std::in_place, url_) {
  py::gil_scoped_release release;
  connection_ = std::make_unique<Connection>(connect(url_));
  generation_ = fork_generation();
}

PyConnection::~PyConnection() {
  // A connection inherited from the parent is the parent's: closing it here would end the
  // parent's session (PostgreSQL, MariaDB) or touch its SQLite locks. Leak it on purpose.
  if (generation_ != fork_generation()) (void)connection_.release();
}

Connection& PyConnection::get() {
  if (!connection_) throw Error(ErrorCategory::invalid_argument, "the connection is closed: connect() again");
  if (generation_ != fork_generation()) {
    throw Error(ErrorCategory::invalid_argument,
                "this connection was opened before os.fork() and belongs to the parent process: call "
                "upsert.connect() again in the child");
  }
  return *connection_;
}

void PyConnection::close() {
  std::lock_guard lock(mutex_);
  if (generation_ != fork_generation()) {
    (void)connection_.release();
    return;
  }
  connection_.reset();
  sqlite_use_.reset();
}

void bind_connection(py::module_& m) {
  watch_forks();
  py::class_<ExecResult>(m, "Result", "What a statement did.")
      .def_readonly("affected_rows", &ExecResult::affected_rows, "Rows affected, as the engine counts them.")
      .def_property_readonly(
          "rows", [](const ExecResult& r) { return python_rows(r.rows); },
          "RETURNING rows as tuples (the returning columns, then the inserted flag when asked).");
  py::class_<BatchResult>(m, "BatchResult", "What a batch did.")
      .def_readonly("affected_rows", &BatchResult::affected_rows, "Summed over statements, as the engine counts.")
      .def_readonly("statements", &BatchResult::statements, "Statements executed.")
      .def_readonly("merged_rows", &BatchResult::merged_rows, "Rows sent after merging repeated keys.")
      .def_property_readonly(
          "rows", [](const BatchResult& r) { return python_rows(r.rows); },
          "With RETURNING: per input row, the returned row of the merged row that carried it.");
  py::class_<PyPrepared>(m, "PreparedUpsert",
                         "An upsert shape rendered once for its connection (Connection.prepare): execute() takes a "
                         "row's values.")
      .def(
          "execute",
          [](PyPrepared& p, py::handle row) {
            const Row values = row_from_python(row);
            return p.connection->call([&](Connection&) { return p.prepared.execute(values); });
          },
          py::arg("row"),
          "Runs the upsert with one row (a tuple or list in insert-column order), checked as execute() checks it; "
          "retried on transient errors outside a transaction.")
      .def_property_readonly(
          "width", [](const PyPrepared& p) { return p.prepared.width(); }, "The number of values a row takes.")
      .def_property_readonly(
          "sql", [](const PyPrepared& p) { return p.prepared.sql(); }, "The SQL sent per call.");
  py::class_<PyConnection>(m, "Connection", "A connection to one database; see upsert.connect().")
      .def(
          "prepare",
          [](py::object self, const Upsert& shape) {
            PyConnection& c = self.cast<PyConnection&>();
            PreparedUpsert prepared = c.call([&](Connection& db) { return db.prepare(shape); });
            return PyPrepared{self, &c, std::move(prepared)};
          },
          py::arg("shape"),
          "Renders `shape` (its rows, if any, are ignored) once for this connection; the PreparedUpsert runs it "
          "with one row's values per call.")
      .def(
          "execute",
          [](PyConnection& c, const Upsert& statement, py::object rows) {
            const Upsert s = with_rows(statement, rows);
            return c.call([&](Connection& db) { return db.execute(s); });
          },
          py::arg("statement"), py::arg("rows") = py::none(),
          "Runs an upsert (with `rows` instead of its own, if given); retried on transient errors outside a "
          "transaction.")
      .def(
          "execute_batch",
          [](PyConnection& c, const Upsert& statement, py::object rows, std::size_t max_rows_per_statement,
             bool one_transaction, bool take_turns_across_processes) {
            const Upsert s = with_rows(statement, rows);
            BatchOptions options;
            options.max_rows_per_statement = max_rows_per_statement;
            options.one_transaction = one_transaction;
            options.take_turns_across_processes = take_turns_across_processes;
            return c.call([&](Connection& db) { return db.execute_batch(s, options); });
          },
          py::arg("statement"), py::arg("rows") = py::none(), py::kw_only(), py::arg("max_rows_per_statement") = 1000,
          py::arg("one_transaction") = false, py::arg("take_turns_across_processes") = false,
          "Upserts many rows as if one by one: repeated keys merged, key order, statements cut by the engine's "
          "limits. Rows are tuples, lists or dicts. take_turns_across_processes (PostgreSQL): statements on the "
          "table take turns with other processes' through an advisory lock.")
      .def(
          "execute_sql",
          [](PyConnection& c, const std::string& sql, py::object params) {
            Sql q{sql, params_from_python(params)};
            return c.call([&](Connection& db) { return db.execute_sql(q); });
          },
          py::arg("sql"), py::arg("params") = py::none(), "Runs SQL with native placeholders and bound values.")
      .def(
          "query",
          [](PyConnection& c, const std::string& sql, py::object params, std::vector<Type> types) {
            Sql q{sql, params_from_python(params)};
            std::vector<Row> rows = c.call([&](Connection& db) { return db.query(q, types); });
            return python_rows(rows);
          },
          py::arg("sql"), py::arg("params") = py::none(), py::arg("types") = std::vector<Type>{},
          "Runs a query; columns converted to `types` (the rest come back as text).")
      .def(
          "execute_script",
          [](PyConnection& c, const std::string& sql) { c.call([&](Connection& db) { db.execute_script(sql); }); },
          py::arg("sql"), "Runs SQL text without parameters (DDL).")
      .def(
          "create_table", [](PyConnection& c, const Table& t) { c.call([&](Connection& db) { db.create_table(t); }); },
          py::arg("table"), "CREATE TABLE IF NOT EXISTS in this connection's dialect.")
      .def(
          "begin", [](PyConnection& c) { c.call([](Connection& db) { db.begin(true); }); }, "Starts a transaction.")
      .def(
          "commit", [](PyConnection& c) { c.call([](Connection& db) { db.commit(); }); }, "Commits.")
      .def(
          "rollback", [](PyConnection& c) { c.call([](Connection& db) { db.rollback(); }); }, "Rolls back.")
      .def_property_readonly(
          "in_transaction", [](PyConnection& c) { return c.call([](Connection& db) { return db.in_transaction(); }); },
          "True inside begin()/commit().")
      .def_property_readonly(
          "dialect", [](PyConnection& c) { return c.call([](Connection& db) { return db.dialect(); }); },
          "The dialect of the engine behind the connection.")
      .def(
          "server_version", [](PyConnection& c) { return c.call([](Connection& db) { return db.server_version(); }); },
          "The server's version string.")
      .def(
          "reconnect", [](PyConnection& c) { c.call([](Connection& db) { db.reconnect(); }); },
          "Drops and re-opens the connection.")
      .def(
          "stats",
          [](PyConnection& c) {
            const ConnectionStats s = c.call([](Connection& db) { return db.stats(); });
            py::dict d;
            d["statements"] = s.statements;
            d["retries"] = s.retries;
            d["reconnects"] = s.reconnects;
            return d;
          },
          "Counters: statements, retries, reconnects.")
      .def_property_readonly(
          "warnings", [](PyConnection& c) { return c.call([](Connection& db) { return db.warnings(); }); },
          "What the connection noticed about tables it wrote to, oldest first: a key column whose collation "
          "makes keys the library keeps apart one key ('a' and 'A', 'a' and 'a ').")
      .def("close", &PyConnection::close, py::call_guard<py::gil_scoped_release>(), "Closes the connection.")
      .def_property_readonly("closed", &PyConnection::closed, "True after close().")
      .def("__enter__", [](py::object self) { return self; })
      .def("__exit__", [](PyConnection& c, py::args) {
        py::gil_scoped_release release;
        c.close();
      });
  m.def(
      "connect", [](std::string url) { return std::make_unique<PyConnection>(std::move(url)); }, py::arg("url"),
      "Opens a connection: sqlite:PATH, sqlite::memory:, postgresql://..., mariadb://..., mysql://...");
}

}  // namespace upsert::python
