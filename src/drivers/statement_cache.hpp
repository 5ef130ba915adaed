#pragma once
// The prepared statements of one connection, keyed by SQL text (PostgreSQL adds the parameter
// types), least recently used evicted first: an application repeats a few statement shapes, and a
// workload that keeps producing new SQL (batches of many sizes) must not grow the connection, or
// the server's session, without bound. Every engine folder keeps its statements in one.
//
// `Statement` owns what it holds: destroying it releases the prepared statement (sqlite3_finalize,
// mysql_stmt_close), so eviction and clear() need no engine call here.

#include <cstddef>
#include <list>
#include <string>
#include <unordered_map>
#include <utility>

namespace upsert::detail {

template <class Statement>
class StatementCache {
 public:
  // At most `capacity` statements are kept.
  explicit StatementCache(std::size_t capacity) : capacity_(capacity) {}
  StatementCache(const StatementCache&) = delete;
  StatementCache& operator=(const StatementCache&) = delete;

  // The statement kept for `key`, now the most recently used, or nullptr.
  Statement* find(const std::string& key) {
    auto found = by_key_.find(key);
    if (found == by_key_.end()) return nullptr;
    by_use_.splice(by_use_.begin(), by_use_, found->second);
    return &found->second->second;
  }
  // Keeps `statement` for `key`, evicting the least recently used statement when full.
  Statement& insert(const std::string& key, Statement statement) {
    if (by_use_.size() >= capacity_ && !by_use_.empty()) {
      by_key_.erase(by_use_.back().first);
      by_use_.pop_back();
    }
    by_use_.emplace_front(key, std::move(statement));
    by_key_[key] = by_use_.begin();
    return by_use_.front().second;
  }
  // True when one more statement would evict one.
  bool full() const { return by_use_.size() >= capacity_; }
  // Forgets every statement (before the connection closes, or after it was lost).
  void clear() {
    by_key_.clear();
    by_use_.clear();
  }
  // How many statements are kept.
  std::size_t size() const { return by_use_.size(); }

 private:
  std::size_t capacity_;
  std::list<std::pair<std::string, Statement>> by_use_;  // most recently used first
  std::unordered_map<std::string, typename std::list<std::pair<std::string, Statement>>::iterator> by_key_;
};

}  // namespace upsert::detail
