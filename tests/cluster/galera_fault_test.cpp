// Galera faults: a node that dies, and a node cut off from the primary component.
//
// A Galera node dies (SIGKILL) while the counter writer flushes through it. The writer's URL lists
// all three nodes, its own first: it reconnects to the next one, resolves a flush whose COMMIT
// outcome was lost through its ledger there, and goes on. Exact sums on every node afterwards
// (nothing lost, nothing applied twice), the killed node included once it has rejoined.

#include <thread>

#include "cluster/cluster.hpp"

namespace upsert::testing {
namespace {

// The URL of every node as one host list, node `first` (0-based) first.
std::string cluster_url(std::size_t first) {
  const auto urls = galera_urls();
  const ServerUrl base = parse_server_url(urls[first]);
  std::string hosts;
  for (std::size_t i = 0; i < urls.size(); ++i) {
    const ServerUrl u = parse_server_url(urls[(first + i) % urls.size()]);
    hosts += (i == 0 ? "" : ",") + u.host + ":" + u.port;
  }
  return base.scheme + "://" + base.user + ":" + base.password + "@" + hosts + "/" + base.database;
}

class GaleraFault : public ::testing::Test {
 protected:
  // The cluster must be whole again for the tests after this one.
  void TearDown() override { cluster_command("start-node 3"); }
};

TEST_F(GaleraFault, TheWriterMovesToAnotherNodeWhenItsNodeIsKilled) {
  auto t = std::make_shared<const Table>(Table(unique_table_name("galera_fault"))
                                             .column("k", Type::int64)
                                             .column("n", Type::int64, default_value(0), not_null)
                                             .unique_key({"k"}));
  {
    Connection c = connect(galera_urls()[0]);
    c.create_table(*t);
  }
  CounterWriterOptions o;
  o.key = {"k"};
  o.sum = {"n"};
  o.flush_interval = std::chrono::milliseconds(2);
  o.first_backoff = std::chrono::milliseconds(20);
  o.max_backoff = std::chrono::milliseconds(500);
  o.give_up_after = std::chrono::seconds(60);
  CounterWriter writer(connect(cluster_url(2)), t, o);  // node 3 first

  constexpr int keys = 100;
  std::int64_t added = 0;
  const auto start = std::chrono::steady_clock::now();
  bool killed = false;
  while (std::chrono::steady_clock::now() - start < std::chrono::milliseconds(2500)) {
    for (int i = 0; i < 200; ++i, ++added) writer.add({Value(std::int64_t{added % keys})}, {Value(std::int64_t{1})});
    if (!killed && std::chrono::steady_clock::now() - start > std::chrono::milliseconds(700)) {
      cluster_command("kill-node 3");
      killed = true;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  const WriterStats stats = writer.close();
  std::printf("added %lld in %llu flushes; %llu retries, %llu ledger checks\n", static_cast<long long>(added),
              static_cast<unsigned long long>(stats.flushes), static_cast<unsigned long long>(stats.retries),
              static_cast<unsigned long long>(stats.ledger_checks));
  // The connection itself reconnects (to the next node of the list) when a flush's first
  // statement finds the node gone, so the writer may count no retry: the sums say it moved on.

  const std::string sql = "SELECT COUNT(*), SUM(n) FROM " + quote_identifier(t->name(), Dialect::mariadb);
  auto check = [&](std::size_t node) {
    Connection c = connect(galera_urls()[node]);
    const auto rows = c.query(Sql{sql, {}}, {Type::int64, Type::int64});
    EXPECT_EQ(rows[0][0].as<std::int64_t>(), keys) << "node " << node + 1;
    EXPECT_EQ(rows[0][1].as<std::int64_t>(), added) << "node " << node + 1;
  };
  check(0);
  check(1);
  cluster_command("start-node 3");
  check(2);
}

// A wsrep status variable of the node behind `c`, as text (SHOW STATUS works on a node out of
// the primary component, where queries on tables are refused).
std::string wsrep_status(Connection& c, const std::string& name) {
  const auto rows = c.query(Sql{"SHOW STATUS LIKE '" + name + "'", {}}, {Type::text, Type::text});
  return rows.empty() ? std::string() : rows[0][1].as<std::string>();
}

// Waits up to 30 s for the node behind `c` to report `value` for status variable `name`.
void wait_for_status(Connection& c, const std::string& name, const std::string& value) {
  for (int i = 0; i < 300; ++i) {
    if (wsrep_status(c, name) == value) return;
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  FAIL() << "node 1: " << name << " did not become " << value << " within 30 s";
}

// Node 1 cut off from its peers (gmcast.isolate) is out of the primary component: it answers
// connections but refuses every statement with 1047 ("WSREP has not yet prepared node for
// application use"). A connection whose URL lists it first moves to the next node, as after a
// lost connection; before, 1047 was retried on node 1 until the attempts ran out.
class GaleraNonPrimary : public ::testing::Test {
 protected:
  void TearDown() override {
    Connection c = connect(galera_urls()[0]);
    c.execute_script("SET GLOBAL wsrep_provider_options = 'gmcast.isolate = 0'");
    wait_for_status(c, "wsrep_cluster_status", "Primary");
    wait_for_status(c, "wsrep_ready", "ON");  // rejoined by IST: it takes statements again
  }
};

TEST_F(GaleraNonPrimary, AStatementRefusedByANodeOutOfThePrimaryComponentMovesToTheNextHost) {
  const Table t = Table(unique_table_name("galera_non_primary"))
                      .column("k", Type::int64)
                      .column("n", Type::int64, default_value(0), not_null)
                      .unique_key({"k"});
  Connection node2 = connect(galera_urls()[1]);
  node2.create_table(t);
  Connection node1 = connect(galera_urls()[0]);
  node1.execute_script("SET GLOBAL wsrep_provider_options = 'gmcast.isolate = 1'");
  wait_for_status(node1, "wsrep_cluster_status", "non-Primary");

  Connection c = connect(cluster_url(0));  // node 1 answers, so it is taken
  c.set_retry_policy({.max_attempts = 5});
  Upsert add = insert_into(t);
  add.do_update(add_proposed({"n"}));
  c.execute(add.clear_rows().row({1, 5}));
  c.execute_batch(add.clear_rows().rows({{1, 2}, {2, 3}}));
  EXPECT_GE(c.stats().reconnects, 1u);

  const std::string sql = "SELECT COUNT(*), SUM(n) FROM " + quote_identifier(t.name(), Dialect::mariadb);
  const auto rows = node2.query(Sql{sql, {}}, {Type::int64, Type::int64});
  EXPECT_EQ(rows[0][0].as<std::int64_t>(), 2);
  EXPECT_EQ(rows[0][1].as<std::int64_t>(), 10);
}

}  // namespace
}  // namespace upsert::testing
