#pragma once
// The SQLite driver over libsqlite3: one connection per thread (opened SQLITE_OPEN_NOMUTEX), WAL,
// a busy timeout, BEGIN IMMEDIATE for writes, the write turn between connections of one process,
// and a cache of prepared statements. This header is private (src/), so sqlite3.h never reaches a
// user; the driver tests include it to look inside the statement cache.

#include <chrono>
#include <condition_variable>
#include <memory>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "drivers/sqlite/statement.hpp"
#include "drivers/sqlite/url.hpp"
#include "drivers/statement_cache.hpp"
#include "session/driver.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace upsert::detail {

// The write turn of one database file, shared by the process's connections to it. A flag under a
// mutex with a condition variable, not std::timed_mutex: libstdc++ takes a timed mutex with
// pthread_mutex_clocklock, which GCC 12's ThreadSanitizer does not intercept, so it saw every
// release as the unlock of an unlocked mutex and could not check what the turn protects.
// A waiter first polls with short sleeps (a free turn goes to whoever asks); after `patience` it
// queues, and then every release hands the turn to a queued waiter.
class WriteTurn {
 public:
  /// How long a waiter polls before it queues for a hand-over.
  static constexpr std::chrono::milliseconds patience{20};
  /// Takes the turn, waiting at most `timeout`; false when another connection kept it that long.
  bool take(std::chrono::milliseconds timeout);
  /// Hands the turn back, to a queued waiter if there is one.
  void give_back() noexcept;

 private:
  std::mutex mutex_;
  std::condition_variable given_back_;
  bool taken_ = false;
  int patient_ = 0;  // waiters queued on given_back_
};

/// A Driver over one SQLite database file (or a private in-memory database).
class SqliteDriver final : public Driver {
 public:
  /// Opens the database `url` names and sets WAL, the busy timeout, synchronous and foreign keys.
  explicit SqliteDriver(SqliteUrl url);
  ~SqliteDriver() override;
  SqliteDriver(const SqliteDriver&) = delete;
  SqliteDriver& operator=(const SqliteDriver&) = delete;

  /// Dialect::sqlite.
  Dialect dialect() const override { return Dialect::sqlite; }
  /// "SQLite " and the library version, e.g. "SQLite 3.40.1".
  std::string server_version() override;
  /// The parameter limit of the linked SQLite library, at most the renderer's 32,766.
  std::size_t max_parameters() const override;
  /// The database file's path (":memory:" for a private database).
  std::string database() const override { return url_.path; }
  /// Runs one SQL statement with bound parameters. A statement that writes takes the write turn
  /// first (after preparing it, so other threads write meanwhile).
  ExecResult run(const std::string& text, std::span<const Value> params,
                 const std::vector<Type>& result_types) override;
  /// Runs SQL text without parameters; several statements separated by ';' are allowed.
  void run_script(std::string_view sql) override;
  /// BEGIN IMMEDIATE when `for_write` (the write lock is taken at once, so the transaction can
  /// never fail later on a lock upgrade), else BEGIN.
  void begin(bool for_write) override;
  /// COMMIT.
  void commit() override;
  /// ROLLBACK (nothing when SQLite already rolled the transaction back itself).
  void rollback() override;
  /// True between begin() and commit()/rollback(), or while SQL text holds a transaction open.
  bool in_transaction() const override;
  /// Closes and re-opens the same file; cached statements are finalized.
  void reconnect() override;

  /// Statements prepared on the connection handle (the cache included): lets tests see that a
  /// repeated statement is prepared once.
  int prepared_statement_count() const;
  /// The URL the connection was opened with.
  const SqliteUrl& url() const { return url_; }

 private:
  void open();
  void close() noexcept;
  void set_journal_mode_wal();
  // The cached prepared statement for `text`; Error(connection) when the handle is gone.
  sqlite3_stmt* prepare(const std::string& text);
  // Runs a statement of the driver's own (PRAGMA, BEGIN, COMMIT, ROLLBACK), without the write turn.
  ExecResult run_own(const std::string& text, const std::vector<Type>& result_types = {});

  // The write turn: connections of this process to one file take turns on a mutex before they
  // write, so they queue in memory instead of polling SQLite's lock with sleeps (the busy
  // handler sleeps up to 100 ms a try, which starves writers under contention). Other processes
  // still meet SQLite's lock and the busy timeout. take_write_turn() is false when the turn was
  // held already, or could not be had within the busy timeout (SQLite's lock then decides).
  bool take_write_turn();
  void release_write_turn() noexcept;
  // Holds the write turn for one statement outside a transaction.
  class ScopedWriteTurn;

  // Enough for every statement shape an application repeats; multi-row batches of varying size
  // would otherwise grow the cache without bound.
  static constexpr std::size_t statement_cache_capacity = 64;

  SqliteUrl url_;
  std::shared_ptr<WriteTurn> write_turn_;  // shared by the connections to one file
  bool holding_turn_ = false;
  sqlite3* db_ = nullptr;
  StatementCache<SqliteStatement> statements_{statement_cache_capacity};
  bool in_transaction_ = false;
};

}  // namespace upsert::detail
