// `upsert bench`: how much the batch path and the counter writer gain over one upsert per event
// on the user's own database, measured in one run. Each arm gets a fresh table, its own
// connections and the same A/B events; its table's sums are checked against what it sent, and
// an arm that does not verify fails the command. (bench/upsert_bench.cpp is the full benchmark
// with the raw-driver and locking baselines; this one needs nothing but the library.)

#include <fmt/format.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <iostream>
#include <mutex>
#include <optional>
#include <random>
#include <thread>

#include "cli/commands.hpp"
#include "cli/queries.hpp"
#include "upsert/upsert.hpp"

namespace upsert::cli {

namespace {

struct BenchOptions {
  std::string db = "sqlite:upsert-bench.db";
  double seconds = 2;
  int threads = 4;
  int keys = 4'800;
};

enum class Arm { single, batch, writer };

std::string_view arm_name(Arm arm) {
  switch (arm) {
    case Arm::single: return "single-row upserts";
    case Arm::batch: return "execute_batch (1,000 events)";
    case Arm::writer: return "CounterWriter";
  }
  return "";
}

std::shared_ptr<const Table> bench_table(Arm arm) {
  return std::make_shared<const Table>(
      Table(fmt::format("upsert_bench_{}_{}", ::getpid() % 100000, static_cast<int>(arm)))
          .column("ab_test_id", Type::int64)
          .column("version", Type::text)
          .column("hour", Type::int64)
          .column("participants", Type::int64, default_value(0), not_null)
          .column("conversions", Type::int64, default_value(0), not_null)
          .unique_key({"ab_test_id", "version", "hour"}));
}

// The i-th key of the key space: tests x 2 versions x 24 hours.
Row key_row(int i) {
  return Row{Value(std::int64_t{i / 48 + 1}), Value(i % 48 < 24 ? "A" : "B"), Value(std::int64_t{i % 24})};
}

struct ArmResult {
  std::int64_t events = 0;
  double seconds = 0;
  bool verified = false;
  std::string detail;
};

ArmResult run_arm(const BenchOptions& o, Arm arm) {
  auto table = bench_table(arm);
  Connection admin = connect(o.db);
  admin.execute_script("DROP TABLE IF EXISTS " + quote_identifier(table->name(), admin.dialect()));
  admin.create_table(*table);

  std::optional<CounterWriter> writer;
  if (arm == Arm::writer) {
    CounterWriterOptions wo;
    wo.key = {"ab_test_id", "version", "hour"};
    wo.sum = {"participants", "conversions"};
    wo.ledger_table = table->name() + "_ledger";
    writer.emplace(connect(o.db), table, wo);
  }
  std::vector<Connection> connections;
  if (arm != Arm::writer) {
    for (int t = 0; t < o.threads; ++t) connections.push_back(connect(o.db));
  }

  std::atomic<std::int64_t> participants{0}, conversions{0};
  std::atomic<bool> failed{false};
  std::string failure;
  std::mutex failure_mutex;
  const auto start = std::chrono::steady_clock::now();
  const auto deadline =
      start + std::chrono::duration_cast<std::chrono::steady_clock::duration>(std::chrono::duration<double>(o.seconds));
  std::vector<std::thread> threads;
  for (int t = 0; t < o.threads; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937_64 random(static_cast<unsigned>(t) * 7919u + 17u);
      std::int64_t sent = 0, converted = 0;
      try {
        Upsert statement = insert_into(table);
        statement.on_conflict({"ab_test_id", "version", "hour"})
            .do_update(add_proposed({"participants", "conversions"}));
        while (!failed && std::chrono::steady_clock::now() < deadline) {
          const int events = arm == Arm::single ? 1 : 1000;
          statement.clear_rows();
          for (int e = 0; e < events; ++e) {
            Row row = key_row(static_cast<int>(random() % static_cast<unsigned>(o.keys)));
            const bool conversion = random() % 20 == 0;
            if (arm == Arm::writer) {
              writer->add(row, Row{Value(std::int64_t{1}), Value(std::int64_t{conversion ? 1 : 0})});
            } else {
              row.push_back(Value(std::int64_t{1}));
              row.push_back(Value(std::int64_t{conversion ? 1 : 0}));
              statement.row(std::move(row));
            }
            ++sent;
            converted += conversion ? 1 : 0;
          }
          if (arm == Arm::single) connections[t].execute(statement);
          if (arm == Arm::batch) connections[t].execute_batch(statement);
        }
      } catch (const std::exception& e) {
        std::lock_guard lock(failure_mutex);
        failed = true;
        failure = e.what();
      }
      participants += sent;
      conversions += converted;
    });
  }
  for (auto& th : threads) th.join();
  if (writer) writer->close();
  ArmResult r;
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  r.events = participants.load();

  const auto sums = column_sums(admin, *table, {"participants", "conversions"});
  r.verified = !failed && sums[0] == participants.load() && sums[1] == conversions.load();
  r.detail = failed ? failure
                    : fmt::format("{} participants sent, {} stored; {} conversions sent, {} stored",
                                  participants.load(), sums[0], conversions.load(), sums[1]);
  admin.execute_script("DROP TABLE IF EXISTS " + quote_identifier(table->name(), admin.dialect()));
  if (writer)
    admin.execute_script("DROP TABLE IF EXISTS " + quote_identifier(table->name() + "_ledger", admin.dialect()));
  return r;
}

// The URL with its password replaced by ***, for printing.
std::string without_password(const std::string& url) {
  const auto scheme = url.find("://");
  const auto at = url.find('@', scheme == std::string::npos ? 0 : scheme);
  if (scheme == std::string::npos || at == std::string::npos) return url;
  const auto colon = url.find(':', scheme + 3);
  if (colon == std::string::npos || colon > at) return url;
  return url.substr(0, colon + 1) + "***" + url.substr(at);
}

int run_bench(const BenchOptions& o) {
  std::cout << fmt::format(
      "upsert bench on {}: {} threads, {:g} s per arm, {} keys; each event adds 1 to participants\n",
      without_password(o.db), o.threads, o.seconds, o.keys);
  double single_rate = 0;
  bool all_verified = true;
  for (Arm arm : {Arm::single, Arm::batch, Arm::writer}) {
    const ArmResult r = run_arm(o, arm);
    const double rate = r.seconds > 0 ? static_cast<double>(r.events) / r.seconds : 0;
    if (arm == Arm::single) single_rate = rate;
    all_verified = all_verified && r.verified;
    std::cout << fmt::format("  {:<30} {:>12.0f} increments/s  {:>8}  {}: {}\n", arm_name(arm), rate,
                             single_rate > 0 ? fmt::format("{:.1f}x", rate / single_rate) : "n/a",
                             r.verified ? "verified" : "NOT VERIFIED", r.detail);
  }
  std::cout << "  (ratios to single-row upserts in this run; the counter writer is timed to the end of close())\n";
  return all_verified ? exit_ok : exit_data_error;
}

}  // namespace

Command add_bench_command(CLI::App& app) {
  auto o = std::make_shared<BenchOptions>();
  CLI::App* sub = app.add_subcommand(
      "bench", "Measure single-row upserts, batches and the counter writer on your database, verified");
  sub->footer(
      "Example:\n  upsert bench --db postgresql://user:pass@localhost/app --threads 8 --seconds 5\n"
      "Creates and drops tables named upsert_bench_*. Exit 1 when an arm's sums do not match what it sent.");
  sub->add_option("--db", o->db, "Database URL")->capture_default_str();
  sub->add_option("--seconds", o->seconds, "Seconds per arm")->capture_default_str()->check(CLI::Range(0.05, 3600.0));
  sub->add_option("--threads", o->threads, "Threads per arm")->capture_default_str()->check(CLI::Range(1, 256));
  sub->add_option("--keys", o->keys, "Distinct keys the events fall on")
      ->capture_default_str()
      ->check(CLI::Range(1, 10'000'000));
  return [sub, o]() -> int { return sub->parsed() ? run_bench(*o) : -1; };
}

}  // namespace upsert::cli
