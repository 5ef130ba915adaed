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
#include <thread>
#include <vector>

#include "drivers/sqlite/statement.hpp"
#include "drivers/sqlite/url.hpp"
#include "drivers/statement_cache.hpp"
#include "session/driver.hpp"

struct sqlite3;
struct sqlite3_stmt;

namespace upsert::detail {

/// The write turn's waits: how long waiters poll before they queue, how long a holder keeps it.
struct WriteTurnTiming {
  /// How long a waiter polls before it queues for a hand-over.
  std::chrono::microseconds patience{50'000};
  /// How long one thread may keep retaking the turn while others are queued.
  std::chrono::microseconds quantum{10'000};
  /// The polling waiter's first sleep; each next one is twice as long, up to longest_pause.
  std::chrono::microseconds first_pause{1'000};
  /// The polling waiter's longest sleep.
  std::chrono::microseconds longest_pause{10'000};
};

// The write turn of one database file, shared by the process's connections to it. A flag under a
// mutex with a condition variable, not std::timed_mutex: libstdc++ takes a timed mutex with
// pthread_mutex_clocklock, which GCC 12's ThreadSanitizer does not intercept, so it saw every
// release as the unlock of an unlocked mutex and could not check what the turn protects.
// A waiter first polls with sleeps (a free turn goes to whoever asks); after Timing::patience it
// queues. While a waiter is queued, the thread holding the turn may give it back and take it again
// until it has held it for Timing::quantum; its next release then hands the turn to a queued waiter.
class WriteTurn {
 public:
  /// How long waiters wait before they queue, and how long a holder keeps retaking the turn.
  using Timing = WriteTurnTiming;
  /// A free turn with the default timing (what every SQLite connection uses).
  WriteTurn() = default;
  /// A free turn with other timing (tests).
  explicit WriteTurn(Timing timing) : timing_(timing) {}
  /// Takes the turn, waiting at most `timeout`; false when another connection kept it that long.
  bool take(std::chrono::milliseconds timeout);
  /// Gives the turn back; hands it to a queued waiter once the holder's quantum is up.
  void give_back() noexcept;
  /// The waits this turn uses.
  const Timing& timing() const { return timing_; }

 private:
  const Timing timing_{};
  std::mutex mutex_;
  std::condition_variable given_back_;
  bool taken_ = false;
  bool handing_over_ = false;                         // given back to the queue: the barging path must not take it
  int patient_ = 0;                                   // waiters queued on given_back_
  std::thread::id holder_;                            // the thread that took the turn last
  std::chrono::steady_clock::time_point held_since_;  // when holder_ took it after someone else
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
  // Copies the WAL into the database file once the WAL holds checkpoint_pages pages, after the
  // write turn is given back: SQLite's own automatic checkpoint runs inside the committing
  // statement, where it would hold the turn over the checkpoint's fsync.
  void checkpoint_when_due() noexcept;
  // Holds the write turn for one statement outside a transaction.
  class ScopedWriteTurn;

  // Enough for every statement shape an application repeats; multi-row batches of varying size
  // would otherwise grow the cache without bound.
  static constexpr std::size_t statement_cache_capacity = 64;
  // SQLite's default automatic checkpoint size (SQLITE_DEFAULT_WAL_AUTOCHECKPOINT).
  static constexpr int checkpoint_pages = 1000;

  SqliteUrl url_;
  std::shared_ptr<WriteTurn> write_turn_;  // shared by the connections to one file
  bool holding_turn_ = false;
  sqlite3* db_ = nullptr;
  StatementCache<SqliteStatement> statements_{statement_cache_capacity};
  bool in_transaction_ = false;
  int wal_pages_ = 0;  // pages in the WAL after this connection's last commit
};

}  // namespace upsert::detail
