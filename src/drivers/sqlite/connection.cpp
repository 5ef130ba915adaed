// The SQLite connection: opening with WAL and a busy timeout, the write turn, statements, transactions.

#include "drivers/sqlite/connection.hpp"

#include <fmt/format.h>
#include <sqlite3.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <map>
#include <optional>
#include <thread>

#include "drivers/sqlite/error.hpp"
#include "session/engines.hpp"

namespace upsert::detail {

namespace {

// The write-turn mutex of a database file, shared by every connection of the process to it.
std::shared_ptr<WriteTurn> write_turn_for(const std::string& path) {
  static std::mutex registry_mutex;
  static std::map<std::string, std::weak_ptr<WriteTurn>> registry;
  std::lock_guard lock(registry_mutex);
  auto& entry = registry[path];
  auto turn = entry.lock();
  if (!turn) {
    turn = std::make_shared<WriteTurn>();
    entry = turn;
  }
  return turn;
}

}  // namespace

bool WriteTurn::take(std::chrono::milliseconds timeout) {
  const auto me = std::this_thread::get_id();
  const auto now = std::chrono::steady_clock::now();
  const auto deadline = now + timeout;
  // First the barging path: a free turn goes to whoever asks first (often the connection that
  // just gave it back), and a waiter sleeps between looks instead of being woken at every
  // release. The sleeps are as long as SQLite's own busy handler's (1 ms and up): measured with
  // 8 threads on 2 cores, sleeps of 20-500 us made 5 context switches per statement and cost the
  // writers 15-20% of their rows/s; a strict hand-over at every release cost 25-30%.
  const auto patience_ends = std::min(deadline, now + timing_.patience);
  for (auto pause = timing_.first_pause;; pause = std::min(pause * 2, timing_.longest_pause)) {
    {
      std::lock_guard lock(mutex_);
      if (!taken_ && !handing_over_) {
        taken_ = true;
        if (holder_ != me) {
          holder_ = me;
          held_since_ = std::chrono::steady_clock::now();
        }
        return true;
      }
    }
    if (std::chrono::steady_clock::now() + pause >= patience_ends) break;
    std::this_thread::sleep_for(pause);
  }
  // Then the fair path: a waiter past its patience queues. The holder keeps the turn for its
  // quantum, then its next release hands the turn to a queued waiter. A queued waiter also looks
  // once a quantum, in case the holder gave the turn back for good before its quantum was up.
  std::unique_lock lock(mutex_);
  ++patient_;
  for (;;) {
    if (!taken_) {
      taken_ = true;
      handing_over_ = false;
      holder_ = me;
      held_since_ = std::chrono::steady_clock::now();
      --patient_;
      return true;
    }
    const auto looked = std::chrono::steady_clock::now();
    if (looked >= deadline) break;
    given_back_.wait_until(lock, std::min(deadline, looked + timing_.quantum));
  }
  --patient_;
  return false;
}

void WriteTurn::give_back() noexcept {
  bool hand_over = false;
  {
    std::lock_guard lock(mutex_);
    taken_ = false;
    hand_over = patient_ > 0 && std::chrono::steady_clock::now() - held_since_ >= timing_.quantum;
    // Until a queued waiter takes it, the turn is not free for the barging path.
    if (hand_over) handing_over_ = true;
  }
  if (hand_over) given_back_.notify_one();
}

std::unique_ptr<Driver> open_sqlite(std::string_view url) {
  return std::make_unique<SqliteDriver>(parse_sqlite_url(url));
}

SqliteDriver::SqliteDriver(SqliteUrl url) : url_(std::move(url)) {
  // Re-opening after a chdir() must find the same file; a private in-memory database needs no turn.
  if (!url_.in_memory()) {
    url_.path = std::filesystem::absolute(url_.path).string();
    // Two spellings of one file (a symlink, "a/../b") share one turn.
    std::error_code ignored;
    const auto canonical = std::filesystem::weakly_canonical(url_.path, ignored);
    write_turn_ = write_turn_for(canonical.empty() ? url_.path : canonical.string());
  }
  open();
}

bool SqliteDriver::take_write_turn() {
  if (!write_turn_ || holding_turn_) return false;
  holding_turn_ = write_turn_->take(std::chrono::milliseconds(url_.busy_timeout_ms));
  return holding_turn_;
}

void SqliteDriver::release_write_turn() noexcept {
  if (!holding_turn_) return;
  holding_turn_ = false;
  write_turn_->give_back();
  checkpoint_when_due();
}

void SqliteDriver::checkpoint_when_due() noexcept {
  if (db_ == nullptr || wal_pages_ < checkpoint_pages) return;
  wal_pages_ = 0;
  // PASSIVE: copies what no reader still needs and never waits, as the automatic checkpoint does.
  // Busy (another connection is checkpointing) or an I/O error: the next commit tries again.
  sqlite3_wal_checkpoint_v2(db_, nullptr, SQLITE_CHECKPOINT_PASSIVE, nullptr, nullptr);
}

class SqliteDriver::ScopedWriteTurn {
 public:
  explicit ScopedWriteTurn(SqliteDriver& driver) : driver_(driver), mine_(driver.take_write_turn()) {}
  ~ScopedWriteTurn() {
    if (mine_) driver_.release_write_turn();
  }
  ScopedWriteTurn(const ScopedWriteTurn&) = delete;
  ScopedWriteTurn& operator=(const ScopedWriteTurn&) = delete;

 private:
  SqliteDriver& driver_;
  bool mine_;
};

SqliteDriver::~SqliteDriver() {
  close();
}

void SqliteDriver::open() {
  sqlite3* db = nullptr;
  // NOMUTEX: a connection belongs to one thread at a time, so SQLite's own mutex would only cost.
  const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
  const int rc = sqlite3_open_v2(url_.path.c_str(), &db, flags, nullptr);
  if (rc != SQLITE_OK) {
    const int code = db != nullptr ? sqlite3_extended_errcode(db) : rc;
    const std::string message =
        fmt::format("cannot open \"{}\": {}", url_.path, db != nullptr ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
    sqlite3_close_v2(db);
    throw sqlite_error(code, message, "");
  }
  db_ = db;
  sqlite3_extended_result_codes(db_, 1);
  // Many threads and processes writing one file wait for the lock instead of failing at once.
  sqlite3_busy_timeout(db_, url_.busy_timeout_ms);
  // Switching a new file to WAL takes an exclusive lock, and SQLite may answer SQLITE_BUSY there
  // without calling the busy handler (seen with 8 threads opening one new file at once): threads
  // of this process take the write turn, other processes are retried up to the busy timeout.
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::milliseconds(url_.busy_timeout_ms);
  for (int attempt = 1;; ++attempt) {
    try {
      ScopedWriteTurn turn(*this);
      if (!url_.in_memory()) set_journal_mode_wal();
      run_script("PRAGMA synchronous=NORMAL");  // durable at checkpoints; WAL keeps it consistent
      run_script("PRAGMA foreign_keys=ON");
      // Replaces SQLite's automatic checkpoint (also a WAL hook): the hook only counts the pages,
      // checkpoint_when_due() copies them once the turn is given back.
      sqlite3_wal_hook(
          db_,
          [](void* driver, sqlite3*, const char*, int pages) {
            static_cast<SqliteDriver*>(driver)->wal_pages_ = pages;
            return SQLITE_OK;
          },
          this);
      return;
    } catch (const Error& e) {
      if (e.category() == ErrorCategory::retryable && std::chrono::steady_clock::now() < give_up) {
        std::this_thread::sleep_for(std::chrono::milliseconds(std::min(attempt, 20)));
        continue;
      }
      // The first read of the file finds out whether it is a database at all: name the file.
      close();
      throw Error(e.category(), fmt::format("opening \"{}\": {}", url_.path, e.what()), e.engine(), e.sql());
    }
  }
}

void SqliteDriver::set_journal_mode_wal() {
  // WAL lets readers run beside the one writer, and a commit appends instead of rewriting pages.
  const std::string sql = "PRAGMA journal_mode=WAL";
  const auto rows = run_own(sql, {Type::text}).rows;
  const std::string mode = rows.empty() || rows[0].empty() || rows[0][0].is_null() ? "" : rows[0][0].as<std::string>();
  if (mode != "wal") {
    throw Error(ErrorCategory::connection,
                fmt::format("SQLite could not switch the file to WAL (it stays in \"{}\" mode): put it on a local "
                            "file system that supports shared memory",
                            mode),
                "", sql);
  }
}

void SqliteDriver::close() noexcept {
  statements_.clear();
  if (db_ != nullptr) sqlite3_close_v2(db_);
  db_ = nullptr;
  in_transaction_ = false;
  release_write_turn();
}

void SqliteDriver::reconnect() {
  close();
  open();
}

std::string SqliteDriver::server_version() {
  return std::string("SQLite ") + sqlite3_libversion();
}

std::size_t SqliteDriver::max_parameters() const {
  // A build may lower SQLite's limits: ask the library in use. Each parameter also costs its
  // placeholder text ("?12345, "), so the SQL length limit caps the count too. Never more than the
  // renderer's 32,766 even where a build allows more (Debian: 250,000): SQLite prepares numbered
  // placeholders (?NNN) in time quadratic in their count (2.6 s for 32,766; 10 s for 64,000).
  const std::size_t renderer_limit = upsert::max_parameters(Dialect::sqlite);
  if (db_ == nullptr) return renderer_limit;
  const auto variables = static_cast<std::size_t>(sqlite3_limit(db_, SQLITE_LIMIT_VARIABLE_NUMBER, -1));
  const auto by_length = static_cast<std::size_t>(sqlite3_limit(db_, SQLITE_LIMIT_SQL_LENGTH, -1)) / 16;
  return std::min({renderer_limit, variables, by_length});
}

int SqliteDriver::prepared_statement_count() const {
  if (db_ == nullptr) return 0;
  int count = 0;
  for (sqlite3_stmt* s = sqlite3_next_stmt(db_, nullptr); s != nullptr; s = sqlite3_next_stmt(db_, s)) ++count;
  return count;
}

sqlite3_stmt* SqliteDriver::prepare(const std::string& text) {
  if (db_ == nullptr) {
    throw Error(ErrorCategory::connection, "the SQLite connection is closed (re-opening it failed): reconnect", "",
                text);
  }
  if (SqliteStatement* kept = statements_.find(text)) return kept->get();
  return statements_.insert(text, prepare_statement(db_, text)).get();
}

ExecResult SqliteDriver::run_own(const std::string& text, const std::vector<Type>& result_types) {
  return run_statement(db_, prepare(text), text, {}, result_types);
}

ExecResult SqliteDriver::run(const std::string& text, std::span<const Value> params,
                             const std::vector<Type>& result_types) {
  // Preparing needs no write lock: done before the turn, so other threads write meanwhile.
  sqlite3_stmt* prepared = prepare(text);
  ExecResult result;
  {
    std::optional<ScopedWriteTurn> turn;
    if (sqlite3_stmt_readonly(prepared) == 0) turn.emplace(*this);
    result = run_statement(db_, prepared, text, params, result_types);
  }
  checkpoint_when_due();  // also when the turn could not be had (another process kept SQLite's lock)
  return result;
}

void SqliteDriver::run_script(std::string_view sql) {
  if (db_ == nullptr) {
    throw Error(ErrorCategory::connection, "the SQLite connection is closed (re-opening it failed): reconnect", "",
                std::string(sql));
  }
  const std::string text(sql);
  char* message = nullptr;
  if (sqlite3_exec(db_, text.c_str(), nullptr, nullptr, &message) != SQLITE_OK) {
    const std::string engine_message = message != nullptr ? message : sqlite3_errmsg(db_);
    sqlite3_free(message);
    throw sqlite_error(sqlite3_extended_errcode(db_), engine_message, text);
  }
  checkpoint_when_due();
}

void SqliteDriver::begin(bool for_write) {
  if (in_transaction()) {
    throw Error(ErrorCategory::invalid_argument,
                "a transaction is already open on this connection: commit() or rollback() it first");
  }
  // A write transaction takes the write lock now, waiting up to the busy timeout: a deferred one
  // would take it at its first write and fail at once (SQLITE_BUSY_SNAPSHOT) if another writer
  // committed since it started reading.
  // The turn is held until commit or rollback, as SQLite's write lock is.
  const bool took_turn = for_write && take_write_turn();
  try {
    run_own(for_write ? "BEGIN IMMEDIATE" : "BEGIN");
  } catch (...) {
    if (took_turn) release_write_turn();
    throw;
  }
  in_transaction_ = true;
}

void SqliteDriver::commit() {
  const bool engine_open = db_ != nullptr && sqlite3_get_autocommit(db_) == 0;
  if (!engine_open) {
    const bool was_ours = in_transaction_;
    in_transaction_ = false;
    throw Error(ErrorCategory::invalid_argument,
                was_ours ? "SQLite already rolled this transaction back after an error in it (disk full, I/O error, "
                           "out of memory): nothing was committed; run the transaction again"
                         : "no transaction is open: call begin() first");
  }
  try {
    run_own("COMMIT");
  } catch (const Error&) {
    // A busy COMMIT (rollback journal waiting for readers) leaves the transaction open.
    in_transaction_ = db_ != nullptr && sqlite3_get_autocommit(db_) == 0;
    if (!in_transaction_) release_write_turn();
    throw;
  }
  in_transaction_ = false;
  release_write_turn();
}

void SqliteDriver::rollback() {
  in_transaction_ = false;
  struct ReleaseAfter {
    SqliteDriver& driver;
    ~ReleaseAfter() { driver.release_write_turn(); }
  } release{*this};
  // After some errors SQLite has rolled back already; a second ROLLBACK would fail.
  if (db_ == nullptr || sqlite3_get_autocommit(db_) != 0) return;
  try {
    run_own("ROLLBACK");
  } catch (const Error&) {
    if (sqlite3_get_autocommit(db_) == 0) throw;
  }
}

bool SqliteDriver::in_transaction() const {
  return in_transaction_ || (db_ != nullptr && sqlite3_get_autocommit(db_) == 0);
}

}  // namespace upsert::detail
