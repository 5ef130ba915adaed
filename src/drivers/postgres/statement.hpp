#pragma once
// Statements on one PostgreSQL session: owning handles for libpq's objects, what a command's
// result says, and the names of the statements prepared on the session, kept in the shared
// statement cache by SQL text and parameter types (the same text with a NULL where a value was
// before has other parameter types, so another plan).

#include <libpq-fe.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "drivers/statement_cache.hpp"

namespace upsert::detail::postgres {

struct ConnCloser {
  void operator()(PGconn* conn) const { PQfinish(conn); }
};
struct ResultClearer {
  void operator()(PGresult* result) const { PQclear(result); }
};

// A connection; PQfinish on destruction.
using ConnHandle = std::unique_ptr<PGconn, ConnCloser>;
// A result; PQclear on destruction. May hold nullptr (libpq returns it when out of memory or when
// it could not send the command at all).
using ResultHandle = std::unique_ptr<PGresult, ResultClearer>;

// True when a command succeeded (a null result did not).
bool succeeded(const PGresult* result);

// The rows a command changed, as its command tag says (0 for DDL).
std::int64_t affected_rows(const PGresult* result);

// The names of the statements prepared on one session. The statements live on the server, so the
// owner deallocates them all when a new one would not fit (one DEALLOCATE ALL, where evicting
// one at a time would cost a round trip per new statement).
class PreparedStatements {
 public:
  explicit PreparedStatements(std::size_t capacity) : names_(capacity) {}

  // The name of the statement prepared for (sql, types), or nullptr.
  const std::string* find(const std::string& sql, const std::vector<Oid>& types) {
    return names_.find(key(sql, types));
  }
  // A new name ("u1", "u2", ...) to prepare (sql, types) under; remember it once the PREPARE worked.
  std::string next_name();
  // Records a prepared statement.
  const std::string& remember(const std::string& sql, const std::vector<Oid>& types, std::string name) {
    return names_.insert(key(sql, types), std::move(name));
  }
  // True when one more statement would exceed the capacity.
  bool full() const { return names_.full(); }
  // Forgets every statement (after DEALLOCATE ALL, or a new session).
  void clear() { names_.clear(); }
  // How many statements are remembered.
  std::size_t size() const { return names_.size(); }

 private:
  static std::string key(const std::string& sql, const std::vector<Oid>& types);

  StatementCache<std::string> names_;
  std::uint64_t next_ = 1;
};

}  // namespace upsert::detail::postgres
