// The counter writer. Producers fold deltas into in-memory maps, one per CPU (a lane); one flush
// thread swaps the maps out, folds the lanes' copies of a key into one row, and writes them
// through the batch path inside a transaction that also records the flush in a ledger row, so a
// flush whose COMMIT outcome is unknown can be checked instead of being lost or applied twice.
//
// Lanes follow CPUs, not keys: with keys spread over locks shared by all producers, two cores
// passed every lock and map node back and forth (perf: mutex lock and unlock 32% of samples with
// 8 producers on 2 cores, add() 24% mostly on nodes the other core wrote last). A lane's lock
// and nodes stay in its CPU's cache; a key can be pending in several lanes, and the flush adds
// those up.
//
// Every swap of the maps is a cut: all lanes are locked at once, so an add() lands wholly
// before or wholly after it. A checkpointed writer cuts only where its caller calls checkpoint(),
// and commits the caller's position with exactly the increments before that cut.

#include "upsert/counter_writer.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <sched.h>
#include <algorithm>
#include <array>
#include <atomic>
#include <condition_variable>
#include <deque>
#include <mutex>
#include <random>
#include <thread>
#include <unordered_map>

#include "render/select.hpp"
#include "session/retry.hpp"
#include "statement/aggregate.hpp"
#include "statement/rows.hpp"
#include "statement/validate.hpp"
#include "upsert/render.hpp"
#include "upsert/statement.hpp"

namespace upsert {

namespace {

using Clock = std::chrono::steady_clock;

std::size_t hash_value(const Value& v) {
  struct Hasher {
    std::size_t operator()(std::monostate) const { return 0x9e3779b9u; }
    std::size_t operator()(std::int64_t x) const { return std::hash<std::int64_t>{}(x); }
    std::size_t operator()(double x) const { return std::hash<double>{}(x); }
    std::size_t operator()(bool x) const { return x ? 1u : 2u; }
    std::size_t operator()(const std::string& x) const { return std::hash<std::string>{}(x); }
    std::size_t operator()(const Date& x) const { return std::hash<std::int64_t>{}(x.days_since_epoch()); }
    std::size_t operator()(const Timestamp& x) const { return std::hash<std::int64_t>{}(x.micros_since_epoch); }
    std::size_t operator()(const Bytes& x) const {
      return std::hash<std::string_view>{}(
          std::string_view(reinterpret_cast<const char*>(x.data.data()), x.data.size()));
    }
  };
  return std::visit(Hasher{}, v.storage()) ^ (v.storage().index() * 0x85ebca6bu);
}

// Hash and equality over a key given as a span, so that looking up a pending key needs no copy.
struct KeyHash {
  using is_transparent = void;
  std::size_t operator()(std::span<const Value> key) const {
    std::size_t h = 1469598103934665603u;
    for (const auto& v : key) h = (h ^ hash_value(v)) * 1099511628211u;
    return h;
  }
  std::size_t operator()(const Row& key) const { return (*this)(std::span<const Value>(key)); }
};
struct KeyEqual {
  using is_transparent = void;
  bool operator()(std::span<const Value> a, std::span<const Value> b) const {
    return std::equal(a.begin(), a.end(), b.begin(), b.end());
  }
  bool operator()(const Row& a, std::span<const Value> b) const { return (*this)(std::span<const Value>(a), b); }
  bool operator()(std::span<const Value> a, const Row& b) const { return (*this)(a, std::span<const Value>(b)); }
  bool operator()(const Row& a, const Row& b) const { return a == b; }
};

// A key's aggregated deltas, and when the newest of them was added (only on a writer with `last`
// columns: when lanes are folded, the newest value of a `last` column wins).
struct Pending {
  Row values;
  std::int64_t stamp = 0;
};

using PendingMap = std::unordered_map<Row, Pending, KeyHash, KeyEqual>;

// The pending keys of the producers running on one CPU, with their own lock. The lock is nearly
// always free (only a producer preempted or moved to another CPU inside add() makes another wait).
struct alignas(64) Lane {
  std::mutex mutex;
  PendingMap pending;
  // add() calls this lane took, and of those the ones merged into a pending key. Counted here,
  // under the lock add() holds anyway: one shared atomic counter for all producers was 41% of
  // add()'s samples with 8 producers (perf annotate: the cache line moving between cores).
  std::uint64_t accepted = 0, merged = 0;
};

// One lane per CPU the machine has.
std::size_t lane_count() {
  return std::max(1u, std::thread::hardware_concurrency());
}

// The lane of the CPU this thread runs on (it may move on at once: the lane's lock keeps it correct).
std::size_t current_lane(std::size_t lanes) {
  const int cpu = sched_getcpu();
  return cpu < 0 ? 0 : static_cast<std::size_t>(cpu) % lanes;
}

// A caller's position, committed under its name together with the increments before it.
struct Checkpoint {
  std::string name, position;
};

// The pending keys taken out at one cut (by lane, as they were held), and the checkpoint that
// asked for the cut, if any.
struct Sealed {
  std::vector<PendingMap> lanes;
  std::optional<Checkpoint> checkpoint;
};

std::string random_writer_id() {
  std::random_device device;
  std::uint64_t bits = (std::uint64_t{device()} << 32) ^ device();
  return fmt::format("w{:016x}", bits);
}

}  // namespace

struct CounterWriter::Impl {
  Impl(Connection c, std::shared_ptr<const Table> t, CounterWriterOptions o);
  void run_flush_thread();
  void seal(std::optional<Checkpoint> checkpoint);
  std::vector<Sealed> take_sealed();
  void write_sealed(std::vector<Sealed> cuts);
  void fold_cut(std::vector<PendingMap>& layers, Sealed& cut);
  void fold(std::vector<PendingMap>& layers, const Row& key, Pending pending);
  bool combine_into(Pending& into, const Pending& other);
  bool add_where_pending(std::span<const Value> key, std::span<const Value> values, std::size_t skip_lane);
  void combine_in_lane(Lane& lane, Pending& stored, std::span<const Value> values);
  void write(std::vector<Row> rows, const Checkpoint* checkpoint);
  void write_with_ledger(std::span<const Row> rows, const Checkpoint* checkpoint, std::int64_t depth);
  std::size_t unsealed_keys();
  bool committed(std::int64_t seq);
  void reconnect_until(Clock::time_point deadline);
  void back_off(int failed_attempts);
  void report(std::span<const Row> rows, const Error& error);
  bool add(std::span<const Value> key, std::span<const Value> values);

  Connection connection;
  std::shared_ptr<const Table> table;
  CounterWriterOptions options;
  std::vector<AggregateColumn> aggregates;
  bool has_last = false;  // a `last` column: pending values carry the time they were added
  std::vector<const Column*> key_columns, value_columns;
  std::shared_ptr<const Table> ledger;
  std::shared_ptr<const Table> checkpoints;  // only on a checkpointed writer
  // Held by whoever uses `connection`: the flush thread, and read_checkpoint() from the caller.
  std::mutex connection_mutex;
  std::string writer_id = random_writer_id();
  std::int64_t flush_seq = 0;
  Upsert template_statement;

  std::vector<Lane> lanes = std::vector<Lane>(lane_count());
  // Keys pending in the lanes (a key pending in two lanes counts twice: it takes memory twice).
  std::atomic<std::size_t> pending_keys{0};
  Row fold_scratch;                      // the flush thread's
  std::atomic<std::uint64_t> folded{0};  // keys pending in several lanes, folded into one row by a flush
  // Cuts waiting for the flush thread, oldest first; cut_mutex keeps their order that of the cuts.
  std::mutex cut_mutex;
  std::deque<Sealed> sealed;

  // The flush thread's schedule: requests, completions, closing.
  std::mutex schedule_mutex;
  std::condition_variable wake_flusher;
  std::condition_variable flush_done;
  std::condition_variable room;
  std::uint64_t requested = 0;
  std::uint64_t completed = 0;
  bool closing = false;
  std::atomic<bool> closed{false};
  std::thread flusher;

  std::mutex failures_mutex;
  std::vector<WriterFailure> failures;

  std::atomic<std::uint64_t> refused{0}, flushes{0}, flushed_rows{0}, statements{0}, retries{0}, failed_keys{0},
      ledger_checks{0};
  std::atomic<std::int64_t> last_latency_us{0}, max_latency_us{0};
};

CounterWriter::Impl::Impl(Connection c, std::shared_ptr<const Table> t, CounterWriterOptions o)
    : connection(std::move(c)), table(std::move(t)), options(std::move(o)), template_statement(table) {
  auto add_all = [&](const std::vector<std::string>& columns, Aggregate a) {
    for (const auto& name : columns) aggregates.push_back({name, a});
  };
  add_all(options.sum, Aggregate::sum);
  add_all(options.max, Aggregate::max);
  add_all(options.min, Aggregate::min);
  add_all(options.last, Aggregate::last);
  has_last = !options.last.empty();
  if (options.key.empty()) throw Error(ErrorCategory::invalid_argument, "CounterWriter needs key columns");
  if (aggregates.empty()) {
    throw Error(ErrorCategory::invalid_argument, "CounterWriter needs aggregated columns (sum, max, min or last)");
  }
  std::vector<std::string> columns = options.key;
  for (const auto& k : options.key) key_columns.push_back(&table->column_named(k));
  for (const auto& a : aggregates) {
    value_columns.push_back(&table->column_named(a.column));
    columns.push_back(a.column);
  }
  // Validates the whole shape once (unknown columns, key not unique) before any add().
  template_statement.columns(columns).on_conflict(options.key).do_update(aggregate_assignments(aggregates));

  ledger = std::make_shared<const Table>(Table(options.ledger_table)
                                             .column("writer_id", Type::text)
                                             .column("flush_seq", Type::int64, not_null)
                                             .unique_key({"writer_id"}));
  connection.create_table(*ledger);
  if (options.checkpointed) {
    checkpoints = std::make_shared<const Table>(Table(options.checkpoint_table)
                                                    .column("name", Type::text)
                                                    .column("position", Type::text, not_null)
                                                    .unique_key({"name"}));
    connection.create_table(*checkpoints);
  }
  flusher = std::thread([this] { run_flush_thread(); });
}

bool CounterWriter::Impl::add(std::span<const Value> key, std::span<const Value> values) {
  const auto after_close = [] {
    return Error(ErrorCategory::invalid_argument, "add() after close(): the writer no longer accepts increments");
  };
  if (closed.load(std::memory_order_relaxed)) throw after_close();
  if (key.size() != key_columns.size() || values.size() != value_columns.size()) {
    throw Error(
        ErrorCategory::invalid_argument,
        fmt::format("add() takes {} key values ({}) and {} aggregated values, got {} and {}", key_columns.size(),
                    fmt::join(options.key, ", "), value_columns.size(), key.size(), values.size()));
  }
  // The one check of these values: the flush hands them to the batch as checked rows.
  for (std::size_t i = 0; i < key.size(); ++i) detail::validate_value(*key_columns[i], key[i], true, false, 0);
  for (std::size_t i = 0; i < values.size(); ++i) detail::validate_value(*value_columns[i], values[i], false, false, 0);

  const std::size_t lane_index = current_lane(lanes.size());
  Lane& lane = lanes[lane_index];
  {
    std::unique_lock lock(lane.mutex);
    // Checked again under the lane lock: close() sets `closed` before its last cut, which takes
    // every lane lock, so an add() either lands before that cut or sees `closed` here.
    if (closed.load()) throw after_close();
    auto it = lane.pending.find(key);
    if (it != lane.pending.end()) {
      combine_in_lane(lane, it->second, values);
      return true;
    }
    if (pending_keys.load(std::memory_order_relaxed) >= options.max_pending_keys) {
      lock.unlock();
      // A key pending in another lane costs no new memory: it is taken there.
      if (add_where_pending(key, values, lane_index)) return true;
      if (options.when_full == WhenFull::refuse) {
        ++refused;
        return false;
      }
      if (options.checkpointed && unsealed_keys() >= options.max_pending_keys) {
        throw Error(ErrorCategory::invalid_argument,
                    fmt::format("the writer holds max_pending_keys ({}) keys added since its last checkpoint(), and a "
                                "checkpointed writer writes only what a checkpoint() sealed: call checkpoint() more "
                                "often, or raise max_pending_keys",
                                options.max_pending_keys));
      }
      std::unique_lock schedule(schedule_mutex);
      ++requested;
      wake_flusher.notify_one();
      room.wait(schedule, [&] { return pending_keys.load() < options.max_pending_keys || closing; });
      schedule.unlock();
      return add(key, values);  // the key may have become pending meanwhile
    }
    lane.pending.emplace(Row(key.begin(), key.end()), Pending{Row(values.begin(), values.end()),
                                                              has_last ? Clock::now().time_since_epoch().count() : 0});
    ++lane.accepted;
  }
  if (pending_keys.fetch_add(1, std::memory_order_relaxed) + 1 == options.flush_at_pending_keys) {
    std::lock_guard schedule(schedule_mutex);
    ++requested;
    wake_flusher.notify_one();
  }
  return true;
}

// Folds `values` into the key's pending deltas in `lane` (whose lock the caller holds). Combines
// into a reused scratch row first, so that an overflow leaves the pending deltas as they were,
// and a hot key costs no allocation.
void CounterWriter::Impl::combine_in_lane(Lane& lane, Pending& stored, std::span<const Value> values) {
  thread_local Row scratch;
  scratch.resize(values.size());
  for (std::size_t i = 0; i < values.size(); ++i) {
    scratch[i] = detail::combine(aggregates[i].aggregate, stored.values[i], values[i]);
  }
  for (std::size_t i = 0; i < values.size(); ++i) std::swap(stored.values[i], scratch[i]);
  if (has_last) stored.stamp = Clock::now().time_since_epoch().count();
  ++lane.merged;
  ++lane.accepted;
}

// At the cap: takes the increment in a lane other than `skip_lane` where the key is pending.
bool CounterWriter::Impl::add_where_pending(std::span<const Value> key, std::span<const Value> values,
                                            std::size_t skip_lane) {
  for (std::size_t i = 0; i < lanes.size(); ++i) {
    if (i == skip_lane) continue;
    std::lock_guard lock(lanes[i].mutex);
    if (closed.load()) {
      throw Error(ErrorCategory::invalid_argument, "add() after close(): the writer no longer accepts increments");
    }
    if (auto it = lanes[i].pending.find(key); it != lanes[i].pending.end()) {
      combine_in_lane(lanes[i], it->second, values);
      return true;
    }
  }
  return false;
}

// Takes every lane's keys out at one instant: all lanes are locked together (in index order;
// add() holds one lane lock at a time), so each add() is wholly before or after the cut.
void CounterWriter::Impl::seal(std::optional<Checkpoint> checkpoint) {
  Sealed cut;
  cut.checkpoint = std::move(checkpoint);
  cut.lanes.resize(lanes.size());
  std::lock_guard order(cut_mutex);
  {
    std::vector<std::unique_lock<std::mutex>> locks;
    locks.reserve(lanes.size());
    for (auto& lane : lanes) locks.emplace_back(lane.mutex);
    for (std::size_t i = 0; i < lanes.size(); ++i) cut.lanes[i].swap(lanes[i].pending);
  }
  sealed.push_back(std::move(cut));
}

std::size_t CounterWriter::Impl::unsealed_keys() {
  std::size_t n = 0;
  for (auto& lane : lanes) {
    std::lock_guard lock(lane.mutex);
    n += lane.pending.size();
  }
  return n;
}

// Takes the cuts waiting for a flush; their keys no longer count against max_pending_keys.
std::vector<Sealed> CounterWriter::Impl::take_sealed() {
  std::vector<Sealed> cuts;
  {
    std::lock_guard order(cut_mutex);
    for (auto& cut : sealed) cuts.push_back(std::move(cut));
    sealed.clear();
  }
  std::size_t keys = 0;
  for (const auto& cut : cuts) {
    for (const auto& lane : cut.lanes) keys += lane.size();
  }
  pending_keys.fetch_sub(keys);
  {
    std::lock_guard schedule(schedule_mutex);
    room.notify_all();
  }
  return cuts;
}

// Folds `other` into `into`: sums, maxima and minima combined, a `last` column from whichever was
// added later. False, with `into` unchanged, when a sum overflows int64.
bool CounterWriter::Impl::combine_into(Pending& into, const Pending& other) {
  const bool other_is_newer = other.stamp >= into.stamp;
  fold_scratch.resize(aggregates.size());
  try {
    for (std::size_t v = 0; v < aggregates.size(); ++v) {
      const Aggregate a = aggregates[v].aggregate;
      fold_scratch[v] = a == Aggregate::last ? (other_is_newer ? other.values[v] : into.values[v])
                                             : detail::combine(a, into.values[v], other.values[v]);
    }
  } catch (const Error& e) {
    if (e.category() != ErrorCategory::overflow) throw;
    return false;
  }
  for (std::size_t v = 0; v < aggregates.size(); ++v) std::swap(into.values[v], fold_scratch[v]);
  into.stamp = std::max(into.stamp, other.stamp);
  return true;
}

// Folds one key's deltas into `layers`: into the first layer whose sum for the key does not
// overflow. Each layer is written by its own statement, so deltas each within int64 but not
// together reach the table one after the other (and the engine reports an overflow only if the
// stored value overflows). Both copies of a key then carry the newest `last` values.
void CounterWriter::Impl::fold(std::vector<PendingMap>& layers, const Row& key, Pending pending) {
  for (std::size_t l = 0;; ++l) {
    if (l == layers.size()) layers.emplace_back();
    auto [it, inserted] = layers[l].try_emplace(key, std::move(pending));
    if (inserted) return;
    if (combine_into(it->second, pending)) {
      ++folded;
      return;
    }
    Pending& held = it->second;
    for (std::size_t v = 0; v < aggregates.size(); ++v) {
      if (aggregates[v].aggregate != Aggregate::last) continue;
      if (pending.stamp >= held.stamp) {
        held.values[v] = pending.values[v];
      } else {
        pending.values[v] = held.values[v];
      }
    }
    held.stamp = pending.stamp = std::max(held.stamp, pending.stamp);
  }
}

// Folds the lanes of a cut into `layers`; the largest lane is moved in whole when layers is empty.
void CounterWriter::Impl::fold_cut(std::vector<PendingMap>& layers, Sealed& cut) {
  if (layers.empty()) {
    auto largest = std::max_element(cut.lanes.begin(), cut.lanes.end(),
                                    [](const PendingMap& a, const PendingMap& b) { return a.size() < b.size(); });
    layers.push_back(std::move(*largest));
    largest->clear();
  }
  for (auto& lane : cut.lanes) {
    for (auto& [key, pending] : lane) fold(layers, key, std::move(pending));
  }
}

// Writes cuts in order, one transaction per run of cuts that can share one: a cut's checkpoint
// may only be committed with increments from before it, so a run ends at a checkpoint unless
// the next cut carries a newer position under the same name.
void CounterWriter::Impl::write_sealed(std::vector<Sealed> cuts) {
  for (std::size_t i = 0; i < cuts.size();) {
    std::optional<Checkpoint> checkpoint = std::move(cuts[i].checkpoint);
    std::vector<PendingMap> layers;
    fold_cut(layers, cuts[i++]);
    while (i < cuts.size() && (!checkpoint || (cuts[i].checkpoint && cuts[i].checkpoint->name == checkpoint->name))) {
      if (cuts[i].checkpoint) checkpoint = std::move(cuts[i].checkpoint);
      fold_cut(layers, cuts[i++]);
    }
    for (std::size_t l = 0; l < layers.size(); ++l) {
      // The checkpoint goes with the last layer: committed only with everything before it.
      const Checkpoint* with = l + 1 == layers.size() && checkpoint ? &*checkpoint : nullptr;
      std::vector<Row> rows;
      rows.reserve(layers[l].size());
      for (auto& [key, pending] : layers[l]) {
        Row row = key;
        row.insert(row.end(), std::make_move_iterator(pending.values.begin()),
                   std::make_move_iterator(pending.values.end()));
        rows.push_back(std::move(row));
      }
      if (rows.empty() && with == nullptr) continue;
      const auto start = Clock::now();
      write(std::move(rows), with);
      const auto us = std::chrono::duration_cast<std::chrono::microseconds>(Clock::now() - start).count();
      last_latency_us = us;
      if (us > max_latency_us) max_latency_us = us;
    }
  }
}

void CounterWriter::Impl::run_flush_thread() {
  std::unique_lock schedule(schedule_mutex);
  for (;;) {
    wake_flusher.wait_for(schedule, options.flush_interval, [&] { return requested > completed || closing; });
    const std::uint64_t serving = requested;
    const bool last_round = closing;
    schedule.unlock();
    // A checkpointed writer writes only its caller's cuts; any other writer cuts here.
    if (!options.checkpointed) seal(std::nullopt);
    write_sealed(take_sealed());
    schedule.lock();
    completed = std::max(completed, serving);
    flush_done.notify_all();
    if (last_round) return;
  }
}

void CounterWriter::Impl::write(std::vector<Row> rows, const Checkpoint* checkpoint) {
  std::lock_guard lock(connection_mutex);
  if (!rows.empty()) ++flushes;
  write_with_ledger(rows, checkpoint, 0);
}

void CounterWriter::Impl::back_off(int failed_attempts) {
  detail::back_off(options.first_backoff, options.max_backoff, failed_attempts);
}

void CounterWriter::Impl::reconnect_until(Clock::time_point deadline) {
  for (int failed = 1;; ++failed) {
    try {
      connection.reconnect();
      return;
    } catch (const Error&) {
      if (Clock::now() >= deadline) throw;
      back_off(failed);
    }
  }
}

// A locking read: the lost connection's transaction may still be running on the server (MariaDB's
// KILL CONNECTION closes the socket at once, while the server thread goes on to finish a COMMIT
// it had begun). A plain read would then see the ledger row as it was before, and the flush
// would be applied again once that COMMIT lands; FOR UPDATE waits for the row's writer to end.
bool CounterWriter::Impl::committed(std::int64_t seq) {
  Sql sql = detail::render_select(*ledger, {"flush_seq"}, {"writer_id"}, {Value(writer_id)}, connection.dialect());
  if (connection.dialect() != Dialect::sqlite) sql.text += " FOR UPDATE";
  auto rows = connection.query(sql, {Type::int64});
  return !rows.empty() && rows[0][0] == Value(seq);
}

void CounterWriter::Impl::report(std::span<const Row> rows, const Error& error) {
  for (const auto& row : rows) {
    const auto key_size = static_cast<std::ptrdiff_t>(key_columns.size());
    WriterFailure f{Row(row.begin(), row.begin() + key_size), Row(row.begin() + key_size, row.end()), error.category(),
                    error.what()};
    ++failed_keys;
    if (options.on_failure) options.on_failure(f);
    std::lock_guard lock(failures_mutex);
    failures.push_back(std::move(f));
  }
}

// Writes `rows`, a ledger row and the checkpoint (if any) in one transaction. Retryable errors
// and lost connections are retried (a lost connection first asks the ledger whether the commit
// happened); a permanent error is narrowed down by halving the rows until the offending keys are
// alone, and only those are reported. The checkpoint goes with the last half, so it is committed
// only after everything before it; if that half fails, it is committed alone after the report.
void CounterWriter::Impl::write_with_ledger(std::span<const Row> rows, const Checkpoint* checkpoint,
                                            std::int64_t depth) {
  const std::int64_t seq = ++flush_seq;
  const auto deadline = Clock::now() + options.give_up_after;
  Upsert batch = template_statement;
  detail::StatementRows::set_checked_rows(batch, std::vector<Row>(rows.begin(), rows.end()));
  Upsert mark = insert_into(ledger);
  mark.row({writer_id, seq}).on_conflict({"writer_id"}).do_update({{"flush_seq", proposed("flush_seq")}});
  std::optional<Upsert> position;
  if (checkpoint) {
    position = insert_into(checkpoints);
    position->row({checkpoint->name, checkpoint->position})
        .on_conflict({"name"})
        .do_update({{"position", proposed("position")}});
  }
  const BatchOptions batch_options{.max_rows_per_statement = options.max_rows_per_statement};

  for (int failed = 1;; ++failed) {
    bool check_ledger = false;
    try {
      connection.begin(true);
      connection.execute(mark);
      if (position) connection.execute(*position);
      const std::uint64_t batch_statements =
          rows.empty() ? 0 : connection.execute_batch(batch, batch_options).statements;
      connection.commit();
      statements += 1 + (position ? 1 : 0) + batch_statements;
      flushed_rows += rows.size();
      return;
    } catch (const Error& e) {
      if (connection.in_transaction()) connection.rollback();
      const bool lost = e.category() == ErrorCategory::connection || e.category() == ErrorCategory::outcome_unknown;
      if ((e.retryable() || lost) && Clock::now() < deadline) {
        ++retries;
        back_off(failed);
        check_ledger = lost;
      } else if (!e.retryable() && !lost && rows.size() > 1 && e.category() != ErrorCategory::invalid_argument &&
                 e.category() != ErrorCategory::unsupported) {
        const std::size_t half = rows.size() / 2;
        write_with_ledger(rows.subspan(0, half), nullptr, depth + 1);
        write_with_ledger(rows.subspan(half), checkpoint, depth + 1);
        return;
      } else {
        report(rows, e);
        if (checkpoint && !rows.empty()) write_with_ledger({}, checkpoint, depth + 1);
        return;
      }
    }
    if (check_ledger) {
      try {
        reconnect_until(deadline);
        ++ledger_checks;
        if (committed(seq)) {
          flushed_rows += rows.size();
          return;
        }
      } catch (const Error& e) {
        if (Clock::now() >= deadline) {
          report(rows, e);
          if (checkpoint && !rows.empty()) write_with_ledger({}, checkpoint, depth + 1);
          return;
        }
      }
    }
  }
}

CounterWriter::CounterWriter(Connection connection, std::shared_ptr<const Table> table, CounterWriterOptions options)
    : impl_(std::make_unique<Impl>(std::move(connection), std::move(table), std::move(options))) {}

CounterWriter::~CounterWriter() {
  try {
    if (impl_) {
      impl_->options.on_failure = impl_->options.on_failure ? impl_->options.on_failure : [](const WriterFailure&) {};
      close();
    }
  } catch (...) {
    // A destructor must not throw; close() explicitly to see failures.
  }
}

bool CounterWriter::add(std::span<const Value> key, std::span<const Value> values) {
  return impl_->add(key, values);
}

bool CounterWriter::add(std::initializer_list<Value> key, std::initializer_list<Value> values) {
  return impl_->add(std::span<const Value>(key.begin(), key.size()),
                    std::span<const Value>(values.begin(), values.size()));
}

void CounterWriter::flush() {
  std::unique_lock schedule(impl_->schedule_mutex);
  if (!impl_->flusher.joinable()) return;
  const std::uint64_t ticket = ++impl_->requested;
  impl_->wake_flusher.notify_one();
  impl_->flush_done.wait(schedule, [&] { return impl_->completed >= ticket || !impl_->flusher.joinable(); });
}

void CounterWriter::checkpoint(std::string name, std::string position) {
  if (!impl_->options.checkpointed) {
    throw Error(ErrorCategory::invalid_argument,
                "checkpoint() needs a writer made with CounterWriterOptions::checkpointed = true (otherwise its "
                "timed flushes would commit increments after the checkpoint without it)");
  }
  if (impl_->closed.load()) {
    throw Error(ErrorCategory::invalid_argument, "checkpoint() after close(): the writer no longer writes");
  }
  impl_->seal(Checkpoint{std::move(name), std::move(position)});
  std::lock_guard schedule(impl_->schedule_mutex);
  ++impl_->requested;
  impl_->wake_flusher.notify_one();
}

std::optional<std::string> CounterWriter::read_checkpoint(const std::string& name) {
  if (!impl_->checkpoints) {
    throw Error(ErrorCategory::invalid_argument,
                "read_checkpoint() needs a writer made with CounterWriterOptions::checkpointed = true");
  }
  std::lock_guard lock(impl_->connection_mutex);
  Sql sql =
      detail::render_select(*impl_->checkpoints, {"position"}, {"name"}, {Value(name)}, impl_->connection.dialect());
  auto rows = impl_->connection.query(sql, {Type::text});
  if (rows.empty()) return std::nullopt;
  return rows[0][0].as<std::string>();
}

WriterStats CounterWriter::close() {
  if (!impl_->closed.exchange(true)) {
    {
      std::lock_guard schedule(impl_->schedule_mutex);
      impl_->closing = true;
      ++impl_->requested;
      impl_->wake_flusher.notify_one();
      impl_->room.notify_all();
    }
    impl_->flusher.join();
    std::lock_guard failures(impl_->failures_mutex);
    if (!impl_->failures.empty() && !impl_->options.on_failure) {
      const auto& first = impl_->failures.front();
      std::vector<std::string> key;
      for (const auto& v : first.key) key.push_back(v.to_string());
      throw Error(first.category,
                  fmt::format("{} key(s) could not be written (take_failures() lists them); the first, ({}): {}",
                              impl_->failures.size(), fmt::join(key, ", "), first.message));
    }
  }
  return stats();
}

WriterStats CounterWriter::stats() const {
  WriterStats s;
  for (Lane& lane : impl_->lanes) {
    std::lock_guard lock(lane.mutex);
    s.accepted += lane.accepted;
    s.merged += lane.merged;
  }
  s.merged += impl_->folded;
  s.refused = impl_->refused;
  s.flushes = impl_->flushes;
  s.flushed_rows = impl_->flushed_rows;
  s.statements = impl_->statements;
  s.retries = impl_->retries;
  s.failed_keys = impl_->failed_keys;
  s.ledger_checks = impl_->ledger_checks;
  s.pending_keys = impl_->pending_keys;
  s.last_flush_latency = std::chrono::microseconds(impl_->last_latency_us.load());
  s.max_flush_latency = std::chrono::microseconds(impl_->max_latency_us.load());
  return s;
}

std::vector<WriterFailure> CounterWriter::take_failures() {
  std::lock_guard lock(impl_->failures_mutex);
  return std::exchange(impl_->failures, {});
}

const std::vector<AggregateColumn>& CounterWriter::value_columns() const {
  return impl_->aggregates;
}

}  // namespace upsert
