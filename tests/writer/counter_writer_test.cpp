// The counter writer on every engine: exact sums under many producers, overflow isolated to its
// key, and bounded memory under a stalled database.

#include <pthread.h>
#include <sched.h>

#include <atomic>
#include <functional>
#include <limits>
#include <map>
#include <random>
#include <thread>

#include "support/engine_fixture.hpp"

namespace upsert::testing {
namespace {

// Two CPUs this process may run on whose lanes differ (the writer keeps one lane per CPU, index
// cpu % hardware_concurrency()), the lower lane first; empty when the machine has one CPU.
std::vector<int> two_cpus_with_two_lanes() {
  cpu_set_t allowed;
  CPU_ZERO(&allowed);
  if (sched_getaffinity(0, sizeof allowed, &allowed) != 0) return {};
  const unsigned lanes = std::max(1u, std::thread::hardware_concurrency());
  for (int a = 0; a < CPU_SETSIZE; ++a) {
    for (int b = 0; b < CPU_SETSIZE && CPU_ISSET(a, &allowed); ++b) {
      if (CPU_ISSET(b, &allowed) && a % lanes < b % lanes) return {a, b};
    }
  }
  return {};
}

// Runs `f` on a thread pinned to `cpu`, so that its add() calls land in that CPU's lane.
void on_cpu(int cpu, const std::function<void()>& f) {
  std::thread t([&] {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    ASSERT_EQ(pthread_setaffinity_np(pthread_self(), sizeof set, &set), 0) << "cannot pin a thread to CPU " << cpu;
    ASSERT_EQ(sched_getcpu(), cpu);
    f();
  });
  t.join();
}

class Writer : public EngineTest {
 protected:
  std::shared_ptr<const Table> hourly() {
    return create(Table(unique_table_name("hourly"))
                      .column("test_id", Type::int64)
                      .column("version", Type::text)
                      .column("participants", Type::int64, default_value(0), not_null)
                      .column("conversions", Type::int64, default_value(0), not_null)
                      .unique_key({"test_id", "version"}));
  }
  static CounterWriterOptions counting() {
    CounterWriterOptions o;
    o.key = {"test_id", "version"};
    o.sum = {"participants", "conversions"};
    return o;
  }
  // Inserts `row` (test_id, version, participants, conversions) before a writer runs.
  void store(const std::shared_ptr<const Table>& t, Row row) {
    Upsert s = insert_into(t);
    s.row(std::move(row)).on_conflict({"test_id", "version"}).do_nothing();
    db().execute(s);
  }
  std::int64_t sum_of(const Table& t, const std::string& column) {
    return query_int(db(), "SELECT SUM(" + quote_identifier(column, db().dialect()) + ") FROM " +
                               quote_identifier(t.name(), db().dialect()));
  }
  // Holds a lock that stalls every writer of `t` until release() (engine-specific SQL).
  struct Stall {
    Connection c;
    explicit Stall(Connection connection, const Table& t) : c(std::move(connection)) {
      const std::string name = quote_identifier(t.name(), c.dialect());
      switch (c.dialect()) {
        case Dialect::sqlite: c.begin(true); break;  // BEGIN IMMEDIATE: the file's write lock
        case Dialect::postgresql:
          c.begin(true);
          c.execute_script("LOCK TABLE " + name + " IN EXCLUSIVE MODE");
          break;
        default: c.execute_script("LOCK TABLES " + name + " WRITE"); break;
      }
    }
    void release() {
      if (c.dialect() == Dialect::mariadb || c.dialect() == Dialect::mysql) {
        c.execute_script("UNLOCK TABLES");
      } else {
        c.commit();
      }
    }
  };
};

TEST_P(Writer, EightProducersOfAMillionIncrementsLoseNothing) {
  auto t = hourly();
  CounterWriter writer(open_another(), t, counting());
  constexpr int producers = 8;
  constexpr int per_producer = 1'000'000;
  std::vector<std::int64_t> participants(producers, 0), conversions(producers, 0);
  std::vector<std::thread> threads;
  for (int p = 0; p < producers; ++p) {
    threads.emplace_back([&, p] {
      std::mt19937_64 random(static_cast<unsigned>(p) + 11u);
      const char* versions[] = {"A", "B"};
      for (int i = 0; i < per_producer; ++i) {
        // Skewed: half the events on 3 very hot tests, the rest over 10,000 cold ones.
        std::int64_t test =
            (random() & 1) ? static_cast<std::int64_t>(random() % 3) : 3 + static_cast<std::int64_t>(random() % 10'000);
        std::int64_t converted = random() % 20 == 0 ? 1 : 0;
        writer.add({test, versions[random() & 1]}, {1, converted});
        ++participants[p];
        conversions[p] += converted;
      }
    });
  }
  for (auto& th : threads) th.join();
  WriterStats s = writer.close();
  std::int64_t sent_participants = 0, sent_conversions = 0;
  for (int p = 0; p < producers; ++p) {
    sent_participants += participants[p];
    sent_conversions += conversions[p];
  }
  EXPECT_EQ(sum_of(*t, "participants"), sent_participants);
  EXPECT_EQ(sum_of(*t, "conversions"), sent_conversions);
  EXPECT_EQ(s.accepted, static_cast<std::uint64_t>(producers) * per_producer);
  EXPECT_EQ(s.failed_keys, 0u);
  EXPECT_EQ(s.pending_keys, 0u);
  // Coalescing, whatever the speed (a fixed ratio failed under ASan, whose slower producers spread the
  // same increments over more flushes): every add() either opened a pending row or was merged into one,
  // and a flush writes each of the 20,006 keys at most once.
  EXPECT_EQ(s.merged + s.flushed_rows, s.accepted);
  EXPECT_LE(s.flushed_rows, s.flushes * 20'006) << "a flush wrote a key twice";
  EXPECT_GT(s.merged, s.accepted / 3) << "the three hot tests' increments were not coalesced";
}

// close() while producers are adding: every add() that returned true is written, the later ones
// throw. (add() checks `closed` under its shard lock; close()'s last cut takes every shard lock.)
TEST_P(Writer, AddsRacingCloseAreWrittenOrRefusedNeverLost) {
  for (int round = 0; round < 5; ++round) {
    auto t = hourly();
    CounterWriter writer(open_another(), t, counting());
    std::atomic<std::int64_t> taken{0};
    std::vector<std::thread> producers;
    for (int p = 0; p < 4; ++p) {
      producers.emplace_back([&, p] {
        try {
          for (std::int64_t i = 0;; ++i) {
            if (writer.add({(i * 4 + p) % 5000, "x"}, {1, 0})) ++taken;
          }
        } catch (const Error& e) {
          EXPECT_NE(std::string(e.what()).find("after close"), std::string::npos) << e.what();
        }
      });
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20 + 10 * round));
    const WriterStats s = writer.close();
    for (auto& th : producers) th.join();
    EXPECT_EQ(static_cast<std::int64_t>(s.accepted), taken.load());
    EXPECT_EQ(sum_of(*t, "participants"), taken.load()) << "round " << round;
    EXPECT_GT(taken.load(), 0);
  }
}

TEST_P(Writer, AnOverflowingKeyIsReportedAndEveryOtherKeyIsWritten) {
  auto t = hourly();
  const std::int64_t near_max = std::numeric_limits<std::int64_t>::max() - 1;
  store(t, {7, "hot", near_max, 0});
  std::vector<WriterFailure> failures;
  std::mutex failures_mutex;
  CounterWriterOptions o = counting();
  o.on_failure = [&](const WriterFailure& f) {
    std::lock_guard lock(failures_mutex);
    failures.push_back(f);
  };
  CounterWriter writer(open_another(), t, o);
  for (int i = 0; i < 1000; ++i) writer.add({i, "cold"}, {1, 0});
  writer.add({7, "hot"}, {5, 1});
  WriterStats s = writer.close();
  ASSERT_EQ(failures.size(), 1u);
  EXPECT_EQ(failures[0].key, (Row{7, "hot"}));
  EXPECT_EQ(failures[0].values, (Row{5, 1}));
  EXPECT_EQ(category_name(failures[0].category), category_name(ErrorCategory::overflow)) << failures[0].message;
  EXPECT_EQ(s.failed_keys, 1u);
  EXPECT_EQ(sum_of(*t, "conversions"), 0);
  EXPECT_EQ(count_rows(*t), 1001);
  EXPECT_EQ(query_int(db(), "SELECT SUM(" + quote_identifier("participants", db().dialect()) + ") FROM " +
                                quote_identifier(t->name(), db().dialect()) + " WHERE " +
                                quote_identifier("version", db().dialect()) + " = 'cold'"),
            1000);
}

// Producers on two CPUs hold a key in two lanes; the flush folds them into one row.
TEST_P(Writer, AKeyAddedOnTwoCpusIsWrittenAsOneRow) {
  const auto cpus = two_cpus_with_two_lanes();
  ASSERT_EQ(cpus.size(), 2u) << "this test needs two CPUs (the writer has one lane per CPU)";
  auto t = hourly();
  CounterWriterOptions o = counting();
  o.flush_interval = std::chrono::hours(1);
  CounterWriter writer(open_another(), t, o);
  on_cpu(cpus[0], [&] { writer.add({1, "x"}, {5, 0}); });
  on_cpu(cpus[1], [&] { writer.add({1, "x"}, {7, 1}); });
  EXPECT_EQ(writer.stats().pending_keys, 2u) << "the key is pending in both lanes";
  const WriterStats s = writer.close();
  EXPECT_EQ(all_rows(*t), (std::vector<Row>{{1, "x", 12, 1}}));
  EXPECT_EQ(s.accepted, 2u);
  EXPECT_EQ(s.flushed_rows, 1u);
  EXPECT_EQ(s.merged, 1u);
}

// Deltas each within int64 but not together, held in two lanes: both are taken, and written by
// two statements one after the other, so a stored value of the other sign brings the total back.
TEST_P(Writer, DeltasThatOverflowOnlyTogetherAreWrittenOneAfterTheOther) {
  const auto cpus = two_cpus_with_two_lanes();
  ASSERT_EQ(cpus.size(), 2u) << "this test needs two CPUs (the writer has one lane per CPU)";
  auto t = hourly();
  const std::int64_t max = std::numeric_limits<std::int64_t>::max();
  store(t, {1, "x", -1000, 0});
  CounterWriterOptions o = counting();
  o.flush_interval = std::chrono::hours(1);
  CounterWriter writer(open_another(), t, o);
  on_cpu(cpus[0], [&] { EXPECT_TRUE(writer.add({1, "x"}, {max - 10, 0})); });
  on_cpu(cpus[1], [&] { EXPECT_TRUE(writer.add({1, "x"}, {100, 1})); });
  const WriterStats s = writer.close();
  EXPECT_EQ(all_rows(*t), (std::vector<Row>{{1, "x", max - 910, 1}}));
  EXPECT_EQ(s.failed_keys, 0u);
  EXPECT_EQ(s.flushed_rows, 2u);
}

// Cuts that wait for one flush are folded together; a sum that overflows only across them is
// written in two statements (it ended the flush thread, and the process, before).
TEST_P(Writer, CutsWhoseSumsOverflowOnlyTogetherAreBothCommitted) {
  auto t = hourly();
  const std::int64_t max = std::numeric_limits<std::int64_t>::max();
  store(t, {1, "x", -1000, 0});
  CounterWriterOptions o = counting();
  o.checkpointed = true;
  CounterWriter writer(open_another(), t, o);
  auto stall = std::make_unique<Stall>(open_another(), *t);
  writer.add({2, "y"}, {1, 0});
  writer.checkpoint("input", "1");  // its flush waits on the stall; the next two cuts queue up
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  writer.add({1, "x"}, {max - 10, 0});
  writer.checkpoint("input", "2");
  writer.add({1, "x"}, {100, 1});
  writer.checkpoint("input", "3");
  stall->release();
  writer.flush();
  EXPECT_EQ(writer.read_checkpoint("input"), std::optional<std::string>("3"));
  const WriterStats s = writer.close();
  EXPECT_EQ(all_rows(*t), (std::vector<Row>{{1, "x", max - 910, 1}, {2, "y", 1, 0}}));
  EXPECT_EQ(s.failed_keys, 0u);
}

// A `last` column keeps the value added last, whichever lane holds it.
TEST_P(Writer, ALastColumnKeepsTheNewestValueAcrossCpus) {
  const auto cpus = two_cpus_with_two_lanes();
  ASSERT_EQ(cpus.size(), 2u) << "this test needs two CPUs (the writer has one lane per CPU)";
  auto t = hourly();
  CounterWriterOptions o;
  o.key = {"test_id", "version"};
  o.sum = {"participants"};
  o.last = {"conversions"};
  o.flush_interval = std::chrono::hours(1);
  CounterWriter writer(open_another(), t, o);
  // The later value goes to the lower lane, which a flush takes whole before folding the other in.
  on_cpu(cpus[1], [&] { writer.add({1, "x"}, {1, 10}); });
  on_cpu(cpus[0], [&] { writer.add({1, "x"}, {1, 20}); });
  writer.close();
  EXPECT_EQ(all_rows(*t), (std::vector<Row>{{1, "x", 2, 20}}));
}

TEST_P(Writer, CloseWithoutAFailureCallbackThrowsAndTheFailuresCanBeRead) {
  auto t = hourly();
  store(t, {1, "x", std::numeric_limits<std::int64_t>::max(), 0});
  CounterWriter writer(open_another(), t, counting());
  writer.add({1, "x"}, {1, 0});
  writer.add({2, "x"}, {1, 0});
  EXPECT_THROW(writer.close(), Error);
  auto failures = writer.take_failures();
  ASSERT_EQ(failures.size(), 1u);
  EXPECT_EQ(failures[0].key, (Row{1, "x"}));
  EXPECT_EQ(count_rows(*t), 2);
}

TEST_P(Writer, BadInputIsRefusedWithoutTouchingWhatWasAccepted) {
  auto t = hourly();
  CounterWriter writer(open_another(), t, counting());
  writer.add({1, "a"}, {2, 0});
  EXPECT_THROW(writer.add({nullptr, "a"}, {1, 0}), Error);  // NULL key
  EXPECT_THROW(writer.add({1}, {1, 0}), Error);             // arity
  EXPECT_THROW(writer.add({"1", "a"}, {1, 0}), Error);      // type
  EXPECT_THROW(writer.add({1, "a"}, {1.5, 0}), Error);      // type
  // NULL in a NOT NULL column is refused here too: taken, it would fail the whole flush it rode in.
  EXPECT_THROW(writer.add({2, "b"}, {nullptr, 0}), Error);
  writer.close();
  EXPECT_EQ(all_rows(*t), (std::vector<Row>{{1, "a", 2, 0}}));
  EXPECT_THROW(writer.add({1, "a"}, {1, 0}), Error);  // after close
}

TEST_P(Writer, AtTheCapAddBlocksUntilAStalledDatabaseMovesOn) {
  auto t = hourly();
  CounterWriterOptions o = counting();
  o.max_pending_keys = 10;
  o.flush_interval = std::chrono::milliseconds(20);
  CounterWriter writer(open_another(), t, o);
  Stall stall(open_another(), *t);
  std::atomic<int> added{0};
  std::thread producer([&] {
    for (int i = 0; i < 100; ++i) {
      writer.add({i, "k"}, {1, 0});
      ++added;
    }
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  // The flush in flight holds at most one drained map; the cap holds the rest.
  EXPECT_LE(added.load(), 2 * 10 + 1) << "add() did not block at the cap";
  EXPECT_LE(writer.stats().pending_keys, 10u);
  stall.release();
  producer.join();
  writer.close();
  EXPECT_EQ(sum_of(*t, "participants"), 100);
}

TEST_P(Writer, AtTheCapAddRefusesWhenAskedTo) {
  auto t = hourly();
  CounterWriterOptions o = counting();
  o.max_pending_keys = 10;
  o.when_full = WhenFull::refuse;
  o.flush_interval = std::chrono::milliseconds(20);
  CounterWriter writer(open_another(), t, o);
  Stall stall(open_another(), *t);
  int accepted = 0, refused = 0, last_accepted = -1;
  for (int i = 0; i < 100; ++i) {
    if (writer.add({i, "k"}, {1, 0})) {
      ++accepted;
      last_accepted = i;
    } else {
      ++refused;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  EXPECT_GT(refused, 0);
  EXPECT_LE(accepted, 2 * 10 + 1);
  // A key already pending (the stalled flush cannot drain it) is always taken: it costs no memory.
  EXPECT_TRUE(writer.add({last_accepted, "k"}, {1, 0}));
  stall.release();
  WriterStats s = writer.close();
  EXPECT_EQ(s.refused, static_cast<std::uint64_t>(refused));
  EXPECT_EQ(sum_of(*t, "participants"), accepted + 1);
}

TEST_P(Writer, FlushMakesEverythingAcceptedBeforeItDurable) {
  auto t = hourly();
  CounterWriterOptions o = counting();
  o.flush_interval = std::chrono::hours(1);  // only explicit flushes
  CounterWriter writer(open_another(), t, o);
  for (int i = 0; i < 50; ++i) writer.add({i % 5, "f"}, {1, 0});
  writer.flush();
  EXPECT_EQ(sum_of(*t, "participants"), 50);
  EXPECT_EQ(count_rows(*t), 5);
  writer.close();
}

INSTANTIATE_TEST_SUITE_P(Engines, Writer, ::testing::ValuesIn(all_engines()), EngineName());

}  // namespace
}  // namespace upsert::testing
