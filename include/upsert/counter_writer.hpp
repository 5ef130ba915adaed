#pragma once
/// The counter writer: add(key, deltas) from any number of threads, coalesced in memory and
/// flushed in batches by a background thread. A hot key costs one row per flush, not one
/// statement per event.
///
/// What can be lost: increments accepted since the last successful flush, if the process dies
/// (crash, kill -9, power loss) before close() returns. A flush interval of 100 ms bounds that
/// window to about 100 ms of events plus the flush itself; shrink it with a smaller
/// `flush_interval` or call flush() where an application needs a durable point. A flush whose
/// commit outcome is unknown (connection lost during COMMIT) is checked against a ledger row
/// written in the same transaction, so it is neither lost nor applied twice.
///
/// Exactly once across restarts: a writer made with `checkpointed = true` writes only what a
/// checkpoint(name, position) call sealed, and commits the position with that data. A program
/// that re-reads its input from read_checkpoint(name) after a crash neither misses nor repeats an
/// increment.

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "upsert/connection.hpp"
#include "upsert/error.hpp"
#include "upsert/export.hpp"
#include "upsert/schema.hpp"
#include "upsert/statement.hpp"
#include "upsert/value.hpp"

namespace upsert {

/// What add() does when the pending-key cap is reached and the key is not pending already.
enum class WhenFull {
  block,   ///< wait until a flush frees room
  refuse,  ///< return false at once; the caller decides
};

/// A key the writer could not write, with the deltas it held, and why.
struct WriterFailure {
  Row key;                 ///< the key columns' values
  Row values;              ///< the aggregated values that were not written
  ErrorCategory category;  ///< why (overflow, constraint, connection after give-up, ...)
  std::string message;     ///< the engine's message with the SQL context
};

/// How the writer aggregates and flushes.
struct CounterWriterOptions {
  std::vector<std::string> key;                          ///< key columns: a unique key of the table
  std::vector<std::string> sum;                          ///< columns to add up
  std::vector<std::string> max;                          ///< columns that keep the largest value
  std::vector<std::string> min;                          ///< columns that keep the smallest value
  std::vector<std::string> last;                         ///< columns that keep the latest value
  std::chrono::milliseconds flush_interval{100};         ///< a flush at least this often
  std::size_t flush_at_pending_keys = 50'000;            ///< a flush as soon as this many keys are pending
  std::size_t max_pending_keys = 1'000'000;              ///< the cap on keys held in memory (see pending_keys)
  WhenFull when_full = WhenFull::block;                  ///< behaviour at the cap
  std::size_t max_rows_per_statement = 1000;             ///< as BatchOptions::max_rows_per_statement
  std::chrono::milliseconds first_backoff{5};            ///< after a retryable failure or a lost connection
  std::chrono::milliseconds max_backoff{1000};           ///< the backoff doubles up to this
  std::chrono::seconds give_up_after{300};               ///< then the keys of a failing flush are reported
  std::string ledger_table = "upsert_writer_ledger";     ///< one row per writer: its last committed flush
  std::function<void(const WriterFailure&)> on_failure;  ///< called from the flush thread
  bool checkpointed = false;                             ///< write only what checkpoint() sealed, with its position
  std::string checkpoint_table = "upsert_writer_checkpoints";  ///< name -> position of the last committed checkpoint
};

/// Counters; a snapshot from stats().
struct WriterStats {
  std::uint64_t accepted = 0;                       ///< add() calls that were taken
  std::uint64_t merged = 0;                         ///< of those, the ones folded into a key already pending
  std::uint64_t refused = 0;                        ///< add() calls refused at the cap (WhenFull::refuse)
  std::uint64_t flushes = 0;                        ///< flushes that wrote something
  std::uint64_t flushed_rows = 0;                   ///< rows written (one per key per flush)
  std::uint64_t statements = 0;                     ///< upsert statements executed (ledger included)
  std::uint64_t retries = 0;                        ///< flush attempts after a retryable or connection error
  std::uint64_t failed_keys = 0;                    ///< keys reported as failed
  std::uint64_t ledger_checks = 0;                  ///< flushes whose commit outcome was unknown and was looked up
  std::uint64_t pending_keys = 0;                   ///< keys waiting for a flush, once per CPU that added to them
  std::chrono::microseconds last_flush_latency{0};  ///< duration of the last flush
  std::chrono::microseconds max_flush_latency{0};   ///< the longest flush so far
};

/// Thread-safe, coalescing counter writer over one table. Owns its connection and one flush thread.
class UPSERT_EXPORT CounterWriter {
 public:
  /// Starts the flush thread; creates the ledger table if it does not exist.
  CounterWriter(Connection connection, std::shared_ptr<const Table> table, CounterWriterOptions options);
  /// Closes (flushing everything); failures are reported through on_failure / take_failures only.
  ~CounterWriter();
  CounterWriter(const CounterWriter&) = delete;
  CounterWriter& operator=(const CounterWriter&) = delete;

  /// Adds `values` (one per aggregated column: sum, then max, min, last) to `key` (one per key
  /// column). Returns false when refused at the cap. Throws Error(invalid_argument) for a wrong
  /// arity or type, a NULL key, or after close(); Error(overflow) when a sum of the deltas held
  /// for the key on this CPU would overflow int64 (nothing is taken then).
  bool add(std::span<const Value> key, std::span<const Value> values);
  /// add() with braces: add({7, "B"}, {1, 0}).
  bool add(std::initializer_list<Value> key, std::initializer_list<Value> values);
  /// Blocks until everything accepted before the call is written (or reported as failed); on a
  /// checkpointed writer, everything sealed by a checkpoint() before the call.
  void flush();
  /// Seals a cut (checkpointed writers only): every increment added before this call is
  /// committed in one transaction with `position` stored under `name`, or in an earlier one;
  /// none added after it is. Does not wait for the commit (flush() does).
  void checkpoint(std::string name, std::string position);
  /// The position last committed under `name`, or nullopt (checkpointed writers only).
  std::optional<std::string> read_checkpoint(const std::string& name);
  /// Flushes everything, stops the thread and returns the final counters. Idempotent. Throws
  /// Error when keys failed and no on_failure callback was set (take_failures() lists them). A
  /// checkpointed writer does not write increments added after its last checkpoint(): they stay
  /// in `pending_keys`, and a program resuming from the checkpoint reads them again.
  WriterStats close();
  /// A snapshot of the counters.
  WriterStats stats() const;
  /// The failures so far (and forgets them).
  std::vector<WriterFailure> take_failures();
  /// The aggregated columns in the order add() takes their values.
  const std::vector<AggregateColumn>& value_columns() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace upsert
