// Batches on real engines: duplicate keys, chunk boundaries, RETURNING mapped to input rows, and
// overlapping concurrent batches that must neither deadlock nor lose an increment.

#include <algorithm>
#include <chrono>
#include <map>
#include <random>
#include <thread>

#include "drivers/engine_fixture.hpp"

namespace upsert::testing {
namespace {

class Batches : public EngineTest {
 protected:
  std::shared_ptr<const Table> counters() {
    return create(Table(unique_table_name("batch"))
                      .column("k", Type::int64)
                      .column("n", Type::int64, default_value(0), not_null)
                      .column("tag", Type::text)
                      .unique_key({"k"}));
  }
  static Upsert adding(const std::shared_ptr<const Table>& t, std::vector<Row> rows) {
    Upsert s = insert_into(t);
    s.rows(std::move(rows)).on_conflict({"k"}).do_update(add_proposed({"n"}));
    return s;
  }
  std::int64_t total(const Table& t) {
    return query_int(db(), "SELECT SUM(" + quote_identifier("n", db().dialect()) + ") FROM " +
                               quote_identifier(t.name(), db().dialect()));
  }
};

TEST_P(Batches, DuplicateKeysInOneBatchAreMerged) {
  auto t = counters();
  std::vector<Row> rows{{1, 1, "a"}, {2, 10, "b"}, {1, 2, "c"}, {1, 4, "d"}, {2, 20, "e"}};
  // As one raw statement this is refused (PostgreSQL: "cannot affect row a second time").
  EXPECT_THROW(db().execute(adding(t, rows)), Error);
  BatchResult r = db().execute_batch(adding(t, rows));
  EXPECT_EQ(r.merged_rows, 2u);
  EXPECT_EQ(r.statements, 1u);
  EXPECT_EQ(all_rows(*t), (std::vector<Row>{{1, 7, "a"}, {2, 30, "b"}}));
  db().execute_batch(adding(t, rows));
  EXPECT_EQ(all_rows(*t), (std::vector<Row>{{1, 14, "a"}, {2, 60, "b"}}));
}

TEST_P(Batches, ChunkBoundaries) {
  const std::size_t limit = 1000;
  for (std::size_t size : {std::size_t{1}, limit - 1, limit, limit + 1, std::size_t{100'000}}) {
    auto t = counters();
    std::vector<Row> rows;
    rows.reserve(size);
    for (std::size_t i = 0; i < size; ++i) rows.push_back({static_cast<std::int64_t>(i), 2, nullptr});
    BatchResult r = db().execute_batch(adding(t, rows), {.max_rows_per_statement = limit});
    EXPECT_EQ(r.statements, (size + limit - 1) / limit) << size;
    EXPECT_EQ(count_rows(*t), static_cast<std::int64_t>(size));
    EXPECT_EQ(total(*t), static_cast<std::int64_t>(2 * size)) << size;
  }
}

TEST_P(Batches, ConditionalUpdatesWithRepeatedKeysApplyInInputOrder) {
  auto t = counters();
  Upsert s = insert_into(t);
  // Keep the largest n seen: 5, then 3 (skipped), then 9, for one key.
  s.rows({{1, 5, "five"}, {1, 3, "three"}, {2, 1, "other"}, {1, 9, "nine"}})
      .on_conflict({"k"})
      .do_update({{"n", proposed("n")}, {"tag", proposed("tag")}}, proposed("n") > col("n"));
  db().execute_batch(s);
  EXPECT_EQ(all_rows(*t), (std::vector<Row>{{1, 9, "nine"}, {2, 1, "other"}}));
}

TEST_P(Batches, ReturningMapsRowsBackToTheInput) {
  auto t = counters();
  db().execute(adding(t, {{2, 100, nullptr}}));
  Upsert s = adding(t, {{3, 1, nullptr}, {2, 5, nullptr}, {1, 7, nullptr}, {3, 1, nullptr}});
  s.returning({"n"}).returning_inserted_flag();
  BatchResult r = db().execute_batch(s);
  ASSERT_EQ(r.rows.size(), 4u);
  // Rows sharing a key report the merged row: key 3 was inserted once with 1 + 1.
  EXPECT_EQ(r.rows[0], (Row{2, true}));
  EXPECT_EQ(r.rows[1], (Row{105, false}));
  EXPECT_EQ(r.rows[2], (Row{7, true}));
  EXPECT_EQ(r.rows[3], (Row{2, true}));
}

TEST_P(Batches, OneTransactionIsAllOrNothing) {
  auto t = counters();
  db().execute(adding(t, {{5, std::numeric_limits<std::int64_t>::max(), nullptr}}));
  std::vector<Row> rows;
  for (int k = 0; k < 10; ++k) rows.push_back({k, 1, nullptr});
  // Key 5 overflows in the last of several statements: nothing of the batch may stay.
  EXPECT_THROW(db().execute_batch(adding(t, rows), {.max_rows_per_statement = 3, .one_transaction = true}), Error);
  EXPECT_EQ(count_rows(*t), 1);
}

TEST_P(Batches, OverlappingConcurrentBatchesNeitherDeadlockNorLose) {
  auto t = counters();
  constexpr int writers = 8;
  constexpr int batch_rows = 1000;
  constexpr int key_space = 3000;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  std::vector<std::int64_t> sent(writers, 0);
  std::vector<int> batches(writers, 0);
  std::vector<std::string> errors(writers);
  std::vector<std::thread> threads;
  for (int w = 0; w < writers; ++w) {
    threads.emplace_back([&, w] {
      try {
        Connection c = open_another();
        std::mt19937_64 random(static_cast<unsigned>(w) * 7919u + 1u);
        do {
          // Overlapping keys in shuffled order, with repeats: without sorting, two such batches
          // lock rows in opposite orders and deadlock.
          std::vector<Row> rows;
          for (int i = 0; i < batch_rows; ++i) {
            std::int64_t delta = static_cast<std::int64_t>(random() % 5) + 1;
            rows.push_back({static_cast<std::int64_t>(random() % key_space), delta, nullptr});
            sent[w] += delta;
          }
          c.execute_batch(adding(t, std::move(rows)));
          ++batches[w];
        } while (std::chrono::steady_clock::now() < deadline);
      } catch (const std::exception& e) {
        errors[w] = e.what();
      }
    });
  }
  for (auto& th : threads) th.join();
  std::int64_t all_sent = 0;
  for (int w = 0; w < writers; ++w) {
    EXPECT_EQ(errors[w], "") << "writer " << w;
    EXPECT_GT(batches[w], 0);
    all_sent += sent[w];
  }
  EXPECT_EQ(total(*t), all_sent);
}

INSTANTIATE_TEST_SUITE_P(Engines, Batches, ::testing::ValuesIn(all_engines()), EngineName());

}  // namespace
}  // namespace upsert::testing
