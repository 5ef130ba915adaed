#pragma once
// One cell of the benchmark: one engine, one workload, one arm, one thread count. A cell makes a
// fresh table, runs its threads for a fixed time (or a fixed number of events), then checks that
// the table's sums equal the events sent. An unverified cell has no throughput.

#include <chrono>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "workload.hpp"

namespace upsert::bench {

/// The engines the benchmark runs on.
enum class Engine {
  sqlite,
  postgres,
  mariadb,
  galera,        ///< a three-node Galera cluster, thread i writing through node i % 3
  galera_1node,  ///< the same cluster, every thread writing through node 1
  spider,        ///< a Spider front over two backends, the table partitioned by KEY (hour)
};
/// "sqlite", "postgres", "mariadb", "galera", "galera-1node", "spider".
std::string_view engine_name(Engine engine);
/// Parses an engine name (also "postgresql", "pg"); throws Error(invalid_argument).
Engine parse_engine(std::string_view name);

/// The ways of applying the events that the benchmark compares.
enum class Arm {
  raw,              ///< hand-written upsert through the engine's C library: the baseline
  raw_values,       ///< hand-written batch of 1,000 events: one multi-row VALUES upsert (every engine)
  raw_unnest,       ///< hand-written batch of 1,000 events: one unnest-of-arrays upsert (PostgreSQL)
  raw_tx,           ///< hand-written batch of 1,000 events: one transaction of single-row upserts (SQLite)
  locking,          ///< BEGIN; SELECT ... FOR UPDATE; UPDATE or INSERT; COMMIT (Django's update_or_create)
  single,           ///< the library: Connection::execute of one single-row upsert per event
  prepared,         ///< the library: PreparedUpsert::execute of one row per event (rendered once)
  batch,            ///< the library: Connection::execute_batch of 1,000 events per call
  batch_processes,  ///< the same, each thread in a process of its own (PostgreSQL and MariaDB)
  writer,           ///< the library: one CounterWriter shared by all threads, add() per event
};
/// "raw", "raw-values", "raw-unnest", "raw-tx", "locking", "single", "prepared", "batch",
/// "batch-procs", "writer".
std::string_view arm_name(Arm arm);
/// Parses an arm name; throws Error(invalid_argument).
Arm parse_arm(std::string_view name);
/// Every arm, baseline first.
const std::vector<Arm>& all_arms();
/// The hand-written batch arms.
const std::vector<Arm>& raw_batch_arms();
/// False for a hand-written batch form the engine has not (unnest outside PostgreSQL, ...).
bool arm_applies(Arm arm, Engine engine);

/// Where an engine is: a server URL (postgresql://, mariadb://), or for SQLite a directory in which
/// each cell gets a fresh file.
struct EngineTarget {
  Engine engine = Engine::sqlite;         ///< the engine
  std::string location;                   ///< URL, or the SQLite directory
  std::vector<std::string> thread_urls;   ///< if not empty: thread i connects to thread_urls[i % size]
  std::vector<std::string> backend_urls;  ///< Spider: the backends the front's table is sharded over
};

/// What a cell runs.
struct CellSpec {
  Engine engine = Engine::sqlite;            ///< engine
  Workload workload = Workload::uniform;     ///< key space
  Arm arm = Arm::raw;                        ///< how events are applied
  int threads = 1;                           ///< threads, each with its own connection (writer: producers)
  std::chrono::milliseconds duration{1000};  ///< how long the threads produce events
  std::uint64_t events = 0;                  ///< if not 0: this many events in all, instead of a duration
  bool unique_key_table = false;             ///< MariaDB: the key as a UNIQUE key and no PRIMARY KEY (the old DDL)
};

/// What a cell measured.
struct CellResult {
  CellSpec spec;                                     ///< what ran
  bool verified = false;                             ///< the table's sums equal the events sent
  std::string failure;                               ///< why the cell failed; empty when verified
  double seconds = 0;                                ///< from the start signal to the last event applied
                                                     ///< (writer: to the end of close())
  std::uint64_t events = 0;                          ///< events applied (= participant increments)
  std::uint64_t conversions = 0;                     ///< of those, conversions
  std::uint64_t errors = 0;                          ///< engine errors the arm caught and retried
  std::map<std::string, std::uint64_t> error_codes;  ///< those errors by "category code"
  std::uint64_t library_retries = 0;                 ///< retries inside the library (Connection, writer)
  std::uint64_t writer_statements = 0;               ///< writer: database statements (ledger included)
  std::uint64_t writer_flushes = 0;                  ///< writer: flushes that wrote something
  std::uint64_t writer_flushed_rows = 0;             ///< writer: rows written (a key once per flush)
  std::vector<double> round_rates;                   ///< increments/s of each round, in run order
  double increments_per_s = 0;                       ///< the median of round_rates
  std::vector<float> call_micros;                    ///< every apply() call's wall time, microseconds
                                                     ///< (one call: 1 event single, 1,000 batch, 256 writer)
  /// Increments per second (the median over rounds); meaningful only when verified.
  double rate() const { return increments_per_s; }
};

/// Runs one round of a cell on a fresh table; never throws for a failure of the cell itself (it
/// is reported in the result).
CellResult run_cell(const CellSpec& spec, const EngineTarget& target);

/// Folds the rounds of one cell into one result: counts summed, the rate the median of the
/// rounds' rates, verified only if every round was.
CellResult merge_rounds(const std::vector<CellResult>& rounds);

/// The q-quantile (0..1) of a cell's call latencies in microseconds, or 0 when none were measured.
double call_latency(const CellResult& cell, double q);
/// The server version of an engine (opens and closes a connection); throws Error when unreachable.
std::string engine_version(const EngineTarget& target);

}  // namespace upsert::bench
