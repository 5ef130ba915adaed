// CounterWriter for Python: add() converts its arguments under the GIL, then releases it for the
// C++ add (which may wait at the pending-key cap); the flush thread never touches Python.
//
// Fork: a writer made before os.fork() is the parent's (its thread does not exist in the child,
// and its pending increments are the parent's to write). The child's first call on it transparently
// opens a fresh writer with the same URL and options; the inherited one is never flushed or closed
// in the child, so no increment is written twice. Except on SQLite, which refuses (fork.hpp).
#include <pybind11/functional.h>
#include <pybind11/stl.h>

#include <fmt/format.h>

#include "connection.hpp"
#include "fork.hpp"

namespace upsert::python {

namespace {

WhenFull when_full_from(const std::string& s) {
  if (s == "block") return WhenFull::block;
  if (s == "refuse") return WhenFull::refuse;
  throw Error(ErrorCategory::invalid_argument,
              fmt::format("when_full=\"{}\": use \"block\" (wait for a flush) or \"refuse\" (add() returns False)", s));
}

// Keeps an object inherited across fork alive forever: destroying it would join a thread that does
// not exist in the child and close the parent's session.
template <class T>
void leak(std::shared_ptr<T> object) {
  if (object) new std::shared_ptr<T>(std::move(object));  // NOLINT: deliberately never freed
}

py::dict stats_dict(const WriterStats& s) {
  py::dict d;
  d["accepted"] = s.accepted;
  d["merged"] = s.merged;
  d["refused"] = s.refused;
  d["flushes"] = s.flushes;
  d["flushed_rows"] = s.flushed_rows;
  d["statements"] = s.statements;
  d["retries"] = s.retries;
  d["failed_keys"] = s.failed_keys;
  d["ledger_checks"] = s.ledger_checks;
  d["pending_keys"] = s.pending_keys;
  d["last_flush_latency_s"] = static_cast<double>(s.last_flush_latency.count()) / 1e6;
  d["max_flush_latency_s"] = static_cast<double>(s.max_flush_latency.count()) / 1e6;
  return d;
}

class PyCounterWriter {
 public:
  PyCounterWriter(std::string url, std::shared_ptr<const Table> table, CounterWriterOptions options)
      : url_(std::move(url)), table_(std::move(table)), options_(std::move(options)) {
    open();
  }
  ~PyCounterWriter() {
    if (generation_ != fork_generation()) {
      leak(std::move(writer_));  // the parent's: see the file comment
      return;
    }
    if (writer_) {
      py::gil_scoped_release release;
      writer_.reset();  // flushes and joins the thread, which never needs the GIL
    }
  }

  bool add(const Row& key, const Row& values) {
    std::shared_ptr<CounterWriter> w = get();
    py::gil_scoped_release release;
    return w->add(key, values);
  }
  std::size_t add_many(const std::vector<Row>& keys, const std::vector<Row>& values) {
    std::shared_ptr<CounterWriter> w = get();
    py::gil_scoped_release release;
    std::size_t accepted = 0;
    for (std::size_t i = 0; i < keys.size(); ++i) accepted += w->add(keys[i], values[i]) ? 1 : 0;
    return accepted;
  }
  // The writer, shared with the call using it: a close() from another thread cannot free it under
  // an add() in flight (that add() then fails with "after close()").
  std::shared_ptr<CounterWriter> get() {
    if (generation_ != fork_generation()) {
      leak(std::move(writer_));
      open();
    }
    if (!writer_) throw Error(ErrorCategory::invalid_argument, "the writer is closed: make a new CounterWriter");
    return writer_;
  }
  WriterStats close() {
    if (generation_ != fork_generation()) {
      leak(std::move(writer_));
      return {};
    }
    if (!writer_) return last_stats_;
    std::shared_ptr<CounterWriter> w = writer_;
    py::gil_scoped_release release;
    last_stats_ = w->close();
    writer_.reset();
    sqlite_use_.reset();
    return last_stats_;
  }
  bool closed() const { return writer_ == nullptr || generation_ != fork_generation(); }

 private:
  void open() {
    sqlite_use_.reset();  // an inherited writer's count is the parent's
    sqlite_use_.emplace(url_);
    py::gil_scoped_release release;
    writer_ = std::make_shared<CounterWriter>(connect(url_), table_, options_);
    generation_ = fork_generation();
  }

  std::string url_;
  std::shared_ptr<const Table> table_;
  CounterWriterOptions options_;
  std::shared_ptr<CounterWriter> writer_;
  std::optional<SqliteUse> sqlite_use_;
  std::uint64_t generation_ = 0;
  WriterStats last_stats_;
};

}  // namespace

void bind_counter_writer(py::module_& m) {
  py::class_<WriterFailure>(m, "WriterFailure", "A key the writer could not write, with its deltas, and why.")
      .def_property_readonly(
          "key", [](const WriterFailure& f) { return python_from_row(f.key); }, "The key.")
      .def_property_readonly(
          "values", [](const WriterFailure& f) { return python_from_row(f.values); }, "The deltas not written.")
      .def_property_readonly(
          "category", [](const WriterFailure& f) { return std::string(category_name(f.category)); }, "Why.")
      .def_readonly("message", &WriterFailure::message, "The engine's message with the SQL context.")
      .def("__repr__", [](const WriterFailure& f) { return "<upsert.WriterFailure " + f.message + ">"; });
  py::class_<PyCounterWriter>(m, "CounterWriter",
                              "A thread-safe, coalescing counter writer over one table: add() from any thread; a "
                              "background thread flushes merged increments in batches. Survives os.fork() on "
                              "PostgreSQL and MariaDB (the child transparently gets a fresh writer); on SQLite the "
                              "child refuses it (SQLite must not cross a fork): make it after forking.")
      .def(py::init([](const std::string& url, const Table& table, std::vector<std::string> key,
                       std::vector<std::string> sum, std::vector<std::string> max, std::vector<std::string> min,
                       std::vector<std::string> last, double flush_interval, std::size_t flush_at_pending_keys,
                       std::size_t max_pending_keys, const std::string& when_full, std::size_t max_rows_per_statement,
                       double give_up_after, std::string ledger_table, bool checkpointed) {
             CounterWriterOptions o;
             o.key = std::move(key);
             o.sum = std::move(sum);
             o.max = std::move(max);
             o.min = std::move(min);
             o.last = std::move(last);
             o.flush_interval = std::chrono::milliseconds(static_cast<std::int64_t>(flush_interval * 1000));
             o.flush_at_pending_keys = flush_at_pending_keys;
             o.max_pending_keys = max_pending_keys;
             o.when_full = when_full_from(when_full);
             o.max_rows_per_statement = max_rows_per_statement;
             o.give_up_after = std::chrono::seconds(static_cast<std::int64_t>(give_up_after));
             o.ledger_table = std::move(ledger_table);
             o.checkpointed = checkpointed;
             return std::make_unique<PyCounterWriter>(url, std::make_shared<const Table>(table), std::move(o));
           }),
           py::arg("url"), py::arg("table"), py::arg("key"), py::arg("sum") = std::vector<std::string>{}, py::kw_only(),
           py::arg("max") = std::vector<std::string>{}, py::arg("min") = std::vector<std::string>{},
           py::arg("last") = std::vector<std::string>{}, py::arg("flush_interval") = 0.1,
           py::arg("flush_at_pending_keys") = 50'000, py::arg("max_pending_keys") = 1'000'000,
           py::arg("when_full") = "block", py::arg("max_rows_per_statement") = 1000, py::arg("give_up_after") = 300.0,
           py::arg("ledger_table") = "upsert_writer_ledger", py::arg("checkpointed") = false,
           "Opens its own connection to `url` and starts the flush thread.")
      .def(
          "add",
          [](PyCounterWriter& w, py::handle key, py::handle values) {
            return w.add(row_from_python(key, "key"), row_from_python(values, "values"));
          },
          py::arg("key"), py::arg("values"),
          "Adds `values` (sum columns, then max, min, last) to `key`. False when refused at the cap.")
      .def(
          "add_many",
          [](PyCounterWriter& w, py::iterable keys, py::iterable values) {
            std::vector<Row> k, v;
            for (py::handle x : keys) k.push_back(row_from_python(x, "key"));
            for (py::handle x : values) v.push_back(row_from_python(x, "values"));
            if (k.size() != v.size()) {
              throw Error(ErrorCategory::invalid_argument,
                          fmt::format("add_many() got {} keys and {} value rows: give one value row per key", k.size(),
                                      v.size()));
            }
            return w.add_many(k, v);
          },
          py::arg("keys"), py::arg("values"),
          "add() for many keys in one call (one GIL release); returns how many were accepted.")
      .def(
          "flush",
          [](PyCounterWriter& w) {
            auto c = w.get();
            py::gil_scoped_release release;
            c->flush();
          },
          "Blocks until everything added before the call is written (or reported as failed).")
      .def(
          "checkpoint",
          [](PyCounterWriter& w, std::string name, std::string position) {
            auto c = w.get();
            py::gil_scoped_release release;
            c->checkpoint(std::move(name), std::move(position));
          },
          py::arg("name"), py::arg("position"),
          "Checkpointed writers: seals everything added so far and commits `position` with it.")
      .def(
          "read_checkpoint",
          [](PyCounterWriter& w, const std::string& name) {
            auto c = w.get();
            py::gil_scoped_release release;
            return c->read_checkpoint(name);
          },
          py::arg("name"), "The position last committed under `name`, or None.")
      .def(
          "close", [](PyCounterWriter& w) { return stats_dict(w.close()); },
          "Flushes everything, stops the thread, returns the final counters; raises upsert.Error when keys failed.")
      .def(
          "stats", [](PyCounterWriter& w) { return stats_dict(w.get()->stats()); }, "A snapshot of the counters.")
      .def(
          "take_failures", [](PyCounterWriter& w) { return w.get()->take_failures(); },
          "The keys that could not be written so far (and forgets them).")
      .def_property_readonly("closed", &PyCounterWriter::closed, "True after close().")
      .def("__enter__", [](py::object self) { return self; })
      .def("__exit__", [](PyCounterWriter& w, py::args) { w.close(); });
}

}  // namespace upsert::python
