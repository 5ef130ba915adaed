// The SQLite connection: URL, opening with WAL and a busy timeout, transactions, and upserts whose
// inserted flag is worked out with a key lookup inside the same write transaction.

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <sqlite3.h>

#include <algorithm>
#include <charconv>
#include <chrono>
#include <filesystem>
#include <limits>
#include <map>
#include <set>
#include <thread>

#include "drivers/factories.hpp"
#include "drivers/sqlite/sqlite_driver.hpp"

namespace upsert::detail {

namespace {

constexpr std::string_view url_forms =
    "write sqlite:PATH (a relative or absolute file path) or sqlite::memory:, optionally followed by "
    "?busy_timeout_ms=N";

Error bad_url(std::string_view url, std::string_view why) {
  return Error(ErrorCategory::invalid_argument, fmt::format("bad SQLite URL \"{}\": {}; {}", url, why, url_forms));
}

int parse_busy_timeout(std::string_view url, std::string_view value) {
  int ms = 0;
  auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), ms);
  if (value.empty() || ec != std::errc() || end != value.data() + value.size() || ms < 0) {
    throw bad_url(url, fmt::format("busy_timeout_ms=\"{}\" is not a whole number of milliseconds (0 or more)", value));
  }
  return ms;
}

// The SQL text of one transaction statement, run through the statement cache like any other.
Sql plain_sql(std::string_view text) {
  return Sql{std::string(text), {}};
}

std::vector<Type> column_types(const Table& table, const std::vector<std::string>& columns) {
  std::vector<Type> types;
  types.reserve(columns.size());
  for (const auto& name : columns) types.push_back(table.column_named(name).type);
  return types;
}

// Where each conflict-key column sits among the RETURNING columns, or the missing columns' names.
std::vector<std::size_t> key_positions_in(const std::vector<std::string>& key,
                                          const std::vector<std::string>& returning,
                                          std::vector<std::string>& missing) {
  std::vector<std::size_t> positions;
  for (const auto& column : key) {
    auto it = std::find(returning.begin(), returning.end(), column);
    if (it == returning.end()) {
      missing.push_back(column);
    } else {
      positions.push_back(static_cast<std::size_t>(it - returning.begin()));
    }
  }
  return positions;
}

// The write-turn mutex of a database file, shared by every connection of the process to it.
std::shared_ptr<std::timed_mutex> write_turn_for(const std::string& path) {
  static std::mutex registry_mutex;
  static std::map<std::string, std::weak_ptr<std::timed_mutex>> registry;
  std::lock_guard lock(registry_mutex);
  auto& entry = registry[path];
  auto turn = entry.lock();
  if (!turn) {
    turn = std::make_shared<std::timed_mutex>();
    entry = turn;
  }
  return turn;
}

// SQLite caps expression depth at 1000 and the key lookup ORs one term per row, so look keys up a
// slice of rows at a time.
constexpr std::size_t key_lookup_rows = 250;

}  // namespace

SqliteUrl parse_sqlite_url(std::string_view url) {
  constexpr std::string_view scheme = "sqlite:";
  if (url.substr(0, scheme.size()) != scheme) throw bad_url(url, "it does not start with sqlite:");
  std::string_view rest = url.substr(scheme.size());
  const auto question = rest.find('?');
  const std::string_view path = rest.substr(0, question);
  if (path.empty()) throw bad_url(url, "the path is empty");
  if (path.substr(0, 2) == "//")
    throw bad_url(url, "the sqlite:// form is not read here (is \"//\" part of the path?)");
  SqliteUrl out;
  out.path = std::string(path);
  if (question == std::string_view::npos) return out;
  std::string_view query = rest.substr(question + 1);
  for (;;) {
    const auto amp = query.find('&');
    const std::string_view item = query.substr(0, amp);
    const auto eq = item.find('=');
    const std::string_view name = item.substr(0, eq);
    if (name != "busy_timeout_ms" || eq == std::string_view::npos) {
      throw bad_url(url, fmt::format("unknown parameter \"{}\" (the only one is busy_timeout_ms=N)", item));
    }
    out.busy_timeout_ms = parse_busy_timeout(url, item.substr(eq + 1));
    if (amp == std::string_view::npos) break;
    query = query.substr(amp + 1);
  }
  return out;
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
  if (!write_turn_ || holding_turn_.owns_lock()) return false;
  holding_turn_ = std::unique_lock(*write_turn_, std::defer_lock);
  return holding_turn_.try_lock_for(std::chrono::milliseconds(url_.busy_timeout_ms));
}

void SqliteDriver::release_write_turn() noexcept {
  if (holding_turn_.owns_lock()) holding_turn_.unlock();
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
  statements_.reset_handle(db_);
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
      execute_script("PRAGMA synchronous=NORMAL");  // durable at checkpoints; WAL keeps it consistent
      execute_script("PRAGMA foreign_keys=ON");
      return;
    } catch (const Error& e) {
      if (e.category() == ErrorCategory::retryable && std::chrono::steady_clock::now() < give_up) {
        std::this_thread::sleep_for(std::chrono::milliseconds(std::min(attempt, 20)));
        continue;
      }
      // The first read of the file finds out whether it is a database at all: name the file.
      close();
      throw Error(e.category(), fmt::format("opening \"{}\": {}", url_.path, e.what()), e.engine_code(), e.sql());
    }
  }
}

void SqliteDriver::set_journal_mode_wal() {
  // WAL lets readers run beside the one writer, and a commit appends instead of rewriting pages.
  const Sql sql = plain_sql("PRAGMA journal_mode=WAL");
  const auto rows = run(sql, {Type::text}).rows;
  const std::string mode = rows.empty() || rows[0].empty() || rows[0][0].is_null() ? "" : rows[0][0].as<std::string>();
  if (mode != "wal") {
    throw Error(ErrorCategory::connection,
                fmt::format("SQLite could not switch the file to WAL (it stays in \"{}\" mode): put it on a local "
                            "file system that supports shared memory",
                            mode),
                "", sql.text);
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

std::size_t SqliteDriver::max_batch_parameters() const {
  // A build may lower SQLite's limits: ask the library in use. Each parameter also costs its
  // placeholder text ("?12345, "), so the SQL length limit caps the count too. Never more than the
  // renderer's 32,766 even where a build allows more (Debian: 250,000): SQLite prepares numbered
  // placeholders (?NNN) in time quadratic in their count (2.6 s for 32,766; 10 s for 64,000).
  const std::size_t renderer_limit = max_parameters(Dialect::sqlite);
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

sqlite3_stmt* SqliteDriver::prepare(const Sql& sql) {
  if (db_ == nullptr) {
    throw Error(ErrorCategory::connection, "the SQLite connection is closed (re-opening it failed): reconnect", "",
                sql.text);
  }
  return statements_.get(sql.text);
}

ExecResult SqliteDriver::run(const Sql& sql, const std::vector<Type>& result_types) {
  return run_statement(db_, prepare(sql), sql, result_types);
}

ExecResult SqliteDriver::execute_sql(const Sql& sql, const std::vector<Type>& result_types) {
  return run(sql, result_types);
}

void SqliteDriver::execute_script(std::string_view sql) {
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
    run(plain_sql(for_write ? "BEGIN IMMEDIATE" : "BEGIN"), {});
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
    run(plain_sql("COMMIT"), {});
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
    run(plain_sql("ROLLBACK"), {});
  } catch (const Error&) {
    if (sqlite3_get_autocommit(db_) == 0) throw;
  }
}

bool SqliteDriver::in_transaction() const {
  return in_transaction_ || (db_ != nullptr && sqlite3_get_autocommit(db_) == 0);
}

ExecResult SqliteDriver::execute(const Upsert& statement, const RenderOptions& options) {
  if (statement.returns_inserted_flag()) {
    ScopedWriteTurn turn(*this);
    return execute_with_inserted_flag(statement, options);
  }
  // Rendering and preparing need no write lock: done before the turn, so other threads write
  // meanwhile.
  const Sql sql = render(statement, Dialect::sqlite, options);
  sqlite3_stmt* prepared = prepare(sql);
  ScopedWriteTurn turn(*this);
  return run_statement(db_, prepared, sql, column_types(statement.table(), statement.returning_columns()));
}

std::vector<Row> SqliteDriver::existing_keys(const Upsert& statement) {
  const auto key_types = column_types(statement.table(), statement.conflict_key().columns);
  const auto& rows = statement.row_values();
  if (rows.size() <= key_lookup_rows) return run(render_key_lookup(statement, Dialect::sqlite), key_types).rows;
  std::vector<Row> found;
  Upsert slice = statement;
  for (std::size_t start = 0; start < rows.size(); start += key_lookup_rows) {
    const std::size_t end = std::min(rows.size(), start + key_lookup_rows);
    slice.mutable_rows().assign(rows.begin() + static_cast<std::ptrdiff_t>(start),
                                rows.begin() + static_cast<std::ptrdiff_t>(end));
    auto part = run(render_key_lookup(slice, Dialect::sqlite), key_types).rows;
    found.insert(found.end(), std::make_move_iterator(part.begin()), std::make_move_iterator(part.end()));
  }
  return found;
}

ExecResult SqliteDriver::execute_with_inserted_flag(const Upsert& statement, const RenderOptions& options) {
  // SQLite's RETURNING cannot say whether a row was inserted: render without the flag (which also
  // validates the statement before any transaction starts) and look the keys up first.
  Upsert plain = statement;
  plain.returning_inserted_flag(false);
  const Sql sql = render(plain, Dialect::sqlite, options);
  const auto& returning = statement.returning_columns();
  const auto& key = statement.conflict_key().columns;
  const bool single_row = statement.row_values().size() == 1;

  // RETURNING rows come back in no particular order, so several rows can only be matched to their
  // flags by their keys.
  std::vector<std::string> missing;
  const auto key_in_returning = key_positions_in(key, returning, missing);
  if (!single_row && returning.empty()) {
    throw Error(ErrorCategory::unsupported,
                fmt::format("SQLite can report the inserted flag of a {}-row upsert only through RETURNING rows: "
                            "return the key columns ({}) too, or upsert one row at a time",
                            statement.row_values().size(), fmt::join(key, ", ")));
  }
  if (!single_row && !missing.empty()) {
    throw Error(ErrorCategory::unsupported,
                fmt::format("SQLite returns the rows of a multi-row upsert in no particular order, so the inserted "
                            "flag is matched to rows by key: add the key columns {} to returning()",
                            fmt::join(missing, ", ")));
  }

  // The key lookup matches key values only; for a partial key it would also find rows outside the
  // index's WHERE, which never conflict, and call an insert an update.
  if (statement.conflict_key().where) {
    throw Error(ErrorCategory::unsupported,
                fmt::format("SQLite cannot report the inserted flag when the conflict target is the partial unique "
                            "key \"{}\": leave out returning_inserted_flag(), or target a full unique key",
                            statement.conflict_key().name));
  }

  const bool own_transaction = !in_transaction();
  if (own_transaction) begin(true);
  std::vector<Row> existing;
  ExecResult result;
  try {
    existing = existing_keys(statement);
    result = run(sql, column_types(statement.table(), returning));
    if (own_transaction) commit();
  } catch (...) {
    if (own_transaction) rollback();
    throw;
  }

  if (single_row) {
    const bool inserted = existing.empty();
    if (returning.empty()) {
      // No RETURNING: a row was written unless DO NOTHING or a false WHERE kept the old one.
      if (result.affected_rows > 0) result.rows.push_back(Row{Value(inserted)});
      return result;
    }
    for (auto& row : result.rows) row.push_back(Value(inserted));
    return result;
  }
  // Keys are distinct within a statement (validation refuses repeats), so a key either existed
  // before the statement or was inserted by it.
  const std::set<Row> existed(existing.begin(), existing.end());
  for (auto& row : result.rows) {
    Row row_key;
    for (std::size_t p : key_in_returning) row_key.push_back(row[p]);
    row.push_back(Value(existed.count(row_key) == 0));
  }
  return result;
}

}  // namespace upsert::detail
