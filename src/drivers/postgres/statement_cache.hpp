#pragma once
// Names of the statements prepared on one session, keyed by SQL text and parameter types: the
// same text with a NULL where a value was before has other parameter types, so another plan.

#include <libpq-fe.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

namespace upsert::detail::postgres {

class StatementCache {
 public:
  // At most `capacity` statements; the owner deallocates them all when a new one would not fit
  // (a workload that keeps producing new SQL must not grow the server session without bound).
  explicit StatementCache(std::size_t capacity) : capacity_(capacity) {}

  // The name of the statement prepared for (sql, types), or nullptr.
  const std::string* find(const std::string& sql, const std::vector<Oid>& types) const {
    auto it = names_.find(key(sql, types));
    return it == names_.end() ? nullptr : &it->second;
  }
  // A new name ("u1", "u2", ...) to prepare (sql, types) under; remember it once the PREPARE worked.
  std::string next_name() {
    std::string name = "u";
    name += std::to_string(next_++);
    return name;
  }
  // Records a prepared statement.
  const std::string& remember(const std::string& sql, const std::vector<Oid>& types, std::string name) {
    return names_.insert_or_assign(key(sql, types), std::move(name)).first->second;
  }
  // True when one more statement would exceed the capacity.
  bool full() const { return names_.size() >= capacity_; }
  // Forgets every statement (after DEALLOCATE ALL, or a new session).
  void clear() { names_.clear(); }
  // How many statements are remembered.
  std::size_t size() const { return names_.size(); }

 private:
  static std::string key(const std::string& sql, const std::vector<Oid>& types) {
    std::string k = sql;
    k.push_back('\0');  // never in SQL text sent through libpq, so the key is unambiguous
    // Appended piece by piece: `to_string(t) + ","` makes GCC 12 at -O3 warn (-Wrestrict) about
    // the temporary's copy, a false positive that -Werror turns into a failed build.
    for (Oid t : types) {
      k += std::to_string(t);
      k += ',';
    }
    return k;
  }

  std::size_t capacity_;
  std::unordered_map<std::string, std::string> names_;
  std::uint64_t next_ = 1;
};

}  // namespace upsert::detail::postgres
