// `upsert demo`: the A/B scenario. Several threads simulate page views and conversions through
// the counter writer into `ab_hourly`; the demo prints the busiest hours, the throughput, and a
// verification line comparing the table's totals with the events it generated.

#include <fmt/format.h>

#include <atomic>
#include <chrono>
#include <iostream>
#include <random>
#include <thread>

#include "cli/commands.hpp"
#include "cli/progress.hpp"
#include "cli/queries.hpp"
#include "upsert/upsert.hpp"

namespace upsert::cli {

namespace {

struct DemoOptions {
  std::string db = "sqlite:upsert-demo.db";
  std::int64_t events = 1'000'000;
  int threads = 4;
  int tests = 20;
};

std::shared_ptr<const Table> ab_hourly() {
  return std::make_shared<const Table>(Table("ab_hourly")
                                           .column("ab_test_id", Type::int64)
                                           .column("version", Type::text)
                                           .column("date", Type::date)
                                           .column("hour", Type::int64)
                                           .column("participants", Type::int64, default_value(0), not_null)
                                           .column("conversions", Type::int64, default_value(0), not_null)
                                           .unique_key({"ab_test_id", "version", "date", "hour"}));
}

// Totals of participants and conversions now in the table.
std::pair<std::int64_t, std::int64_t> totals(Connection& db, const Table& t) {
  const auto sums = column_sums(db, t, {"participants", "conversions"});
  return {sums[0], sums[1]};
}

int run_demo(const DemoOptions& o) {
  auto table = ab_hourly();
  Connection db = connect(o.db);
  db.create_table(*table);
  // The table may hold earlier runs: verify the difference this run makes.
  const auto [participants_before, conversions_before] = totals(db, *table);

  CounterWriterOptions wo;
  wo.key = {"ab_test_id", "version", "date", "hour"};
  wo.sum = {"participants", "conversions"};
  CounterWriter writer(connect(o.db), table, wo);

  const auto today = std::chrono::floor<std::chrono::days>(std::chrono::system_clock::now());
  const Date date = Date::from_days_since_epoch(today.time_since_epoch().count());
  std::atomic<std::int64_t> participants_sent{0}, conversions_sent{0}, done{0};
  const auto start = std::chrono::steady_clock::now();
  ProgressLine progress([&] {
    auto s = writer.stats();
    return fmt::format("{} of {} page views, {} keys pending, {} rows flushed", done.load(), o.events, s.pending_keys,
                       s.flushed_rows);
  });
  std::vector<std::thread> threads;
  for (int t = 0; t < o.threads; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937_64 random(static_cast<unsigned>(t) * 104729u + 17u);
      const std::int64_t share = o.events / o.threads + (t < o.events % o.threads ? 1 : 0);
      std::int64_t mine = 0, converted = 0;
      std::array<Value, 4> key;
      std::array<Value, 2> deltas;
      key[2] = date;
      for (std::int64_t i = 0; i < share; ++i) {
        // Traffic peaks in the afternoon; version B converts better (5% against 3%).
        const bool b = (random() & 1) != 0;
        const std::int64_t hour = std::clamp<std::int64_t>(14 + static_cast<std::int64_t>(random() % 7) -
                                                               static_cast<std::int64_t>(random() % 7) -
                                                               static_cast<std::int64_t>(random() % 5),
                                                           0, 23);
        const bool conversion = random() % 100 < (b ? 5u : 3u);
        key[0] = static_cast<std::int64_t>(random() % static_cast<unsigned>(o.tests)) + 1;
        key[1] = b ? "B" : "A";
        key[3] = hour;
        deltas[0] = std::int64_t{1};
        deltas[1] = std::int64_t{conversion ? 1 : 0};
        writer.add(key, deltas);
        ++mine;
        converted += conversion ? 1 : 0;
        if ((i & 1023) == 0) done += 1024;
      }
      participants_sent += mine;
      conversions_sent += converted;
    });
  }
  for (auto& th : threads) th.join();
  const auto produced = std::chrono::steady_clock::now();
  WriterStats stats = writer.close();
  progress.stop();
  const auto finished = std::chrono::steady_clock::now();

  const auto [participants_after, conversions_after] = totals(db, *table);
  const std::int64_t participants_stored = participants_after - participants_before;
  const std::int64_t conversions_stored = conversions_after - conversions_before;

  std::cout << fmt::format("ab_hourly on {}: the busiest hours\n", o.db);
  std::cout << fmt::format("{:>10} {:>7} {:>10} {:>4} {:>12} {:>11} {:>6}\n", "ab_test_id", "version", "date", "hour",
                           "participants", "conversions", "rate");
  auto top = top_rows(db, *table, {"ab_test_id", "version", "date", "hour", "participants", "conversions"},
                      "participants", 10);
  for (const auto& r : top) {
    const auto p = r[4].as<std::int64_t>(), c = r[5].as<std::int64_t>();
    std::cout << fmt::format("{:>10} {:>7} {:>10} {:>4} {:>12} {:>11} {:>5.1f}%\n", r[0].as<std::int64_t>(),
                             r[1].as<std::string>(), r[2].as<Date>().to_string(), r[3].as<std::int64_t>(), p, c,
                             p > 0 ? 100.0 * static_cast<double>(c) / static_cast<double>(p) : 0.0);
  }
  const double produce_s = std::chrono::duration<double>(produced - start).count();
  const double total_s = std::chrono::duration<double>(finished - start).count();
  std::cout << fmt::format(
      "\n{} page views from {} threads in {:.2f} s ({:.0f} events/s accepted; {:.0f}/s including the final "
      "flush)\n{} upsert rows in {} statements over {} flushes: {:.0f} events per row written\n",
      participants_sent.load(), o.threads, produce_s, static_cast<double>(participants_sent.load()) / produce_s,
      static_cast<double>(participants_sent.load()) / total_s, stats.flushed_rows, stats.statements, stats.flushes,
      stats.flushed_rows > 0 ? static_cast<double>(participants_sent.load()) / static_cast<double>(stats.flushed_rows)
                             : 0.0);
  const std::int64_t lost = participants_sent.load() - participants_stored;
  const std::int64_t conversions_lost = conversions_sent.load() - conversions_stored;
  std::cout << fmt::format(
      "verified: {} participants sent, {} stored, {} lost; {} conversions sent, {} stored, {} lost\n",
      participants_sent.load(), participants_stored, lost, conversions_sent.load(), conversions_stored,
      conversions_lost);
  return lost == 0 && conversions_lost == 0 && stats.failed_keys == 0 ? exit_ok : exit_data_error;
}

}  // namespace

Command add_demo_command(CLI::App& app) {
  auto o = std::make_shared<DemoOptions>();
  CLI::App* sub = app.add_subcommand("demo", "Simulate A/B-test page views into ab_hourly and verify the totals");
  sub->footer(
      "Example:\n  upsert demo                                  # embedded SQLite, upsert-demo.db\n"
      "  upsert demo --db postgresql://localhost/app --events 5000000 --threads 8\n"
      "Exit codes: 0 ok and verified, 1 something was lost, 2 usage or setup errors.");
  sub->add_option("--db", o->db, "Database URL")->capture_default_str();
  sub->add_option("--events", o->events, "Page views to simulate")
      ->capture_default_str()
      ->check(CLI::Range(1LL, 1'000'000'000LL));
  sub->add_option("--threads", o->threads, "Producer threads")->capture_default_str()->check(CLI::Range(1, 256));
  sub->add_option("--tests", o->tests, "A/B tests running")->capture_default_str()->check(CLI::Range(1, 100000));
  return [sub, o] { return sub->parsed() ? run_demo(*o) : -1; };
}

}  // namespace upsert::cli
