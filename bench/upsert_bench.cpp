// upsert-bench: the A/B workload on SQLite, PostgreSQL and MariaDB, applied five ways (raw
// driver, locking read-modify-write, library single-row, library batch, counter writer) at
// several thread counts, each cell verified against the table's sums. Writes results.md,
// results.json and chart.png, and prints how the run did against the performance targets.

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <CLI/CLI.hpp>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <iostream>
#include <map>

#include "cell.hpp"
#include "raw_clients.hpp"
#include "report.hpp"

namespace upsert::bench {
namespace {

constexpr int exit_ok = 0;
constexpr int exit_unverified = 1;
constexpr int exit_usage = 2;

struct Options {
  bool quick = false;
  std::vector<std::string> engines{"sqlite", "postgres", "mariadb"};
  std::vector<std::string> arms{"raw",    "raw-values", "raw-unnest", "raw-tx",      "locking",
                                "single", "prepared",   "batch",      "batch-procs", "writer"};
  std::vector<std::string> workloads{"uniform", "hot"};
  std::vector<int> threads;  // default: 1,8 (quick) or 1,8,32 (full)
  double seconds = 0;        // per round; default: 0.4 (quick) or 1 (full)
  int rounds = 0;            // per cell; default: 2 (quick) or 5 (full)
  std::uint64_t events = 0;  // per cell, instead of a duration
  std::string output = UPSERT_BENCH_RESULTS_DIR;
  bool unique_key_table = false;
};

// The URLs in `variable` (comma-separated); throws naming the script that sets it when it is unset.
std::vector<std::string> urls_from(const char* variable, Engine engine) {
  const char* value = std::getenv(variable);
  if (value == nullptr || *value == '\0') {
    const bool cluster = engine == Engine::galera || engine == Engine::galera_1node || engine == Engine::spider;
    throw Error(ErrorCategory::invalid_argument,
                fmt::format("{} is not set, so {} cannot be benchmarked: {}, or leave {} out with --engines", variable,
                            engine_name(engine),
                            cluster ? "run bench/cluster.sh, or `bash scripts/cluster-servers.sh start` and source the "
                                      "env.sh it writes"
                                    : "run scripts/bench.sh (it starts the servers), or `bash scripts/test-servers.sh "
                                      "start` and `source /tmp/upsert-test-servers/env.sh`",
                            engine_name(engine)));
  }
  std::vector<std::string> urls;
  std::string_view rest(value);
  while (!rest.empty()) {
    const auto comma = rest.find(',');
    urls.emplace_back(rest.substr(0, comma));
    rest = comma == std::string_view::npos ? std::string_view() : rest.substr(comma + 1);
  }
  return urls;
}

// One multi-host URL (mariadb://u:p@h1:p1,h2:p2/db) from single-host URLs that differ only in host:port.
std::string multi_host_url(const std::vector<std::string>& urls) {
  std::string hosts;
  for (const auto& url : urls) {
    const auto at = url.find('@');
    const auto slash = url.find('/', at == std::string::npos ? 0 : at);
    if (at == std::string::npos || slash == std::string::npos) {
      throw Error(ErrorCategory::invalid_argument,
                  fmt::format("\"{}\" is not a mariadb://user:password@host:port/database URL", url));
    }
    hosts += (hosts.empty() ? "" : ",") + url.substr(at + 1, slash - at - 1);
  }
  const std::string& first = urls.front();
  return first.substr(0, first.find('@') + 1) + hosts + first.substr(first.find('/', first.find('@')));
}

EngineTarget engine_target(Engine engine) {
  EngineTarget target{engine, {}, {}, {}};
  switch (engine) {
    case Engine::sqlite: target.location = std::filesystem::temp_directory_path().string(); break;
    case Engine::postgres: target.location = urls_from("UPSERT_TEST_POSTGRES_URL", engine).front(); break;
    case Engine::mariadb: target.location = urls_from("UPSERT_TEST_MARIADB_URL", engine).front(); break;
    case Engine::galera:
      // Thread i writes through node i % 3; the counter writer and the checks use the multi-host URL.
      target.thread_urls = urls_from("UPSERT_TEST_GALERA_URLS", engine);
      target.location = multi_host_url(target.thread_urls);
      break;
    case Engine::galera_1node: target.location = urls_from("UPSERT_TEST_GALERA_URLS", engine).front(); break;
    case Engine::spider:
      target.location = urls_from("UPSERT_TEST_SPIDER_URL", engine).front();
      target.backend_urls = urls_from("UPSERT_TEST_SPIDER_BACKEND_URLS", engine);
      break;
  }
  return target;
}

std::string command_line(int argc, char** argv) {
  std::vector<std::string> words(argv, argv + argc);
  words[0] = std::filesystem::path(words[0]).filename().string();
  return fmt::format("{}", fmt::join(words, " "));
}

// Cells that are compared with each other: one engine, workload and thread count, every arm.
using Group = std::vector<CellSpec>;

std::vector<Group> plan(const Options& o) {
  std::vector<Arm> arms;
  for (const auto& a : o.arms) arms.push_back(parse_arm(a));
  std::sort(arms.begin(), arms.end());  // raw first: the table lists it first
  arms.erase(std::unique(arms.begin(), arms.end()), arms.end());
  const auto duration = std::chrono::milliseconds(static_cast<long long>(o.seconds * 1000));
  std::vector<Group> groups;
  for (const auto& e : o.engines) {
    for (const auto& w : o.workloads) {
      for (int t : o.threads) {
        Group g;
        for (Arm a : arms) {
          // The hand-written batches are verdicts' baselines at 1 and 8 threads only.
          const bool raw_batch =
              std::find(raw_batch_arms().begin(), raw_batch_arms().end(), a) != raw_batch_arms().end();
          if (raw_batch && t > 8) continue;
          if (arm_applies(a, parse_engine(e)))
            g.push_back(CellSpec{parse_engine(e), parse_workload(w), a, t, duration, o.events, o.unique_key_table});
        }
        groups.push_back(std::move(g));
      }
    }
  }
  return groups;
}

// Runs a group's arms in interleaved rounds (each round starting at the next arm), so that a
// slow spell of the shared machine hits every arm alike instead of one arm's whole cell.
std::vector<CellResult> run_group(const Group& group, const EngineTarget& target, int rounds) {
  std::vector<std::vector<CellResult>> by_arm(group.size());
  for (int r = 0; r < rounds; ++r) {
    for (std::size_t k = 0; k < group.size(); ++k) {
      const std::size_t i = (k + static_cast<std::size_t>(r)) % group.size();
      by_arm[i].push_back(run_cell(group[i], target));
    }
  }
  std::vector<CellResult> merged;
  for (const auto& rounds_of_arm : by_arm) merged.push_back(merge_rounds(rounds_of_arm));
  return merged;
}

int run(const Options& o, const std::string& command) {
  const auto started = std::chrono::steady_clock::now();
  init_raw_clients();
  RunInfo run = read_machine();
  run.command = command;
  run.clients = fmt::format("{}, {}, {}", raw_sqlite_version(), raw_postgres_version(), raw_mariadb_version());
  run.mode =
      fmt::format("{}: {} rounds of {} per cell, arms interleaved, median reported", o.quick ? "quick" : "full",
                  o.rounds, o.events != 0 ? fmt::format("{} events", o.events) : fmt::format("{:.1f} s", o.seconds));
  run.mode += fmt::format(", threads {}", fmt::join(o.threads, ","));
  if (o.quick) run.mode += " (32 threads only in full mode, to stay under two minutes)";
  if (o.unique_key_table) run.mode += "; tables with a UNIQUE key and no PRIMARY KEY";

  const std::vector<Group> groups = plan(o);
  std::map<Engine, EngineTarget> targets;
  for (const auto& g : groups) {
    const Engine engine = g.front().engine;
    if (targets.count(engine) != 0) continue;
    targets[engine] = engine_target(engine);
    run.engines.emplace_back(std::string(engine_name(engine)), engine_version(targets[engine]));
  }
  std::cout << fmt::format("upsert-bench {}; {} cells; load average {} on {} cores\n", run.mode,
                           groups.size() * groups.front().size(), run.load_at_start, run.cores)
            << std::flush;

  std::vector<CellResult> results;
  for (const auto& group : groups) {
    for (auto& cell : run_group(group, targets.at(group.front().engine), o.rounds)) {
      results.push_back(std::move(cell));
      std::cout << cell_line(results.back(), results) << std::endl;
    }
  }

  run.load_at_end = read_load();
  run.elapsed_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  const auto checks = check_targets(results);
  const std::filesystem::path dir(o.output);
  std::filesystem::create_directories(dir);
  write_markdown(dir / "results.md", run, results, checks);
  write_json(dir / "results.json", run, results, checks);
  const std::string chart = write_chart(dir, results);
  print_targets(std::cout, checks);

  std::size_t failed = 0;
  for (const auto& r : results) failed += r.verified ? 0 : 1;
  std::cout << fmt::format("\nResults: {}, {}{}\n", (dir / "results.md").string(), (dir / "results.json").string(),
                           chart.empty() ? ", " + (dir / "chart.png").string() : "; no chart: " + chart);
  std::cout << fmt::format("Load average at end: {}. Total elapsed: {:.1f} s\n", run.load_at_end, run.elapsed_seconds);
  if (failed != 0) {
    std::cout << fmt::format("{} of {} cells FAILED verification (see results.md)\n", failed, results.size());
    return exit_unverified;
  }
  return exit_ok;
}

}  // namespace
}  // namespace upsert::bench

int main(int argc, char** argv) {
  using namespace upsert::bench;
  Options o;
  CLI::App app{"upsert-bench: the A/B upsert workload on SQLite, PostgreSQL and MariaDB, five ways, verified"};
  app.add_flag("--quick", o.quick,
               "Short cells (2 rounds of 0.4 s) and threads 1,8: under two minutes with servers running");
  app.add_option("--engines", o.engines, "Engines: sqlite,postgres,mariadb,galera,galera-1node,spider")->delimiter(',');
  app.add_option("--arms", o.arms,
                 "Arms (default all): raw, the hand-written batches raw-values,raw-unnest (PostgreSQL),raw-tx (SQLite) "
                 "(at 1 and 8 threads), locking,single,prepared,batch,batch-procs (PostgreSQL, MariaDB: a process per "
                 "thread),writer")
      ->delimiter(',');
  app.add_option("--workloads", o.workloads, "Workloads: uniform (4,800 keys), hot (48 keys)")->delimiter(',');
  app.add_option("--threads", o.threads, "Thread counts, e.g. 1,8,32 (default 1,8 quick; 1,8,32 full)")
      ->delimiter(',')
      ->check(CLI::Range(1, 256));
  app.add_option("--seconds", o.seconds, "Seconds per round of a cell (default 0.4 quick, 1 full)")
      ->check(CLI::Range(0.05, 600.0));
  app.add_option("--rounds", o.rounds,
                 "Rounds per cell, arms interleaved; the median is reported (default 2 quick, 5 full)")
      ->check(CLI::Range(1, 100));
  app.add_option("--events", o.events, "Events per round instead of a duration (split over the threads)");
  app.add_flag("--unique-key-table", o.unique_key_table,
               "MariaDB: create each table with the key as a UNIQUE key and no PRIMARY KEY instead of the library's "
               "DDL (the key as PRIMARY KEY), to measure what that DDL changes");
  app.add_option("--output", o.output, "Directory for results.md, results.json and chart.png");
  app.footer(
      "Server URLs come from UPSERT_TEST_POSTGRES_URL and UPSERT_TEST_MARIADB_URL (scripts/test-servers.sh writes "
      "them); galera and spider from UPSERT_TEST_GALERA_URLS, UPSERT_TEST_SPIDER_URL and "
      "UPSERT_TEST_SPIDER_BACKEND_URLS "
      "(scripts/cluster-servers.sh writes them); SQLite uses a fresh temporary file per cell.\nExit codes: 0 every "
      "cell verified, 1 a cell failed "
      "verification, 2 usage or setup error.");
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    const int code = app.exit(e);
    return code == 0 ? exit_ok : exit_usage;
  }
  if (o.threads.empty()) o.threads = o.quick ? std::vector<int>{1, 8} : std::vector<int>{1, 8, 32};
  if (o.seconds == 0) o.seconds = o.quick ? 0.4 : 1.0;
  if (o.rounds == 0) o.rounds = o.quick ? 2 : 5;
  try {
    return run(o, command_line(argc, argv));
  } catch (const upsert::Error& e) {
    std::cerr << "upsert-bench: " << e.what() << "\n";
    return exit_usage;
  } catch (const std::exception& e) {
    std::cerr << "upsert-bench: " << e.what() << "\n";
    return exit_usage;
  }
}
