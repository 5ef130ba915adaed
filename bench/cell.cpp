// The arms and the cell runner: fresh table, connections opened before the clock starts, threads
// released together, events until the deadline, then the sums checked against what was sent.

#include "cell.hpp"

#include <fmt/format.h>

#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstring>
#include <filesystem>
#include <latch>
#include <memory>
#include <optional>
#include <set>
#include <span>
#include <thread>

#include "raw_clients.hpp"
#include "statement/rows.hpp"

namespace upsert::bench {

using Clock = std::chrono::steady_clock;

std::string_view engine_name(Engine engine) {
  switch (engine) {
    case Engine::sqlite: return "sqlite";
    case Engine::postgres: return "postgres";
    case Engine::mariadb: return "mariadb";
    case Engine::galera: return "galera";
    case Engine::galera_1node: return "galera-1node";
    case Engine::spider: return "spider";
  }
  return "unknown";
}

Engine parse_engine(std::string_view name) {
  if (name == "sqlite") return Engine::sqlite;
  if (name == "postgres" || name == "postgresql" || name == "pg") return Engine::postgres;
  if (name == "mariadb") return Engine::mariadb;
  if (name == "galera") return Engine::galera;
  if (name == "galera-1node") return Engine::galera_1node;
  if (name == "spider") return Engine::spider;
  throw Error(
      ErrorCategory::invalid_argument,
      fmt::format("unknown engine \"{}\": use sqlite, postgres, mariadb, galera, galera-1node or spider", name));
}

std::string_view arm_name(Arm arm) {
  switch (arm) {
    case Arm::raw: return "raw";
    case Arm::raw_values: return "raw-values";
    case Arm::raw_unnest: return "raw-unnest";
    case Arm::raw_tx: return "raw-tx";
    case Arm::locking: return "locking";
    case Arm::single: return "single";
    case Arm::prepared: return "prepared";
    case Arm::batch: return "batch";
    case Arm::batch_processes: return "batch-procs";
    case Arm::writer: return "writer";
  }
  return "unknown";
}

Arm parse_arm(std::string_view name) {
  for (Arm arm : all_arms()) {
    if (arm_name(arm) == name) return arm;
  }
  throw Error(
      ErrorCategory::invalid_argument,
      fmt::format(
          "unknown arm \"{}\": use raw, raw-values, raw-unnest, raw-tx, locking, single, prepared, batch, batch-procs "
          "or writer",
          name));
}

const std::vector<Arm>& all_arms() {
  static const std::vector<Arm> arms{Arm::raw,    Arm::raw_values, Arm::raw_unnest, Arm::raw_tx,          Arm::locking,
                                     Arm::single, Arm::prepared,   Arm::batch,      Arm::batch_processes, Arm::writer};
  return arms;
}

const std::vector<Arm>& raw_batch_arms() {
  static const std::vector<Arm> arms{Arm::raw_values, Arm::raw_unnest, Arm::raw_tx};
  return arms;
}

bool arm_applies(Arm arm, Engine engine) {
  if (arm == Arm::raw_unnest) return engine == Engine::postgres;
  if (arm == Arm::raw_tx) return engine == Engine::sqlite;
  if (arm == Arm::batch_processes) return engine == Engine::postgres || engine == Engine::mariadb;
  return true;
}

namespace {

/// A failure that ends the cell: the cell is reported as failed with this message.
class CellFailure : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// An event is tried this often before the cell gives up on it.
constexpr int max_attempts_per_event = 100;

// Engine errors an arm met and retried, by "category code".
struct ErrorTally {
  std::map<std::string, std::uint64_t> codes;
  std::uint64_t total = 0;
  void add(const std::string& code) {
    ++codes[code];
    ++total;
  }
  void merge(const ErrorTally& other) {
    for (const auto& [code, n] : other.codes) codes[code] += n;
    total += other.total;
  }
};

// Error codes of the raw clients worth retrying: busy/locked (SQLite), serialization failure,
// deadlock and lock timeout (PostgreSQL SQLSTATE, MariaDB errno).
bool raw_transient(const std::string& code) {
  static const std::set<std::string> transient{"sqlite:5",   "sqlite:6",   "sqlite:261", "sqlite:517",
                                               "sqlite:773", "sqlite:262", "40001",      "40P01",
                                               "55P03",      "1213",       "1205"};
  return transient.count(code) != 0;
}

// Library errors worth retrying in the benchmark: transient ones, a lost connection before the
// statement was sent, and unique violations (two locking transactions inserting one new key).
bool library_transient(const Error& e) {
  return e.category() == ErrorCategory::retryable || e.category() == ErrorCategory::connection ||
         e.category() == ErrorCategory::constraint;
}

// Runs `attempt` until it succeeds, counting each error; throws CellFailure on an error that
// retrying cannot fix, or after max_attempts_per_event.
template <class F>
void until_done(ErrorTally& tally, F&& attempt) {
  for (int n = 1;; ++n) {
    try {
      attempt();
      return;
    } catch (const RawError& e) {
      tally.add(e.code());
      if (!raw_transient(e.code())) throw CellFailure(fmt::format("raw error {}: {}", e.code(), e.what()));
      if (n >= max_attempts_per_event) throw CellFailure(fmt::format("gave up after {} attempts: {}", n, e.what()));
    } catch (const Error& e) {
      tally.add(fmt::format("{} {}", category_name(e.category()), e.engine_code()));
      if (!library_transient(e)) {
        throw CellFailure(fmt::format("{} error {}: {}", category_name(e.category()), e.engine_code(), e.what()));
      }
      if (n >= max_attempts_per_event) throw CellFailure(fmt::format("gave up after {} attempts: {}", n, e.what()));
    }
    if (n > 3) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

// What every session of a cell shares.
struct CellContext {
  EngineTarget target;
  std::string url;  // library URL (sqlite:PATH for SQLite)
  std::string sqlite_path;
  std::string table_name;
  std::shared_ptr<const Table> table;
  std::vector<Key> keys;

  // The URL thread `index` connects to: its own Galera node, else the target's URL.
  const std::string& url_for(int index) const {
    if (target.thread_urls.empty()) return url;
    return target.thread_urls[static_cast<std::size_t>(index) % target.thread_urls.size()];
  }
};

// One thread's way of applying events, with its own connection, opened before the clock starts.
class Session {
 public:
  virtual ~Session() = default;
  // How many events one apply() takes.
  virtual std::size_t events_per_call() const { return 1; }
  // Applies every event or throws CellFailure.
  virtual void apply(std::span<const Event> events) = 0;
  // Retries done inside the library.
  virtual std::uint64_t library_retries() const { return 0; }
  // Errors this session caught and retried.
  const ErrorTally& tally() const { return tally_; }

 protected:
  ErrorTally tally_;
};

class RawSession final : public Session {
 public:
  RawSession(const CellContext& cell, int index) : keys_(cell.keys) {
    switch (cell.target.engine) {
      case Engine::sqlite: client_ = open_raw_sqlite(cell.sqlite_path, cell.table_name); break;
      case Engine::postgres: client_ = open_raw_postgres(cell.url, cell.table_name); break;
      case Engine::mariadb:
      case Engine::galera:
      case Engine::galera_1node:
      case Engine::spider: client_ = open_raw_mariadb(cell.url_for(index), cell.table_name); break;
    }
  }
  void apply(std::span<const Event> events) override {
    for (const Event& e : events) until_done(tally_, [&] { client_->upsert(keys_[e.key], e.converted); });
  }

 private:
  const std::vector<Key>& keys_;
  std::unique_ptr<RawClient> client_;
};

}  // namespace

std::vector<KeyDelta> merge_events(std::span<const Event> events) {
  std::vector<Event> sorted(events.begin(), events.end());
  std::sort(sorted.begin(), sorted.end(), [](const Event& a, const Event& b) { return a.key < b.key; });
  std::vector<KeyDelta> rows;
  for (const Event& e : sorted) {
    if (rows.empty() || rows.back().key != e.key) rows.push_back(KeyDelta{e.key, 0, 0});
    rows.back().participants += 1;
    rows.back().conversions += e.converted ? 1 : 0;
  }
  return rows;
}

namespace {

// A hand-written batch: the events merged per key, then one batch in the arm's form.
class RawBatchSession final : public Session {
 public:
  RawBatchSession(const CellContext& cell, RawBatchForm form, int index) : keys_(cell.keys) {
    switch (cell.target.engine) {
      case Engine::sqlite: client_ = open_raw_sqlite(cell.sqlite_path, cell.table_name, form); break;
      case Engine::postgres: client_ = open_raw_postgres(cell.url, cell.table_name, form); break;
      case Engine::mariadb:
      case Engine::galera:
      case Engine::galera_1node:
      case Engine::spider: client_ = open_raw_mariadb(cell.url_for(index), cell.table_name, form); break;
    }
  }
  std::size_t events_per_call() const override { return 1000; }
  void apply(std::span<const Event> events) override {
    const std::vector<KeyDelta> rows = merge_events(events);
    until_done(tally_, [&] { client_->upsert_batch(rows, keys_); });
  }

 private:
  const std::vector<Key>& keys_;
  std::unique_ptr<RawClient> client_;
};

// The library's connection, for the arms built on it.
class LibrarySession : public Session {
 public:
  LibrarySession(const CellContext& cell, int index) : keys_(cell.keys), connection_(connect(cell.url_for(index))) {}
  std::uint64_t library_retries() const override { return connection_.stats().retries; }

 protected:
  const std::vector<Key>& keys_;
  Connection connection_;
};

// Django's update_or_create: lock the row (or the database, on SQLite), read it, write it back.
class LockingSession final : public LibrarySession {
 public:
  LockingSession(const CellContext& cell, int index) : LibrarySession(cell, index) {
    const Dialect d = connection_.dialect();
    auto q = [&](std::string_view name) { return quote_identifier(name, d); };
    auto p = [&](int n) {
      if (d == Dialect::postgresql) return fmt::format("${}", n);
      if (d == Dialect::sqlite) return fmt::format("?{}", n);
      return std::string("?");
    };
    const std::string table = q(cell.table_name);
    const std::string key_at_1 = fmt::format("{} = {} AND {} = {} AND {} = {} AND {} = {}", q("ab_test_id"), p(1),
                                             q("version"), p(2), q("date"), p(3), q("hour"), p(4));
    const std::string key_at_3 = fmt::format("{} = {} AND {} = {} AND {} = {} AND {} = {}", q("ab_test_id"), p(3),
                                             q("version"), p(4), q("date"), p(5), q("hour"), p(6));
    // SQLite has no FOR UPDATE: BEGIN IMMEDIATE (begin(true)) already holds the write lock.
    select_ = fmt::format("SELECT {}, {} FROM {} WHERE {}{}", q("participants"), q("conversions"), table, key_at_1,
                          d == Dialect::sqlite ? "" : " FOR UPDATE");
    update_ = fmt::format("UPDATE {} SET {} = {}, {} = {} WHERE {}", table, q("participants"), p(1), q("conversions"),
                          p(2), key_at_3);
    insert_ = fmt::format("INSERT INTO {} ({}, {}, {}, {}, {}, {}) VALUES ({}, {}, {}, {}, {}, {})", table,
                          q("ab_test_id"), q("version"), q("date"), q("hour"), q("participants"), q("conversions"),
                          p(1), p(2), p(3), p(4), p(5), p(6));
  }

  void apply(std::span<const Event> events) override {
    for (const Event& e : events) until_done(tally_, [&] { read_modify_write(keys_[e.key], e.converted); });
  }

 private:
  void read_modify_write(const Key& key, bool converted) {
    const std::int64_t conversion = converted ? 1 : 0;
    connection_.begin(true);
    try {
      const auto rows = connection_.query(Sql{select_, key.values}, {Type::int64, Type::int64});
      if (rows.empty()) {
        Sql insert{insert_, key.values};
        insert.params.emplace_back(std::int64_t{1});
        insert.params.emplace_back(conversion);
        connection_.execute_sql(insert);
      } else {
        Sql update{update_, {rows[0][0].as<std::int64_t>() + 1, rows[0][1].as<std::int64_t>() + conversion}};
        update.params.insert(update.params.end(), key.values.begin(), key.values.end());
        connection_.execute_sql(update);
      }
      connection_.commit();
    } catch (...) {
      try {
        if (connection_.in_transaction()) connection_.rollback();
      } catch (const Error&) {
        // The connection is gone; the next begin() reports it.
      }
      throw;
    }
  }

  std::string select_, update_, insert_;
};

class SingleSession final : public LibrarySession {
 public:
  SingleSession(const CellContext& cell, int index) : LibrarySession(cell, index), statement_(ab_upsert(cell.table)) {
    // Built once; each event overwrites the one row's values (no allocation per event).
    statement_.row(event_row(cell.keys[0], false));
  }
  void apply(std::span<const Event> events) override {
    for (const Event& e : events) {
      Row& row = detail::StatementRows::rows(statement_)[0];
      const Key& key = keys_[e.key];
      std::copy(key.values.begin(), key.values.end(), row.begin());
      row[5] = Value(std::int64_t{e.converted ? 1 : 0});
      until_done(tally_, [&] { connection_.execute(statement_); });
    }
  }

 private:
  Upsert statement_;
};

class PreparedSession final : public LibrarySession {
 public:
  PreparedSession(const CellContext& cell, int index)
      : LibrarySession(cell, index),
        prepared_(connection_.prepare(ab_upsert(cell.table))),
        row_(event_row(cell.keys[0], false)) {}
  void apply(std::span<const Event> events) override {
    for (const Event& e : events) {
      const Key& key = keys_[e.key];
      std::copy(key.values.begin(), key.values.end(), row_.begin());
      row_[5] = Value(std::int64_t{e.converted ? 1 : 0});
      until_done(tally_, [&] { prepared_.execute(row_); });
    }
  }

 private:
  PreparedUpsert prepared_;
  Row row_;
};

class BatchSession final : public LibrarySession {
 public:
  BatchSession(const CellContext& cell, int index, BatchOptions options = {})
      : LibrarySession(cell, index), batch_(ab_upsert(cell.table)), options_(options) {}
  std::size_t events_per_call() const override { return 1000; }
  void apply(std::span<const Event> events) override {
    // Events in arrival (random) order, duplicates included: the library merges and sorts them.
    // The rows are built once and overwritten in place, as SingleSession reuses its one row: a
    // careful caller does not allocate 1,000 rows per batch.
    auto& rows = detail::StatementRows::rows(batch_);
    if (rows.size() != events.size()) rows.resize(events.size(), event_row(keys_[0], false));
    for (std::size_t i = 0; i < events.size(); ++i) {
      const Key& key = keys_[events[i].key];
      std::copy(key.values.begin(), key.values.end(), rows[i].begin());
      rows[i][5] = Value(std::int64_t{events[i].converted ? 1 : 0});
    }
    until_done(tally_, [&] { connection_.execute_batch(batch_, options_); });
  }

 private:
  Upsert batch_;
  BatchOptions options_;
};

class WriterSession final : public Session {
 public:
  WriterSession(const CellContext& cell, CounterWriter& writer) : keys_(cell.keys), writer_(writer) {}
  // add() is cheap: check the clock only every few hundred events.
  std::size_t events_per_call() const override { return 256; }
  void apply(std::span<const Event> events) override {
    static const Row plain{std::int64_t{1}, std::int64_t{0}};
    static const Row converted{std::int64_t{1}, std::int64_t{1}};
    for (const Event& e : events) {
      const Row& deltas = e.converted ? converted : plain;
      if (!writer_.add(std::span<const Value>(keys_[e.key].values), std::span<const Value>(deltas))) {
        throw CellFailure("the counter writer refused an event (it was configured to block)");
      }
    }
  }

 private:
  const std::vector<Key>& keys_;
  CounterWriter& writer_;
};

std::unique_ptr<Session> open_session(Arm arm, const CellContext& cell, CounterWriter* writer, int index) {
  switch (arm) {
    case Arm::raw: return std::make_unique<RawSession>(cell, index);
    case Arm::raw_values: return std::make_unique<RawBatchSession>(cell, RawBatchForm::values, index);
    case Arm::raw_unnest: return std::make_unique<RawBatchSession>(cell, RawBatchForm::unnest, index);
    case Arm::raw_tx: return std::make_unique<RawBatchSession>(cell, RawBatchForm::transaction, index);
    case Arm::locking: return std::make_unique<LockingSession>(cell, index);
    case Arm::single: return std::make_unique<SingleSession>(cell, index);
    case Arm::prepared: return std::make_unique<PreparedSession>(cell, index);
    case Arm::batch: return std::make_unique<BatchSession>(cell, index);
    // Processes take turns through the server (an advisory lock), as threads take them in the client.
    case Arm::batch_processes:
      return std::make_unique<BatchSession>(cell, index, BatchOptions{.take_turns_across_processes = true});
    case Arm::writer: return std::make_unique<WriterSession>(cell, *writer);
  }
  throw CellFailure("unknown arm");
}

// What one thread did.
struct ThreadOutcome {
  std::unique_ptr<Session> session;  // kept alive past the clock: closing connections is not measured
  std::uint64_t events = 0;
  std::uint64_t conversions = 0;
  std::vector<float> call_micros;
  std::string failure;
};

// Shared between the threads of a cell and the thread that times them.
struct StartLine {
  explicit StartLine(int threads) : ready(threads), go(1) {}
  std::latch ready;                // every thread has connected
  std::latch go;                   // the clock has started
  Clock::time_point deadline;      // written before `go` opens
  std::atomic<bool> abort{false};  // a thread failed: the others stop too
};

void produce(const CellSpec& spec, const CellContext& cell, CounterWriter* writer, int index, StartLine& line,
             ThreadOutcome& out) {
  try {
    out.session = open_session(spec.arm, cell, writer, index);
  } catch (const std::exception& e) {
    out.failure = fmt::format("opening the {} session: {}", arm_name(spec.arm), e.what());
    line.abort = true;
  }
  line.ready.count_down();
  line.go.wait();
  if (!out.session || line.abort) return;

  const auto threads = static_cast<std::uint64_t>(spec.threads);
  const std::uint64_t quota =
      spec.events == 0 ? 0 : spec.events / threads + (static_cast<std::uint64_t>(index) < spec.events % threads);
  EventStream stream(static_cast<std::uint32_t>(cell.keys.size()), static_cast<std::uint64_t>(index) * 7919 + 17);
  std::vector<Event> buffer(out.session->events_per_call());
  try {
    while (!line.abort.load(std::memory_order_relaxed)) {
      std::size_t n = buffer.size();
      if (spec.events != 0) {
        if (out.events >= quota) break;
        n = static_cast<std::size_t>(std::min<std::uint64_t>(n, quota - out.events));
      } else if (Clock::now() >= line.deadline) {
        break;
      }
      std::uint64_t conversions = 0;
      for (std::size_t i = 0; i < n; ++i) {
        buffer[i] = stream.next();
        conversions += buffer[i].converted ? 1 : 0;
      }
      const Clock::time_point called = Clock::now();
      out.session->apply(std::span<const Event>(buffer.data(), n));
      out.call_micros.push_back(std::chrono::duration<float, std::micro>(Clock::now() - called).count());
      out.events += n;
      out.conversions += conversions;
    }
  } catch (const std::exception& e) {
    out.failure = e.what();
    line.abort = true;
  }
}

std::string fresh_sqlite_path(const std::string& table_name) {
  const auto dir = std::filesystem::temp_directory_path() / "upsert-bench";
  std::filesystem::create_directories(dir);
  return (dir / (table_name + ".db")).string();
}

void remove_sqlite_files(const std::string& path) {
  std::error_code ignored;
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path + suffix, ignored);
}

std::string next_table_name() {
  static std::atomic<int> counter{0};
  return fmt::format("ab_bench_{}_{}", ::getpid() % 100000, counter++);
}

CellContext make_context(const CellSpec& spec, const EngineTarget& target) {
  CellContext cell;
  cell.target = target;
  cell.table_name = next_table_name();
  if (target.engine == Engine::sqlite) {
    cell.sqlite_path = fresh_sqlite_path(cell.table_name);
    remove_sqlite_files(cell.sqlite_path);
    cell.url = "sqlite:" + cell.sqlite_path;
  } else {
    cell.url = target.location;
  }
  cell.table = ab_table(cell.table_name);
  cell.keys = key_space(spec.workload);
  return cell;
}

CounterWriterOptions writer_options(const CellContext& cell) {
  CounterWriterOptions options;
  options.key = key_columns();
  options.sum = {"participants", "conversions"};
  options.ledger_table = cell.table_name + "_ledger";  // per cell: nothing shared with other runs
  return options;
}

// Checks the table's sums against what the threads sent; returns the failure, or "" when they match.
std::string verify(Connection& admin, const CellContext& cell, std::uint64_t events, std::uint64_t conversions) {
  const Dialect d = admin.dialect();
  const Sql sums{fmt::format("SELECT SUM({}), SUM({}) FROM {}", quote_identifier("participants", d),
                             quote_identifier("conversions", d), quote_identifier(cell.table_name, d)),
                 {}};
  const auto rows = admin.query(sums, {Type::int64, Type::int64});
  auto value = [&](std::size_t column) -> std::int64_t {
    if (rows.empty() || rows[0][column].is_null()) return 0;
    return rows[0][column].as<std::int64_t>();
  };
  const std::int64_t participants = value(0);
  const std::int64_t converted = value(1);
  if (participants == static_cast<std::int64_t>(events) && converted == static_cast<std::int64_t>(conversions)) {
    return "";
  }
  return fmt::format(
      "verification failed: SUM(participants) = {} for {} events sent, SUM(conversions) = {} for {} sent", participants,
      events, converted, conversions);
}

void drop_tables(Connection& admin, const CellContext& cell, bool with_ledger) {
  const Dialect d = admin.dialect();
  admin.execute_script("DROP TABLE IF EXISTS " + quote_identifier(cell.table_name, d));
  if (with_ledger) admin.execute_script("DROP TABLE IF EXISTS " + quote_identifier(cell.table_name + "_ledger", d));
  for (const auto& url : cell.target.backend_urls) {
    Connection backend = connect(url);
    backend.execute_script("DROP TABLE IF EXISTS " + quote_identifier(cell.table_name, d));
  }
}

// The library's CREATE TABLE for the cell's table (a single statement on MySQL/MariaDB).
std::string library_ddl(Dialect dialect, const CellContext& cell) {
  const std::vector<std::string> statements = create_table_sql(*cell.table, dialect);
  if (statements.size() != 1) throw CellFailure("expected one CREATE TABLE statement for " + cell.table_name);
  return statements.front();
}

// The library's DDL with its PRIMARY KEY turned into a UNIQUE key: the table shape the library
// created before it made the conflict key the primary key (InnoDB then clusters on a hidden row id).
void create_unique_key_table(Connection& admin, const CellContext& cell) {
  std::string ddl = library_ddl(admin.dialect(), cell);
  const auto at = ddl.find("PRIMARY KEY");
  if (at == std::string::npos) throw CellFailure("the library's DDL has no PRIMARY KEY to turn into a UNIQUE key");
  ddl.replace(at, std::string_view("PRIMARY KEY").size(), "UNIQUE KEY `ab_key`");
  admin.execute_script(ddl);
}

// Spider: the library's table on every backend, and on the front a Spider table over them,
// partitioned by KEY (hour) so that both workloads spread over both backends (the servers b1 and
// b2 are defined on the front by scripts/cluster-servers.sh).
void create_spider_table(Connection& front, const CellContext& cell) {
  for (const auto& url : cell.target.backend_urls) {
    Connection backend = connect(url);
    backend.create_table(*cell.table);
  }
  std::string ddl = library_ddl(front.dialect(), cell);
  const auto body_end = ddl.rfind(')');
  if (body_end == std::string::npos) throw CellFailure("unexpected CREATE TABLE statement: " + ddl);
  ddl.resize(body_end + 1);
  ddl += fmt::format(
      " ENGINE=SPIDER COMMENT='wrapper \"mysql\", table \"{}\"' PARTITION BY KEY (`hour`) "
      "(PARTITION p1 COMMENT = 'srv \"b1\"', PARTITION p2 COMMENT = 'srv \"b2\"')",
      cell.table_name);
  front.execute_script(ddl);
}

// What a process of the batch-procs arm reports to the cell: its thread's counts, then its failure.
struct ProcessReport {
  std::uint64_t events = 0;
  std::uint64_t conversions = 0;
  std::uint64_t errors = 0;
  std::uint64_t library_retries = 0;
  std::uint64_t failure_length = 0;  // followed by that many bytes of text
};

// Writes all of `size` bytes (a pipe takes them in pieces), or gives up on an error.
void write_all(int fd, const void* data, std::size_t size) {
  const char* p = static_cast<const char*>(data);
  while (size > 0) {
    const ssize_t n = ::write(fd, p, size);
    if (n <= 0) return;
    p += n;
    size -= static_cast<std::size_t>(n);
  }
}
bool read_all(int fd, void* data, std::size_t size) {
  char* p = static_cast<char*>(data);
  while (size > 0) {
    const ssize_t n = ::read(fd, p, size);
    if (n <= 0) return false;
    p += n;
    size -= static_cast<std::size_t>(n);
  }
  return true;
}

// The batch-procs arm: spec.threads processes of one producer each (forked before any thread or
// connection of this cell exists), released together through a pipe, each reporting its counts
// through another. Separate processes share nothing in the client: no batch turns, no allocator.
void run_processes(const CellSpec& spec, const CellContext& cell, Connection& admin, CellResult& result) {
  int go[2], reports[2], ready[2];
  if (::pipe(go) != 0 || ::pipe(reports) != 0 || ::pipe(ready) != 0) throw CellFailure("pipe() failed");
  std::vector<pid_t> children;
  for (int i = 0; i < spec.threads; ++i) {
    const pid_t pid = ::fork();
    if (pid < 0) throw CellFailure("fork() failed");
    if (pid == 0) {
      // The child: one producer (index i), its own connection. It never touches the parent's
      // connections and leaves with _exit, so no destructor of theirs runs here.
      ::close(go[1]);
      ::close(reports[0]);
      ::close(ready[0]);
      StartLine line(1);
      ThreadOutcome out;
      std::thread producer(produce, std::cref(spec), std::cref(cell), nullptr, i, std::ref(line), std::ref(out));
      line.ready.wait();
      write_all(ready[1], "r", 1);
      char byte;
      (void)::read(go[0], &byte, 1);  // EOF when the parent closes its end: the start
      line.deadline = Clock::now() + spec.duration;
      line.go.count_down();
      producer.join();
      const std::string failure = out.failure.substr(0, 256);
      ProcessReport report{out.events, out.conversions, 0, 0, failure.size()};
      if (out.session) {
        report.errors = out.session->tally().total;
        report.library_retries = out.session->library_retries();
      }
      out.session.reset();  // closes its connection
      // One write, under a pipe's atomic size, so that reports of processes do not interleave.
      std::string message(reinterpret_cast<const char*>(&report), sizeof report);
      message += failure;
      write_all(reports[1], message.data(), message.size());
      ::_exit(0);
    }
    children.push_back(pid);
  }
  ::close(go[0]);
  ::close(reports[1]);
  ::close(ready[1]);
  for (std::size_t i = 0; i < children.size(); ++i) {
    char byte;
    if (!read_all(ready[0], &byte, 1)) break;  // a child that died before connecting
  }
  ::close(ready[0]);
  const Clock::time_point start = Clock::now();
  ::close(go[1]);
  std::uint64_t errors = 0;
  for (std::size_t i = 0; i < children.size(); ++i) {
    ProcessReport report;
    if (!read_all(reports[0], &report, sizeof report)) {
      if (result.failure.empty()) result.failure = "a producer process died without reporting";
      break;
    }
    std::string failure(report.failure_length, '\0');
    if (!failure.empty()) read_all(reports[0], failure.data(), failure.size());
    result.events += report.events;
    result.conversions += report.conversions;
    errors += report.errors;
    result.library_retries += report.library_retries;
    if (result.failure.empty() && !failure.empty()) result.failure = failure;
  }
  result.seconds = std::chrono::duration<double>(Clock::now() - start).count();
  ::close(reports[0]);
  for (pid_t pid : children) ::waitpid(pid, nullptr, 0);
  result.errors = errors;
  if (result.failure.empty()) result.failure = verify(admin, cell, result.events, result.conversions);
  result.verified = result.failure.empty();
}

void run_threads(const CellSpec& spec, const CellContext& cell, Connection& admin, CellResult& result) {
  if (spec.arm == Arm::batch_processes) {
    run_processes(spec, cell, admin, result);
    return;
  }
  std::unique_ptr<CounterWriter> writer;
  if (spec.arm == Arm::writer)
    writer = std::make_unique<CounterWriter>(connect(cell.url), cell.table, writer_options(cell));

  StartLine line(spec.threads);
  std::vector<ThreadOutcome> outcomes(static_cast<std::size_t>(spec.threads));
  std::vector<std::thread> threads;
  threads.reserve(outcomes.size());
  for (int i = 0; i < spec.threads; ++i) {
    threads.emplace_back(produce, std::cref(spec), std::cref(cell), writer.get(), i, std::ref(line),
                         std::ref(outcomes[static_cast<std::size_t>(i)]));
  }
  line.ready.wait();
  const Clock::time_point start = Clock::now();
  line.deadline = start + spec.duration;
  line.go.count_down();
  for (auto& t : threads) t.join();

  std::optional<WriterStats> writer_stats;
  std::string writer_failure;
  if (writer) {
    try {
      writer_stats = writer->close();
    } catch (const std::exception& e) {
      writer_failure = fmt::format("CounterWriter::close(): {}", e.what());
    }
  }
  result.seconds = std::chrono::duration<double>(Clock::now() - start).count();

  ErrorTally tally;
  for (auto& out : outcomes) {
    result.events += out.events;
    result.conversions += out.conversions;
    if (out.session) {
      tally.merge(out.session->tally());
      result.library_retries += out.session->library_retries();
    }
    if (result.failure.empty() && !out.failure.empty()) result.failure = out.failure;
    result.call_micros.insert(result.call_micros.end(), out.call_micros.begin(), out.call_micros.end());
  }
  outcomes.clear();  // closes the connections, after the clock stopped
  result.errors = tally.total;
  result.error_codes = tally.codes;
  if (result.failure.empty()) result.failure = writer_failure;
  if (writer_stats) {
    result.writer_statements = writer_stats->statements;
    result.writer_flushes = writer_stats->flushes;
    result.writer_flushed_rows = writer_stats->flushed_rows;
    result.library_retries += writer_stats->retries;
    if (result.failure.empty() && writer_stats->accepted != result.events) {
      result.failure = fmt::format("the writer accepted {} increments, the producers sent {}", writer_stats->accepted,
                                   result.events);
    }
  }
  if (result.failure.empty()) result.failure = verify(admin, cell, result.events, result.conversions);
  result.verified = result.failure.empty();
}

}  // namespace

CellResult run_cell(const CellSpec& spec, const EngineTarget& target) {
  CellResult result;
  result.spec = spec;
  CellContext cell;
  try {
    cell = make_context(spec, target);
    Connection admin = connect(cell.url);
    drop_tables(admin, cell, spec.arm == Arm::writer);
    if (target.engine == Engine::spider) {
      create_spider_table(admin, cell);
    } else if (spec.unique_key_table) {
      create_unique_key_table(admin, cell);
    } else {
      admin.create_table(*cell.table);
    }
    try {
      run_threads(spec, cell, admin, result);
    } catch (const std::exception& e) {
      result.failure = e.what();
      result.verified = false;
    }
    drop_tables(admin, cell, spec.arm == Arm::writer);
  } catch (const std::exception& e) {
    if (result.failure.empty()) result.failure = e.what();
    result.verified = false;
  }
  if (!cell.sqlite_path.empty()) remove_sqlite_files(cell.sqlite_path);
  if (result.seconds > 0) result.increments_per_s = static_cast<double>(result.events) / result.seconds;
  result.round_rates = {result.increments_per_s};
  return result;
}

CellResult merge_rounds(const std::vector<CellResult>& rounds) {
  CellResult merged;
  if (rounds.empty()) return merged;
  merged.spec = rounds.front().spec;
  merged.verified = true;
  merged.round_rates.clear();
  for (const auto& r : rounds) {
    merged.verified = merged.verified && r.verified;
    if (merged.failure.empty() && !r.failure.empty()) merged.failure = r.failure;
    merged.seconds += r.seconds;
    merged.events += r.events;
    merged.conversions += r.conversions;
    merged.errors += r.errors;
    for (const auto& [code, n] : r.error_codes) merged.error_codes[code] += n;
    merged.library_retries += r.library_retries;
    merged.writer_statements += r.writer_statements;
    merged.writer_flushes += r.writer_flushes;
    merged.writer_flushed_rows += r.writer_flushed_rows;
    merged.round_rates.push_back(r.increments_per_s);
    merged.call_micros.insert(merged.call_micros.end(), r.call_micros.begin(), r.call_micros.end());
  }
  // The median resists a round slowed down by whatever else the machine was doing.
  std::vector<double> sorted = merged.round_rates;
  std::sort(sorted.begin(), sorted.end());
  const std::size_t mid = sorted.size() / 2;
  merged.increments_per_s = sorted.size() % 2 == 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  return merged;
}

double call_latency(const CellResult& cell, double q) {
  if (cell.call_micros.empty()) return 0;
  std::vector<float> sorted = cell.call_micros;
  const auto at = static_cast<std::size_t>(q * static_cast<double>(sorted.size() - 1) + 0.5);
  std::nth_element(sorted.begin(), sorted.begin() + static_cast<std::ptrdiff_t>(at), sorted.end());
  return sorted[at];
}

std::string engine_version(const EngineTarget& target) {
  if (target.engine == Engine::sqlite) {
    const std::string path = fresh_sqlite_path("version_check");
    std::string version;
    {
      Connection c = connect("sqlite:" + path);
      version = c.server_version();
    }
    remove_sqlite_files(path);
    return version;
  }
  return connect(target.location).server_version();
}

}  // namespace upsert::bench
