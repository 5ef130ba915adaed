// No increment is ever lost: many threads (and, on SQLite, processes), each with its own
// connection, send single-row increments, half of them on a few hot keys; the final sums must
// equal what was sent, and no error may reach the caller.

#include <sys/wait.h>
#include <unistd.h>

#include <map>
#include <random>
#include <thread>

#include "support/engine_fixture.hpp"

namespace upsert::testing {
namespace {

constexpr int thread_count = 16;
constexpr int increments_per_thread = 20'000;
constexpr int hot_keys = 4;
constexpr int cold_keys = 5'000;

std::shared_ptr<const Table> hits_table() {
  return std::make_shared<const Table>(Table(unique_table_name("hits"))
                                           .column("k", Type::int64)
                                           .column("n", Type::int64, default_value(0), not_null)
                                           .unique_key({"k"}));
}

// The key of the i-th increment of a worker: even steps hit the hot keys, odd ones spread out.
std::int64_t key_for(std::mt19937_64& random, int i) {
  if (i % 2 == 0) return static_cast<std::int64_t>(random() % hot_keys);
  return hot_keys + static_cast<std::int64_t>(random() % cold_keys);
}

// Sends `count` increments of 1 and returns how many it sent per key.
std::map<std::int64_t, std::int64_t> send_increments(Connection& c, const std::shared_ptr<const Table>& t,
                                                     unsigned seed, int count) {
  std::mt19937_64 random(seed);
  std::map<std::int64_t, std::int64_t> sent;
  for (int i = 0; i < count; ++i) {
    std::int64_t k = key_for(random, i);
    Upsert s = insert_into(t);
    s.row({k, 1}).on_conflict({"k"}).do_update(add_proposed({"n"}));
    c.execute(s);
    ++sent[k];
  }
  return sent;
}

void expect_sums(Connection& c, const Table& t, const std::map<std::int64_t, std::int64_t>& sent) {
  std::map<std::int64_t, std::int64_t> stored;
  for (const auto& row : read_table(c, t)) stored[row[0].as<std::int64_t>()] = row[1].as<std::int64_t>();
  std::int64_t total_sent = 0, total_stored = 0;
  for (const auto& [k, n] : sent) total_sent += n;
  for (const auto& [k, n] : stored) total_stored += n;
  EXPECT_EQ(total_stored, total_sent);
  EXPECT_EQ(stored, sent) << "per-key sums differ";
}

class Concurrency : public EngineTest {};

TEST_P(Concurrency, SixteenThreadsLoseNoIncrement) {
  auto t = hits_table();
  create(*t);
  std::vector<std::map<std::int64_t, std::int64_t>> sent(thread_count);
  std::vector<std::string> errors(thread_count);
  std::vector<std::thread> threads;
  for (int w = 0; w < thread_count; ++w) {
    threads.emplace_back([&, w] {
      try {
        Connection c = open_another();
        sent[w] = send_increments(c, t, static_cast<unsigned>(1000 + w), increments_per_thread);
      } catch (const std::exception& e) {
        errors[w] = e.what();
      }
    });
  }
  for (auto& th : threads) th.join();
  for (int w = 0; w < thread_count; ++w) EXPECT_EQ(errors[w], "") << "worker " << w;
  std::map<std::int64_t, std::int64_t> all_sent;
  for (const auto& s : sent) {
    for (const auto& [k, n] : s) all_sent[k] += n;
  }
  expect_sums(db(), *t, all_sent);
}

INSTANTIATE_TEST_SUITE_P(Engines, Concurrency, ::testing::ValuesIn(all_engines()), EngineName());

TEST(SqliteProcesses, FourProcessesOnOneFileLoseNoIncrement) {
  const std::string path = fresh_sqlite_path();
  auto t = hits_table();
  {
    Connection c = connect("sqlite:" + path);
    c.create_table(*t);
  }
  constexpr int processes = 4;
  constexpr int per_process = 5'000;
  std::vector<pid_t> children;
  for (int p = 0; p < processes; ++p) {
    pid_t pid = ::fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      int code = 0;
      try {
        Connection c = connect("sqlite:" + path);
        send_increments(c, t, static_cast<unsigned>(77 + p), per_process);
      } catch (...) {
        code = 1;
      }
      ::_exit(code);
    }
    children.push_back(pid);
  }
  std::map<std::int64_t, std::int64_t> sent;
  for (int p = 0; p < processes; ++p) {
    // Replay each child's deterministic sequence to know what it sent.
    std::mt19937_64 random(static_cast<unsigned>(77 + p));
    for (int i = 0; i < per_process; ++i) ++sent[key_for(random, i)];
  }
  for (pid_t pid : children) {
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "a writer process failed";
  }
  Connection c = connect("sqlite:" + path);
  expect_sums(c, *t, sent);
}

}  // namespace
}  // namespace upsert::testing
