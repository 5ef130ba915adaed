#pragma once
// The Python Connection: an upsert::Connection with a lock (Python threads may share it) and the
// fork generation it was opened in.
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "common.hpp"
#include "fork.hpp"

namespace upsert::python {

class PyConnection {
 public:
  explicit PyConnection(std::string url);
  ~PyConnection();
  PyConnection(const PyConnection&) = delete;
  PyConnection& operator=(const PyConnection&) = delete;

  // Runs `work` on the connection with the GIL released and the connection's lock held.
  template <class Work>
  auto call(Work&& work) {
    py::gil_scoped_release release;
    std::lock_guard lock(mutex_);
    return work(get());
  }
  void close();
  bool closed() const { return connection_ == nullptr; }
  const std::string& url() const { return url_; }

 private:
  Connection& get();

  std::string url_;
  std::unique_ptr<Connection> connection_;
  std::optional<SqliteUse> sqlite_use_;
  std::uint64_t generation_ = 0;
  std::mutex mutex_;
};

// Appends a Python row (tuple, list or dict) to `u` (statement.cpp).
void add_python_row(Upsert& u, py::handle row);

}  // namespace upsert::python
