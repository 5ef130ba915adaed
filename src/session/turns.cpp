// Turns for batch statements: see turns.hpp for why.

#include "session/turns.hpp"

#include <condition_variable>
#include <map>
#include <mutex>

namespace upsert::detail {

namespace {

struct Queues {
  std::mutex mutex;
  std::condition_variable changed;
  // Per scope, in arrival order: the statements holding a turn and those waiting for one.
  std::map<std::string, std::list<KeyRangeTurn::Entry>, std::less<>> by_scope;
};

Queues& queues() {
  static Queues q;
  return q;
}

bool overlap(const KeyRangeTurn::Entry& a, const KeyRangeTurn::Entry& b) {
  return !(a.high < b.low || b.high < a.low);
}

}  // namespace

KeyRangeTurn::KeyRangeTurn(std::string scope, Row low, Row high) : scope_(std::move(scope)) {
  Queues& q = queues();
  std::unique_lock lock(q.mutex);
  auto& queue = q.by_scope[scope_];
  entry_ = queue.insert(queue.end(), Entry{std::move(low), std::move(high)});
  // Only earlier arrivals can hold this one back, so the first in a queue never waits and no
  // overlapping statement waits forever.
  q.changed.wait(lock, [&] {
    for (auto it = queue.begin(); it != entry_; ++it) {
      if (overlap(*it, *entry_)) return false;
    }
    return true;
  });
}

KeyRangeTurn::~KeyRangeTurn() {
  Queues& q = queues();
  {
    std::lock_guard lock(q.mutex);
    auto found = q.by_scope.find(scope_);
    found->second.erase(entry_);
    if (found->second.empty()) q.by_scope.erase(found);
  }
  q.changed.notify_all();
}

std::size_t KeyRangeTurn::queued(const std::string& scope) {
  Queues& q = queues();
  std::lock_guard lock(q.mutex);
  auto found = q.by_scope.find(scope);
  return found == q.by_scope.end() ? 0 : found->second.size();
}

}  // namespace upsert::detail
