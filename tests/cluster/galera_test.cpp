// Galera multi-primary on hot keys: 8 writers in 2 processes spread over the 3 nodes, with
// single-row upserts, execute_batch and the counter writer, on the table the library creates
// (a UNIQUE key as conflict target) and on Django's shape (an AUTO_INCREMENT id primary key and a
// UNIQUE key on four columns). Every node must hold the exact sums afterwards, and the
// certification failures and brute-force aborts Galera resolved must show in the library's retries.

#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <cstdio>
#include <thread>

#include "cluster/cluster.hpp"

namespace upsert::testing {
namespace {

constexpr int processes = 2;
constexpr int threads_per_process = 4;
constexpr int writers = processes * threads_per_process;
constexpr int hot_keys = 6;
constexpr int single_rows = 150;      // single-row upserts per writer
constexpr int batches = 40;           // execute_batch calls per writer
constexpr int rows_per_batch = 12;    // rows per batch (repeated keys merged by the library)
constexpr int writer_events = 20000;  // CounterWriter::add calls per writer

enum class Shape { library, django };
enum class Path { single, batch, writer };

std::string shape_name(Shape s) {
  return s == Shape::library ? "library" : "django";
}

Row key_of(int k) {
  return {Value(std::int64_t{k}), Value(k % 2 ? "B" : "A"), Value(std::int64_t{20261202}), Value("SE")};
}

// The table of one path, in one shape.
std::shared_ptr<const Table> table_for(Shape shape, const std::string& name) {
  Table t(name);
  if (shape == Shape::django) t.column("id", Type::int64, identity).primary_key({"id"});
  t.column("test_id", Type::int64)
      .column("version", Type::text)
      .column("day", Type::int64)
      .column("country", Type::text)
      .column("participants", Type::int64, default_value(0), not_null)
      .column("conversions", Type::int64, default_value(0), not_null)
      .unique_key({"test_id", "version", "day", "country"});
  return std::make_shared<const Table>(std::move(t));
}

const std::vector<std::string> key_columns{"test_id", "version", "day", "country"};

Upsert counting_upsert(const std::shared_ptr<const Table>& t) {
  Upsert u(t);
  u.columns({"test_id", "version", "day", "country", "participants", "conversions"})
      .on_conflict(key_columns)
      .do_update(add_proposed({"participants", "conversions"}));
  return u;
}

Row event_row(int k, std::int64_t conversion) {
  Row r = key_of(k);
  r.push_back(Value(std::int64_t{1}));
  r.push_back(Value(conversion));
  return r;
}

// What one writer adds, the same for every writer: (participants, conversions).
std::pair<std::int64_t, std::int64_t> per_writer_totals(Path path) {
  const int events = path == Path::single  ? single_rows
                     : path == Path::batch ? batches * rows_per_batch
                                           : writer_events;
  std::int64_t conversions = 0;
  for (int i = 0; i < events; ++i) conversions += i % 5 == 0 ? 1 : 0;
  return {events, conversions};
}

// One writer's work on its node; returns the retries the library counted.
std::uint64_t write(Path path, const std::string& url, const std::shared_ptr<const Table>& t) {
  if (path == Path::writer) {
    CounterWriterOptions o;
    o.key = key_columns;
    o.sum = {"participants", "conversions"};
    o.flush_interval = std::chrono::milliseconds(5);
    std::uint64_t retries = 0;
    {
      CounterWriter w(connect(url), t, o);
      for (int i = 0; i < writer_events; ++i) {
        const Row key = key_of(i % hot_keys);
        const Row deltas{Value(std::int64_t{1}), Value(std::int64_t{i % 5 == 0 ? 1 : 0})};
        w.add(key, deltas);
        if (i % 100 == 99) std::this_thread::sleep_for(std::chrono::microseconds(200));
      }
      // close() throws when keys failed.
      retries = w.close().retries;
    }
    return retries;
  }
  Connection c = connect(url);
  c.set_retry_policy({.max_attempts = 1000,
                      .first_backoff = std::chrono::milliseconds(1),
                      .max_backoff = std::chrono::milliseconds(100)});
  Upsert u = counting_upsert(t);
  if (path == Path::single) {
    for (int i = 0; i < single_rows; ++i) {
      u.clear_rows().row(event_row(i % hot_keys, i % 5 == 0 ? 1 : 0));
      c.execute(u);
    }
  } else {
    int i = 0;
    for (int b = 0; b < batches; ++b) {
      u.clear_rows();
      for (int r = 0; r < rows_per_batch; ++r, ++i) u.row(event_row((i * 7) % hot_keys, i % 5 == 0 ? 1 : 0));
      c.execute_batch(u);
    }
  }
  return c.stats().retries;
}

// A child process: its writers, each on node (writer number % nodes); writes its retries to `out`
// and exits 0, or prints the first error and exits 1.
[[noreturn]] void run_child(int process, Path path, const std::shared_ptr<const Table>& t, int out) {
  const auto urls = galera_urls();
  std::atomic<std::uint64_t> retries{0};
  std::atomic<bool> failed{false};
  std::vector<std::thread> threads;
  for (int w = 0; w < threads_per_process; ++w) {
    const int writer = process * threads_per_process + w;
    threads.emplace_back([&, writer] {
      try {
        retries += write(path, urls[static_cast<std::size_t>(writer) % urls.size()], t);
      } catch (const std::exception& e) {
        std::fprintf(stderr, "writer %d: %s\n", writer, e.what());
        failed = true;
      }
    });
  }
  for (auto& th : threads) th.join();
  const std::uint64_t n = retries;
  if (::write(out, &n, sizeof n) != sizeof n) failed = true;
  std::fflush(stderr);
  ::_exit(failed ? 1 : 0);
}

class GaleraHotKeys : public ::testing::TestWithParam<Shape> {};

TEST_P(GaleraHotKeys, EightWritersOverThreeNodesStoreExactSumsOnEveryNode) {
  const auto urls = galera_urls();
  ASSERT_EQ(urls.size(), 3u);
  const Shape shape = GetParam();
  const std::int64_t aborts_before = galera_aborts();
  std::uint64_t library_retries = 0;

  for (Path path : {Path::single, Path::batch, Path::writer}) {
    const std::string path_name = path == Path::single ? "single" : path == Path::batch ? "batch" : "writer";
    SCOPED_TRACE(path_name);
    auto t = table_for(shape, unique_table_name("galera_" + shape_name(shape) + "_" + path_name));
    {
      Connection c = connect(urls[0]);
      drop_table(c, t->name());
      c.create_table(*t);
    }
    std::vector<std::pair<pid_t, int>> children;
    for (int p = 0; p < processes; ++p) {
      std::array<int, 2> pipe_fds{};
      ASSERT_EQ(::pipe(pipe_fds.data()), 0);
      const pid_t pid = ::fork();
      ASSERT_GE(pid, 0);
      if (pid == 0) {
        ::close(pipe_fds[0]);
        run_child(p, path, t, pipe_fds[1]);
      }
      ::close(pipe_fds[1]);
      children.emplace_back(pid, pipe_fds[0]);
    }
    for (auto [pid, fd] : children) {
      std::uint64_t n = 0;
      const bool got = ::read(fd, &n, sizeof n) == sizeof n;
      ::close(fd);
      int status = 0;
      ::waitpid(pid, &status, 0);
      EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "a writer process failed (see stderr)";
      if (got) library_retries += n;
    }

    const auto [participants, conversions] = per_writer_totals(path);
    const std::string sql =
        "SELECT COUNT(*), SUM(participants), SUM(conversions) FROM " + quote_identifier(t->name(), Dialect::mariadb);
    for (std::size_t node = 0; node < urls.size(); ++node) {
      Connection c = connect(urls[node]);
      // Wait until this node has applied every write the cluster committed before the read.
      c.execute_script("SET SESSION wsrep_sync_wait = 1");
      const auto rows = c.query(Sql{sql, {}}, {Type::int64, Type::int64, Type::int64});
      ASSERT_EQ(rows.size(), 1u);
      EXPECT_EQ(rows[0][0].as<std::int64_t>(), hot_keys) << "node " << node + 1;
      EXPECT_EQ(rows[0][1].as<std::int64_t>(), participants * writers) << "participants on node " << node + 1;
      EXPECT_EQ(rows[0][2].as<std::int64_t>(), conversions * writers) << "conversions on node " << node + 1;
    }
  }
  const std::int64_t aborts = galera_aborts() - aborts_before;
  std::printf(
      "%s: Galera aborted %lld transactions (certification failures + brute-force aborts); the library "
      "retried %llu times\n",
      shape_name(shape).c_str(), static_cast<long long>(aborts), static_cast<unsigned long long>(library_retries));
  // Hot keys on three primaries must conflict; every conflict Galera resolved by an abort must
  // have reached the library as an error it retried.
  EXPECT_GT(aborts, 0) << "no conflict happened: the test does not exercise certification";
  EXPECT_GT(library_retries, 0u);
}

INSTANTIATE_TEST_SUITE_P(Shapes, GaleraHotKeys, ::testing::Values(Shape::library, Shape::django),
                         [](const auto& shape) { return shape_name(shape.param); });

}  // namespace
}  // namespace upsert::testing
