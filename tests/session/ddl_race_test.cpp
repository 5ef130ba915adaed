// DDL from many connections at once (issue 14, problem 2): four connections that create the same
// new table at the same moment must all succeed. PostgreSQL's CREATE TABLE IF NOT EXISTS is not
// safe against itself (two sessions both pass the "not exists" check and one fails inserting the
// table's row type: 23505 on pg_type_typname_nsp_index, or 42710/42P07), and a CounterWriter
// creates its ledger table the same way.

#include <barrier>
#include <thread>

#include "support/engine_fixture.hpp"

namespace upsert::testing {
namespace {

constexpr int connections = 4;
constexpr int rounds = 12;

class DdlRace : public EngineTest {
 protected:
  // Runs `work(connection)` on `connections` threads released at one moment; returns the errors.
  std::vector<std::string> race(const std::function<void(Connection&)>& work) {
    std::vector<Connection> opened;
    for (int i = 0; i < connections; ++i) opened.push_back(open_another());
    std::barrier start(connections);
    std::vector<std::string> errors(connections);
    std::vector<std::thread> threads;
    for (int i = 0; i < connections; ++i) {
      threads.emplace_back([&, i] {
        start.arrive_and_wait();
        try {
          work(opened[i]);
        } catch (const std::exception& e) {
          errors[i] = e.what();
        }
      });
    }
    for (auto& t : threads) t.join();
    std::vector<std::string> failed;
    for (auto& e : errors) {
      if (!e.empty()) failed.push_back(e);
    }
    return failed;
  }
};

TEST_P(DdlRace, ConnectionsCreatingOneNewTableAtOnceAllSucceed) {
  for (int round = 0; round < rounds; ++round) {
    const Table table = Table(unique_table_name("race"))
                            .column("k", Type::int64)
                            .column("n", Type::int64, default_value(0), not_null)
                            .unique_key({"k"});
    created_.push_back(table.name());
    auto failed = race([&](Connection& c) { c.create_table(table); });
    ASSERT_TRUE(failed.empty()) << "round " << round << ": " << failed.size() << " of " << connections
                                << " create_table calls failed, first: " << failed.front();
    EXPECT_EQ(count_rows(table), 0);
  }
}

TEST_P(DdlRace, WritersCreatingOneNewLedgerAtOnceAllStart) {
  auto table = create(Table(unique_table_name("race_counts"))
                          .column("k", Type::int64)
                          .column("n", Type::int64, default_value(0), not_null)
                          .unique_key({"k"}));
  for (int round = 0; round < rounds / 2; ++round) {
    CounterWriterOptions options;
    options.key = {"k"};
    options.sum = {"n"};
    options.ledger_table = unique_table_name("race_ledger");
    options.checkpoint_table = unique_table_name("race_checkpoints");
    created_.push_back(options.ledger_table);
    created_.push_back(options.checkpoint_table);
    auto failed = race([&](Connection& c) {
      CounterWriter writer(std::move(c), table, options);
      writer.add({1}, {1});
      writer.close();
    });
    ASSERT_TRUE(failed.empty()) << "round " << round << ": " << failed.size() << " of " << connections
                                << " writers failed to start, first: " << failed.front();
  }
  EXPECT_EQ(query_int(db(), "SELECT n FROM " + quote_identifier(table->name(), db().dialect())),
            connections * (rounds / 2));
}

INSTANTIATE_TEST_SUITE_P(Engines, DdlRace, ::testing::ValuesIn(all_engines()), EngineName());

}  // namespace
}  // namespace upsert::testing
