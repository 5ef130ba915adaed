// The counter writer under faults: the PostgreSQL server restarted mid-run; the writer's
// connection killed again and again, and killed exactly while it commits (PostgreSQL: a slow
// deferred trigger; MariaDB: KILL CONNECTION while BACKUP STAGE BLOCK_COMMIT holds the COMMIT),
// so the commit did not happen; and on both a COMMIT that did happen but whose answer a proxy
// dropped. After close() the sums must be exact: nothing lost, nothing counted twice.

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <cstdlib>
#include <functional>
#include <mutex>
#include <random>
#include <string_view>
#include <thread>

#include "support/engine_fixture.hpp"

namespace upsert::testing {
namespace {

using namespace std::chrono_literals;

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

// A TCP proxy between a client and its server. Once armed, it passes the next COMMIT request on,
// waits for the server's answer, and, when that answer says the commit succeeded, closes both
// sides without passing it on: the client then knows only that its connection was lost after it
// sent COMMIT, though the commit applied. No KILL can do that: a killed session's commit does
// not happen, so only this shows that a committed flush is not applied twice.
class CommitAnswerDroppingProxy {
 public:
  // `commit_request`: the exact bytes of a COMMIT request in the engine's protocol;
  // `committed`: whether the server's answer to it reports success.
  CommitAnswerDroppingProxy(const std::string& server_host, int server_port, std::string commit_request,
                            std::function<bool(std::string_view)> committed)
      : commit_request_(std::move(commit_request)), committed_(std::move(committed)) {
    server_.sin_family = AF_INET;
    server_.sin_port = htons(static_cast<std::uint16_t>(server_port));
    if (inet_pton(AF_INET, server_host.c_str(), &server_.sin_addr) != 1) {
      throw std::runtime_error("the proxy needs an IPv4 server address, not " + server_host);
    }
    listener_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in any{};
    any.sin_family = AF_INET;
    any.sin_port = 0;  // any free port
    any.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t size = sizeof(any);
    if (listener_ < 0 || ::bind(listener_, reinterpret_cast<sockaddr*>(&any), sizeof(any)) != 0 ||
        ::listen(listener_, 16) != 0 || ::getsockname(listener_, reinterpret_cast<sockaddr*>(&any), &size) != 0) {
      throw std::runtime_error("the proxy cannot listen on 127.0.0.1");
    }
    port_ = ntohs(any.sin_port);
    acceptor_ = std::thread([this] { accept_loop(); });
  }
  ~CommitAnswerDroppingProxy() {
    stop_ = true;
    acceptor_.join();
    std::lock_guard lock(mutex_);
    for (auto& t : relays_) t.join();
    ::close(listener_);
  }
  CommitAnswerDroppingProxy(const CommitAnswerDroppingProxy&) = delete;
  CommitAnswerDroppingProxy& operator=(const CommitAnswerDroppingProxy&) = delete;

  int port() const { return port_; }
  void arm() { armed_ = true; }
  // Commits that succeeded on the server while the client was told nothing.
  int dropped() const { return dropped_.load(); }

 private:
  static bool send_all(int fd, const char* data, std::size_t size) {
    while (size > 0) {
      const ssize_t n = ::send(fd, data, size, MSG_NOSIGNAL);
      if (n <= 0) return false;
      data += n;
      size -= static_cast<std::size_t>(n);
    }
    return true;
  }

  void accept_loop() {
    while (!stop_) {
      pollfd p{listener_, POLLIN, 0};
      if (::poll(&p, 1, 50) <= 0) continue;
      const int client = ::accept(listener_, nullptr, nullptr);
      if (client < 0) continue;
      const int server = ::socket(AF_INET, SOCK_STREAM, 0);
      if (server < 0 || ::connect(server, reinterpret_cast<const sockaddr*>(&server_), sizeof(server_)) != 0) {
        ::close(client);
        if (server >= 0) ::close(server);
        continue;
      }
      std::lock_guard lock(mutex_);
      relays_.emplace_back([this, client, server] { relay(client, server); });
    }
  }

  void relay(int client, int server) {
    char buffer[65536];
    while (!stop_) {
      pollfd p[2] = {{client, POLLIN, 0}, {server, POLLIN, 0}};
      if (::poll(p, 2, 50) <= 0) continue;
      if (p[0].revents != 0) {
        const ssize_t n = ::recv(client, buffer, sizeof(buffer), 0);
        if (n <= 0) break;
        const std::string_view request(buffer, static_cast<std::size_t>(n));
        if (!send_all(server, buffer, request.size())) break;
        if (armed_ && request == commit_request_) {
          // The client waits for this answer and sends nothing else meanwhile.
          pollfd answer{server, POLLIN, 0};
          if (::poll(&answer, 1, 10'000) > 0) {
            const ssize_t m = ::recv(server, buffer, sizeof(buffer), 0);
            if (m > 0 && committed_(std::string_view(buffer, static_cast<std::size_t>(m)))) {
              armed_ = false;
              ++dropped_;
              break;  // the answer is never passed on
            }
            if (m <= 0 || !send_all(client, buffer, static_cast<std::size_t>(m))) break;
          }
        }
      }
      if (p[1].revents != 0) {
        const ssize_t n = ::recv(server, buffer, sizeof(buffer), 0);
        if (n <= 0 || !send_all(client, buffer, static_cast<std::size_t>(n))) break;
      }
    }
    ::close(client);
    ::close(server);
  }

  const std::string commit_request_;
  const std::function<bool(std::string_view)> committed_;
  sockaddr_in server_{};
  int listener_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false}, armed_{false};
  std::atomic<int> dropped_{0};
  std::thread acceptor_;
  std::mutex mutex_;
  std::vector<std::thread> relays_;
};

// The writer's COMMIT succeeds on the server five times but its answer is lost: each time the
// writer must find its flush in the ledger and not apply it again.
void expect_committed_flushes_with_lost_answers_count_once(Engine engine, const std::string& commit_request,
                                                           std::function<bool(std::string_view)> committed) {
  const ServerUrl base = server_url_parts(engine);
  Connection admin = connect(base.str());
  auto table = counters_table();
  admin.create_table(*table);
  int dropped = 0;
  std::int64_t sent = 0;
  WriterStats s;
  {
    CommitAnswerDroppingProxy proxy(base.host, std::stoi(base.port), commit_request, std::move(committed));
    ServerUrl via_proxy = base;
    via_proxy.port = std::to_string(proxy.port());
    CounterWriter writer(connect(via_proxy.str()), table, fast_flushing());
    std::atomic<bool> stop{false};
    std::thread producers([&] { sent = produce(writer, stop, 2); });
    for (int round = 1; round <= 5; ++round) {
      proxy.arm();
      const auto until = std::chrono::steady_clock::now() + 10s;
      while (proxy.dropped() < round && std::chrono::steady_clock::now() < until) std::this_thread::sleep_for(5ms);
      std::this_thread::sleep_for(50ms);  // the writer reconnects and looks up the ledger
    }
    stop = true;
    producers.join();
    s = writer.close();
    dropped = proxy.dropped();
  }
  EXPECT_EQ(dropped, 5) << "a round saw no successful COMMIT";
  EXPECT_EQ(s.ledger_checks, static_cast<std::uint64_t>(dropped));
  // Applying a committed flush again would make the stored sum larger than what was sent.
  EXPECT_EQ(stored_sum(admin, *table), sent);
  EXPECT_EQ(s.failed_keys, 0u);
  drop_table(admin, table->name());
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
  const std::string command = test_servers_command(UPSERT_SOURCE_DIR, "restart-postgres") + " >/dev/null 2>&1";
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

TEST(PostgresCommitAnswerLost, ACommittedFlushIsLookedUpNotAppliedAgain) {
  // The simple-query protocol's COMMIT (libpq's PQexec): 'Q', the length, "COMMIT\0"; the server
  // answers CommandComplete ('C') when it committed.
  using namespace std::string_literals;
  expect_committed_flushes_with_lost_answers_count_once(Engine::postgres,
                                                        "Q\0\0\0\x0b"s
                                                        "COMMIT\0"s,
                                                        [](std::string_view answer) {
                                                          return answer.starts_with("C") &&
                                                                 answer.find("COMMIT") != std::string_view::npos;
                                                        });
}

TEST(MariadbCommitAnswerLost, ACommittedFlushIsLookedUpNotAppliedAgain) {
  // COM_QUERY "COMMIT": a 3-byte length (7), sequence 0, command 0x03, the text; the server
  // answers with an OK packet (first payload byte 0x00) when it committed.
  using namespace std::string_literals;
  expect_committed_flushes_with_lost_answers_count_once(
      Engine::mariadb,
      "\x07\0\0\0\x03"s
      "COMMIT"s,
      [](std::string_view answer) { return answer.size() > 4 && answer[4] == '\0'; });
}

// MariaDB: the victim writer logs in as a user of its own, so that its connections are easy to
// find in the process list and to KILL, and no one else's.
class MariadbFaults : public ::testing::Test {
 protected:
  void SetUp() override {
    base_ = server_url_parts(Engine::mariadb);
    admin_ = std::make_unique<Connection>(connect(base_.str()));
    table_ = counters_table();
    admin_->create_table(*table_);
    user_ = "v" + table_->name().substr(table_->name().size() - 10);
    // The database of the test server's URL, as the server spells it.
    const std::string database =
        admin_->query(Sql{"SELECT DATABASE()", {}}, {Type::text}).at(0).at(0).as<std::string>();
    for (const char* host : {"127.0.0.1", "localhost"}) {
      admin_->execute_script("CREATE USER IF NOT EXISTS '" + user_ + "'@'" + host + "' IDENTIFIED BY 'pw'");
      admin_->execute_script("GRANT ALL PRIVILEGES ON " + quote_identifier(database, Dialect::mariadb) + ".* TO '" +
                             user_ + "'@'" + host + "'");
    }
  }
  void TearDown() override {
    // A failed test may have left commits blocked.
    try {
      admin_->execute_script("BACKUP STAGE END");
    } catch (const Error&) {
      // No backup stage was open.
    }
    for (const char* host : {"127.0.0.1", "localhost"}) {
      admin_->execute_script("DROP USER IF EXISTS '" + user_ + "'@'" + host + "'");
    }
    drop_table(*admin_, table_->name());
  }
  Connection victim() {
    ServerUrl u = base_;
    u.user = user_;
    u.password = "pw";
    return connect(u.str());
  }
  // Connection ids of the victim's sessions; with `only_blocked_commits`, those whose COMMIT
  // waits for the backup lock.
  std::vector<std::int64_t> victims(bool only_blocked_commits) {
    std::string sql = "SELECT ID FROM information_schema.PROCESSLIST WHERE USER = '" + user_ + "'";
    if (only_blocked_commits) sql += " AND UPPER(INFO) = 'COMMIT' AND STATE = 'Waiting for backup lock'";
    std::vector<std::int64_t> ids;
    for (const auto& row : admin_->query(Sql{sql, {}}, {Type::int64})) ids.push_back(row[0].as<std::int64_t>());
    return ids;
  }
  bool kill(std::int64_t id) {
    try {
      admin_->execute_script("KILL CONNECTION " + std::to_string(id));
      return true;
    } catch (const Error&) {
      return false;  // gone already
    }
  }

  ServerUrl base_;
  std::unique_ptr<Connection> admin_;
  std::shared_ptr<const Table> table_;
  std::string user_;
};

TEST_F(MariadbFaults, ConnectionKilledAgainAndAgain) {
  CounterWriter writer(victim(), table_, fast_flushing());
  std::atomic<bool> stop{false};
  std::int64_t sent = 0;
  std::thread producers([&] { sent = produce(writer, stop, 4); });
  int kills = 0;
  for (int i = 0; i < 40; ++i) {
    std::this_thread::sleep_for(50ms);
    for (auto id : victims(false)) kills += kill(id) ? 1 : 0;
  }
  stop = true;
  producers.join();
  WriterStats s = writer.close();
  EXPECT_GT(kills, 5);
  EXPECT_EQ(stored_sum(*admin_, *table_), sent);
  EXPECT_EQ(s.failed_keys, 0u);
  EXPECT_GT(s.retries, 0u);
}

TEST_F(MariadbFaults, ConnectionKilledWhileCommitting) {
  // BACKUP STAGE BLOCK_COMMIT holds every COMMIT (state "Waiting for backup lock") while letting
  // the statements before it run: the writer's flush then sits in COMMIT, where KILL CONNECTION
  // catches it every time. The client learns only that the connection is gone after COMMIT was
  // sent, so the writer must look its flush up in the ledger.
  CounterWriter writer(victim(), table_, fast_flushing());
  std::atomic<bool> stop{false};
  std::int64_t sent = 0;
  std::thread producers([&] { sent = produce(writer, stop, 2); });
  int kills = 0;
  const auto until = std::chrono::steady_clock::now() + 30s;
  for (int round = 0; round < 5 && std::chrono::steady_clock::now() < until; ++round) {
    admin_->execute_script("BACKUP STAGE START");
    admin_->execute_script("BACKUP STAGE BLOCK_COMMIT");
    std::vector<std::int64_t> blocked;
    for (int poll = 0; poll < 500 && blocked.empty(); ++poll) {
      blocked = victims(true);
      if (blocked.empty()) std::this_thread::sleep_for(10ms);
    }
    for (auto id : blocked) kills += kill(id) ? 1 : 0;
    admin_->execute_script("BACKUP STAGE END");
    std::this_thread::sleep_for(200ms);  // the writer reconnects, looks up the ledger, flushes again
  }
  stop = true;
  producers.join();
  WriterStats s = writer.close();
  EXPECT_EQ(kills, 5) << "a round found no COMMIT waiting";
  // Nothing else disturbs the writer: each killed COMMIT, and only those, is looked up.
  EXPECT_EQ(s.ledger_checks, static_cast<std::uint64_t>(kills));
  EXPECT_GT(s.ledger_checks, 0u);
  EXPECT_EQ(stored_sum(*admin_, *table_), sent);
  EXPECT_EQ(s.failed_keys, 0u);
}

}  // namespace
}  // namespace upsert::testing
