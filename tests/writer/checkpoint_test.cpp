// Checkpoints of the counter writer on every engine: a checkpoint is committed with exactly the
// increments added before it, even while other threads keep adding, so a program that resumes
// from it neither misses nor repeats an increment.

#include <atomic>
#include <map>
#include <mutex>
#include <sstream>
#include <thread>

#include "support/engine_fixture.hpp"

namespace upsert::testing {
namespace {

class Checkpoints : public EngineTest {
 protected:
  std::shared_ptr<const Table> events() {
    return create(Table(unique_table_name("cp_events"))
                      .column("item", Type::int64)
                      .column("producer", Type::text)
                      .column("hits", Type::int64, default_value(0), not_null)
                      .unique_key({"item", "producer"}));
  }
  // A checkpoint table of its own per test, so tests running at once do not meet.
  CounterWriterOptions checkpointed() {
    CounterWriterOptions o;
    o.key = {"item", "producer"};
    o.sum = {"hits"};
    o.checkpointed = true;
    o.checkpoint_table = unique_table_name("cp_positions");
    created_.push_back(o.checkpoint_table);
    return o;
  }
  std::int64_t sum_of(const Table& t) {
    return query_int(db(), "SELECT COALESCE(SUM(" + quote_identifier("hits", db().dialect()) + "), 0) FROM " +
                               quote_identifier(t.name(), db().dialect()));
  }
};

TEST_P(Checkpoints, ACommittedCheckpointHoldsExactlyTheIncrementsBeforeIt) {
  auto t = events();
  CounterWriterOptions o = checkpointed();
  o.flush_interval = std::chrono::milliseconds(1);  // timed flushes must not write past a checkpoint
  std::int64_t added = 0;
  {
    CounterWriter writer(open_another(), t, o);
    EXPECT_EQ(writer.read_checkpoint("job"), std::nullopt);
    for (int i = 1; i <= 20'000; ++i) {
      writer.add({i % 1000, "p"}, {1});
      ++added;
      if (i % 997 == 0) writer.checkpoint("job", std::to_string(added));
      if (i % 4999 == 0) {
        // Several checkpoints may be queued and written in one transaction: still exact.
        writer.flush();
        const std::string position = writer.read_checkpoint("job").value();
        EXPECT_EQ(sum_of(*t), std::stoll(position)) << "at add " << i;
      }
    }
    writer.checkpoint("job", std::to_string(added));
    for (int i = 0; i < 10; ++i) writer.add({5000 + i, "p"}, {1});  // after the last checkpoint
    WriterStats s = writer.close();
    EXPECT_EQ(s.pending_keys, 10u) << "close() wrote increments that no checkpoint sealed";
  }
  EXPECT_EQ(sum_of(*t), added);
  // A later writer (a restarted program) reads where the last one got to.
  CounterWriter again(open_another(), t, o);
  EXPECT_EQ(again.read_checkpoint("job"), std::to_string(added));
  again.close();
}

// Four producers add to keys of their own in order (item 0, 1, 2, ...), while a fifth thread
// cuts and an observer reads the table and the checkpoint in one statement. Each producer's
// committed items must be a prefix of its adds (a cut that missed an add but took a later one
// would break it), at least as long as what the producer had finished before the checkpoint()
// call and no longer than what it had started when that call returned.
TEST_P(Checkpoints, ThreadsAddingDuringACutLandWhollyOnOneSide) {
  auto t = events();
  CounterWriterOptions o = checkpointed();
  CounterWriter writer(open_another(), t, o);
  constexpr int producers = 4;
  constexpr std::int64_t per_producer = 30'000;
  std::array<std::atomic<std::int64_t>, producers> started{}, finished{};
  std::atomic<bool> done{false};
  std::mutex bounds_mutex;
  std::map<std::int64_t, std::pair<std::array<std::int64_t, producers>, std::array<std::int64_t, producers>>> bounds;

  std::vector<std::thread> threads;
  for (int p = 0; p < producers; ++p) {
    threads.emplace_back([&, p] {
      for (std::int64_t i = 0; i < per_producer; ++i) {
        started[p] = i + 1;
        writer.add({i, "p" + std::to_string(p)}, {1});
        finished[p] = i + 1;
        if (i % 1000 == 999) std::this_thread::sleep_for(std::chrono::milliseconds(1));  // spread over many cuts
      }
    });
  }
  std::thread cutter([&] {
    for (std::int64_t cut = 1; !done; ++cut) {
      std::array<std::int64_t, producers> low{}, high{};
      for (int p = 0; p < producers; ++p) low[p] = finished[p];
      writer.checkpoint("cut", std::to_string(cut));
      for (int p = 0; p < producers; ++p) high[p] = started[p];
      {
        std::lock_guard lock(bounds_mutex);
        bounds[cut] = {low, high};
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(3));
    }
  });

  Connection observer = open_another();
  const Dialect d = observer.dialect();
  const std::string sql = fmt::format(
      "SELECT {p}, COUNT(*), MAX({i}), (SELECT {pos} FROM {cp} WHERE {n} = 'cut') FROM {t} GROUP BY {p}",
      fmt::arg("p", quote_identifier("producer", d)), fmt::arg("i", quote_identifier("item", d)),
      fmt::arg("pos", quote_identifier("position", d)), fmt::arg("cp", quote_identifier(o.checkpoint_table, d)),
      fmt::arg("n", quote_identifier("name", d)), fmt::arg("t", quote_identifier(t->name(), d)));
  int observations = 0, checked_bounds = 0;
  std::int64_t committed = 0;
  auto observe = [&] {
    if (HasFailure()) return;  // one report, not thousands
    auto rows = observer.query(Sql{sql, {}}, {Type::text, Type::int64, Type::int64, Type::text});
    ++observations;
    std::array<std::int64_t, producers> count{};
    std::int64_t cut = 0;
    for (const auto& row : rows) {
      const int p = std::stoi(row[0].as<std::string>().substr(1));
      count[p] = row[1].as<std::int64_t>();
      EXPECT_EQ(count[p], row[2].as<std::int64_t>() + 1) << "producer " << p << ": a later add committed without "
                                                         << "an earlier one";
      cut = std::stoll(row[3].as<std::string>());
    }
    committed = 0;
    for (int p = 0; p < producers; ++p) committed += count[p];
    std::lock_guard lock(bounds_mutex);
    auto it = bounds.find(cut);
    if (it == bounds.end()) return;
    ++checked_bounds;
    for (int p = 0; p < producers; ++p) {
      EXPECT_GE(count[p], it->second.first[p]) << "cut " << cut << " lacks an add finished before it";
      EXPECT_LE(count[p], it->second.second[p]) << "cut " << cut << " holds an add started after it";
    }
  };
  // Until every add is committed: the cutter goes on cutting after the producers finish.
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(120);
  while (committed < producers * per_producer && std::chrono::steady_clock::now() < deadline) observe();
  for (auto& th : threads) th.join();
  done = true;
  cutter.join();
  writer.checkpoint("cut", "0");  // no bounds: only the prefix is checked
  writer.close();
  observe();
  EXPECT_GT(observations, 3);
  EXPECT_GT(checked_bounds, 0);
  EXPECT_EQ(sum_of(*t), producers * per_producer);
}

TEST_P(Checkpoints, CheckpointsNeedACheckpointedWriterAndCheckpointsOftenEnough) {
  auto t = events();
  CounterWriterOptions plain;
  plain.key = {"item", "producer"};
  plain.sum = {"hits"};
  CounterWriter unchecked(open_another(), t, plain);
  EXPECT_THROW(unchecked.checkpoint("x", "1"), Error);
  unchecked.close();

  CounterWriterOptions o = checkpointed();
  o.max_pending_keys = 10;
  CounterWriter writer(open_another(), t, o);
  for (int i = 0; i < 10; ++i) writer.add({i, "p"}, {1});
  try {
    writer.add({10, "p"}, {1});
    ADD_FAILURE() << "add() at the cap with nothing sealed would wait forever";
  } catch (const Error& e) {
    EXPECT_EQ(e.category(), ErrorCategory::invalid_argument);
    EXPECT_NE(std::string(e.what()).find("checkpoint() more often"), std::string::npos) << e.what();
  }
  writer.checkpoint("x", "10");
  writer.add({10, "p"}, {1});  // room once the cut is written
  writer.close();
  EXPECT_EQ(sum_of(*t), 10);
}

INSTANTIATE_TEST_SUITE_P(Engines, Checkpoints, ::testing::ValuesIn(all_engines()), EngineName());

}  // namespace
}  // namespace upsert::testing
