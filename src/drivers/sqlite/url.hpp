#pragma once
// sqlite: URLs: a file path (or :memory:) and the busy timeout.

#include <string>
#include <string_view>

namespace upsert::detail {

// What a `sqlite:` URL says.
struct SqliteUrl {
  std::string path;              //< the file path as given, or ":memory:"
  int busy_timeout_ms = 30'000;  //< how long a statement waits for another writer's lock
  // True for `sqlite::memory:` (a private database that lives as long as the connection).
  bool in_memory() const { return path == ":memory:"; }
};

// Parses `sqlite:PATH` or `sqlite::memory:`, optionally followed by `?busy_timeout_ms=N`;
// throws Error(invalid_argument) naming the accepted forms for anything else.
SqliteUrl parse_sqlite_url(std::string_view url);

}  // namespace upsert::detail
