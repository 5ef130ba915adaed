// The counter writer under faults: the PostgreSQL server restarted mid-run, the writer's
// connection killed again and again (on PostgreSQL also exactly while it commits), and the same
// on MariaDB with KILL CONNECTION. After close() the sums must be exact: nothing lost, nothing
// counted twice.

#include <atomic>
#include <cstdlib>
#include <random>
#include <thread>

#include "drivers/engine_fixture.hpp"

namespace upsert::testing {
namespace {

using namespace std::chrono_literals;

std::string with_parameter(const std::string& url, const std::string& parameter) {
  return url + (url.find('?') == std::string::npos ? "?" : "&") + parameter;
}

std::shared_ptr<const Table> counters_table() {
  return std::make_shared<const Table>(Table(unique_table_name("faults"))
                                           .column("k", Type::int64)
                                           .column("n", Type::int64, default_value(0), not_null)
                                           .unique_key({"k"}));
}

CounterWriterOptions fast_flushing() {
  CounterWriterOptions o;
  o.key = {"k"};
  o.sum = {"n"};
  o.flush_interval = 10ms;
  o.first_backoff = 5ms;
  o.max_backoff = 200ms;
  o.give_up_after = std::chrono::seconds(120);
  return o;
}

// Producers add 1 to random keys until `stop`; returns how many increments were accepted.
std::int64_t produce(CounterWriter& writer, const std::atomic<bool>& stop, int producers) {
  std::atomic<std::int64_t> sent{0};
  std::vector<std::thread> threads;
  for (int p = 0; p < producers; ++p) {
    threads.emplace_back([&, p] {
      std::mt19937_64 random(static_cast<unsigned>(p) + 5u);
      std::int64_t mine = 0;
      while (!stop.load()) {
        writer.add({static_cast<std::int64_t>(random() % 500)}, {1});
        ++mine;
        if (mine % 256 == 0) std::this_thread::sleep_for(100us);  // a steady stream, not a flood
      }
      sent += mine;
    });
  }
  for (auto& t : threads) t.join();
  return sent.load();
}

std::int64_t stored_sum(Connection& c, const Table& t) {
  return query_int(
      c, "SELECT SUM(" + quote_identifier("n", c.dialect()) + ") FROM " + quote_identifier(t.name(), c.dialect()));
}

class PostgresFaults : public ::testing::Test {
 protected:
  void SetUp() override {
    base_url_ = engine_url(Engine::postgres);
    admin_ = std::make_unique<Connection>(connect(base_url_));
    table_ = counters_table();
    admin_->create_table(*table_);
    tag_ = "victim_" + table_->name();
  }
  void TearDown() override { drop_table(*admin_, table_->name()); }
  Connection victim() { return connect(with_parameter(base_url_, "application_name=" + tag_)); }
  // Terminates the victim's backends; `only_committing` picks those executing COMMIT right now.
  int kill_victims(bool only_committing) {
    std::string sql = "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = '" + tag_ +
                      "' AND pid <> pg_backend_pid()";
    if (only_committing) sql += " AND state = 'active' AND query = 'COMMIT'";
    return static_cast<int>(admin_->query(Sql{sql, {}}, {Type::boolean}).size());
  }

  std::string base_url_;
  std::unique_ptr<Connection> admin_;
  std::shared_ptr<const Table> table_;
  std::string tag_;
};

TEST_F(PostgresFaults, ServerRestartedMidRun) {
  CounterWriter writer(victim(), table_, fast_flushing());
  std::atomic<bool> stop{false};
  std::int64_t sent = 0;
  std::thread producers([&] { sent = produce(writer, stop, 4); });
  std::this_thread::sleep_for(700ms);
  const char* dir = std::getenv("UPSERT_TEST_SERVERS_DIR");
  std::string command = std::string("bash ") + UPSERT_SOURCE_DIR + "/scripts/test-servers.sh restart-postgres " +
                        (dir ? dir : "") + " >/dev/null 2>&1";
  ASSERT_EQ(std::system(command.c_str()), 0) << command;
  std::this_thread::sleep_for(700ms);
  stop = true;
  producers.join();
  WriterStats s = writer.close();
  Connection check = connect(base_url_);
  EXPECT_EQ(stored_sum(check, *table_), sent);
  EXPECT_EQ(s.failed_keys, 0u);
  EXPECT_GT(s.retries, 0u) << "the restart did not reach the writer";
  admin_ = std::make_unique<Connection>(connect(base_url_));
}

TEST_F(PostgresFaults, ConnectionKilledAgainAndAgain) {
  CounterWriter writer(victim(), table_, fast_flushing());
  std::atomic<bool> stop{false};
  std::int64_t sent = 0;
  std::thread producers([&] { sent = produce(writer, stop, 4); });
  int kills = 0;
  for (int i = 0; i < 40; ++i) {
    std::this_thread::sleep_for(50ms);
    kills += kill_victims(false);
  }
  stop = true;
  producers.join();
  WriterStats s = writer.close();
  EXPECT_GT(kills, 5);
  EXPECT_EQ(stored_sum(*admin_, *table_), sent);
  EXPECT_EQ(s.failed_keys, 0u);
  EXPECT_GT(s.retries, 0u);
}

TEST_F(PostgresFaults, ConnectionKilledWhileCommitting) {
  // A deferred constraint trigger that sleeps makes every COMMIT of the table take 100 ms, a
  // window in which the killer terminates the backend mid-COMMIT.
  const std::string fn = table_->name() + "_slow_commit";
  admin_->execute_script("CREATE FUNCTION " + fn +
                         "() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN PERFORM pg_sleep(0.1); RETURN NULL; END $$");
  admin_->execute_script("CREATE CONSTRAINT TRIGGER " + fn + " AFTER INSERT OR UPDATE ON " + table_->name() +
                         " DEFERRABLE INITIALLY DEFERRED FOR EACH ROW WHEN (NEW.k = 0) EXECUTE FUNCTION " + fn + "()");
  CounterWriterOptions o = fast_flushing();
  CounterWriter writer(victim(), table_, o);
  std::atomic<bool> stop{false};
  std::int64_t sent = 0;
  std::thread producers([&] { sent = produce(writer, stop, 2); });
  int kills = 0;
  const auto until = std::chrono::steady_clock::now() + 4s;
  while (std::chrono::steady_clock::now() < until) {
    kills += kill_victims(true);
    std::this_thread::sleep_for(5ms);
  }
  stop = true;
  producers.join();
  WriterStats s = writer.close();
  EXPECT_GT(kills, 0) << "no COMMIT was caught in flight";
  EXPECT_GT(s.ledger_checks, 0u) << "no flush had an unknown outcome";
  EXPECT_EQ(stored_sum(*admin_, *table_), sent);
  EXPECT_EQ(s.failed_keys, 0u);
  admin_->execute_script("DROP TRIGGER " + fn + " ON " + table_->name());
  admin_->execute_script("DROP FUNCTION " + fn + "()");
}

TEST(MariadbFaults, ConnectionKilledAgainAndAgain) {
  const std::string base = engine_url(Engine::mariadb);
  Connection admin = connect(base);
  auto table = counters_table();
  admin.create_table(*table);
  // A user of its own makes the victim's connections easy to find and kill, and no one else's.
  const std::string user = "v" + table->name().substr(table->name().size() - 10);
  for (const char* host : {"127.0.0.1", "localhost"}) {
    admin.execute_script("CREATE USER IF NOT EXISTS '" + user + "'@'" + host + "' IDENTIFIED BY 'pw'");
    admin.execute_script("GRANT ALL PRIVILEGES ON upsert_test.* TO '" + user + "'@'" + host + "'");
  }
  const auto at = base.find('@');
  const std::string victim_url = "mariadb://" + user + ":pw" + base.substr(at);
  CounterWriter writer(connect(victim_url), table, fast_flushing());
  std::atomic<bool> stop{false};
  std::int64_t sent = 0;
  std::thread producers([&] { sent = produce(writer, stop, 4); });
  int kills = 0;
  for (int i = 0; i < 40; ++i) {
    std::this_thread::sleep_for(50ms);
    auto ids = admin.query(Sql{"SELECT ID FROM information_schema.PROCESSLIST WHERE USER = '" + user + "'", {}},
                           {Type::int64});
    for (const auto& row : ids) {
      try {
        admin.execute_script("KILL CONNECTION " + std::to_string(row[0].as<std::int64_t>()));
        ++kills;
      } catch (const Error&) {
        // Gone already.
      }
    }
  }
  stop = true;
  producers.join();
  WriterStats s = writer.close();
  EXPECT_GT(kills, 5);
  EXPECT_EQ(stored_sum(admin, *table), sent);
  EXPECT_EQ(s.failed_keys, 0u);
  EXPECT_GT(s.retries, 0u);
  for (const char* host : {"127.0.0.1", "localhost"}) {
    admin.execute_script("DROP USER IF EXISTS '" + user + "'@'" + host + "'");
  }
  drop_table(admin, table->name());
}

}  // namespace
}  // namespace upsert::testing
