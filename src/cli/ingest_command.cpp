// `upsert ingest`: a stream of events (CSV or JSON Lines) into atomic counter upserts through
// the counter writer. A bad row is reported with its line, column and reason and is never half
// applied; with --on-bad-row stop nothing after it is read and everything before it is written.

#include <fmt/format.h>

#include <atomic>
#include <chrono>
#include <fstream>
#include <iostream>
#include <map>

#include "cli/commands.hpp"
#include "cli/convert.hpp"
#include "cli/progress.hpp"
#include "cli/records.hpp"
#include "cli/table_spec.hpp"

namespace upsert::cli {

namespace {

struct IngestOptions {
  TableSpec spec;
  std::string input = "-";
  std::string db = "sqlite:upsert.db";
  std::string format;
  bool create = false;
  std::size_t max_rows_per_statement = 1000;
  int flush_ms = 100;
  std::string on_bad_row = "stop";
};

std::string format_of(const IngestOptions& o) {
  if (!o.format.empty()) return o.format;
  auto ends_with = [&](std::string_view s) { return o.input.ends_with(s); };
  if (ends_with(".jsonl") || ends_with(".ndjson") || ends_with(".json")) return "jsonl";
  return "csv";
}

int run_ingest(IngestOptions o) {
  std::ifstream file;
  std::istream* in = &std::cin;
  if (o.input != "-") {
    file.open(o.input, std::ios::binary);
    if (!file) {
      std::cerr << "upsert ingest: cannot open " << o.input << "\n";
      return exit_usage;
    }
    in = &file;
  }
  std::vector<std::string> columns = o.spec.key;
  for (const auto& a : o.spec.aggregates()) columns.push_back(a.column);
  if (columns.size() == o.spec.key.size()) {
    std::cerr << "upsert ingest: name the columns to aggregate with --sum, --max, --min or --last\n";
    return exit_usage;
  }
  auto reader = format_of(o) == "jsonl" ? jsonl_reader(*in, columns) : csv_reader(*in, columns);

  // Types not given with --types are inferred from the first record that has the column.
  std::optional<Record> first = reader->next();
  const std::map<std::string, Type> declared = o.spec.declared_types();
  std::map<std::string, Type> inferred;
  for (std::size_t i = 0; i < columns.size(); ++i) {
    if (declared.count(columns[i]) > 0) continue;
    bool is_key = i < o.spec.key.size();
    Type type = is_key ? Type::text : Type::int64;
    if (first && first->error.empty() && first->fields[i]) type = infer_type(*first->fields[i]);
    if (!is_key && type != Type::float64) type = Type::int64;
    inferred[columns[i]] = type;
  }
  auto table = o.spec.build(inferred);
  std::vector<Type> types;
  for (const auto& c : columns) types.push_back(table->column_named(c).type);

  Connection db = connect(o.db);
  if (o.create) db.create_table(*table);
  CounterWriterOptions wo;
  wo.key = o.spec.key;
  wo.sum = o.spec.sum;
  wo.max = o.spec.max;
  wo.min = o.spec.min;
  wo.last = o.spec.last;
  wo.max_rows_per_statement = o.max_rows_per_statement;
  wo.flush_interval = std::chrono::milliseconds(o.flush_ms);
  std::vector<WriterFailure> failures;
  wo.on_failure = [&](const WriterFailure& f) { failures.push_back(f); };
  CounterWriter writer(std::move(db), table, wo);

  const auto start = std::chrono::steady_clock::now();
  std::atomic<std::uint64_t> read{0}, rejected{0};
  ProgressLine progress([&] {
    auto s = writer.stats();
    double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return fmt::format("{} rows read, {:.0f} rows/s, {} keys pending, {} rows flushed", read.load(),
                       seconds > 0 ? static_cast<double>(read.load()) / seconds : 0.0, s.pending_keys, s.flushed_rows);
  });

  const std::size_t key_count = o.spec.key.size();
  std::vector<Value> values(columns.size());
  bool stopped = false;
  auto bad_row = [&](const Record& r, const std::string& column, const std::string& reason) {
    ++rejected;
    if (column.empty()) {
      std::cerr << fmt::format("line {}: {}\n", r.line, reason);
    } else {
      std::cerr << fmt::format("line {}: column \"{}\": {}\n", r.line, column, reason);
    }
    if (o.on_bad_row == "stop") stopped = true;
  };
  // After a bad row with --on-bad-row stop nothing more is read: not even the next record, which
  // on a pipe could block until its writer sends another line or closes.
  for (std::optional<Record> r = std::move(first); r; r = stopped ? std::nullopt : reader->next()) {
    ++read;
    if (!r->error.empty()) {
      bad_row(*r, "", r->error);
      continue;
    }
    bool ok = true;
    for (std::size_t i = 0; i < columns.size() && ok; ++i) {
      const bool is_key = i < key_count;
      const Aggregate aggregate = is_key ? Aggregate::last : writer.value_columns()[i - key_count].aggregate;
      if (!r->present[i]) {
        bad_row(*r, columns[i], is_key ? "missing key field" : "missing field");
        ok = false;
      } else if (!r->fields[i] || (r->fields[i]->empty() && types[i] != Type::text)) {
        if (is_key || aggregate == Aggregate::sum) {
          bad_row(*r, columns[i],
                  is_key ? "NULL or empty key: a NULL key never conflicts, so every such row would insert anew"
                         : "NULL or empty value in a summed column: it would make the stored sum NULL");
          ok = false;
        } else {
          values[i] = Value();
        }
      } else if (is_key && r->fields[i]->empty()) {
        bad_row(*r, columns[i], "empty key: give every row a key value");
        ok = false;
      } else {
        std::string reason;
        auto v = parse_field(*r->fields[i], types[i], reason);
        if (!v) {
          bad_row(*r, columns[i], fmt::format("{} (the column is {})", reason, type_name(types[i])));
          ok = false;
        } else {
          values[i] = std::move(*v);
        }
      }
    }
    if (!ok) continue;
    try {
      writer.add(std::span<const Value>(values.data(), key_count),
                 std::span<const Value>(values.data() + key_count, values.size() - key_count));
    } catch (const Error& e) {
      bad_row(*r, "", e.what());
    }
  }
  WriterStats stats = writer.close();
  progress.stop();
  const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  for (const auto& f : failures) {
    std::vector<std::string> key;
    for (const auto& v : f.key) key.push_back(v.to_string());
    std::cerr << fmt::format("not written: key ({}): {}\n", fmt::join(key, ", "), f.message);
  }
  // The writer counts a key once per flush that carried it, so a hot key counts many times;
  // distinct keys would need a set of every key seen, so the count is labelled for what it is.
  std::cout << fmt::format(
      "rows read: {}\nrows rejected: {}\nrows accepted: {}\nrows flushed (a key once per flush): {}\n"
      "key failures (a key once per flush): {}\nstatements: {}\nelapsed: {:.3f} s\nrows/s: {:.0f}\n",
      read.load(), rejected.load(), stats.accepted, stats.flushed_rows, stats.failed_keys, stats.statements, seconds,
      seconds > 0 ? static_cast<double>(read.load()) / seconds : 0.0);
  if (stopped) std::cout << "stopped at the first bad row (--on-bad-row stop): nothing after it was read\n";
  return (stopped || !failures.empty()) ? exit_data_error : exit_ok;
}

}  // namespace

Command add_ingest_command(CLI::App& app) {
  auto o = std::make_shared<IngestOptions>();
  CLI::App* sub = app.add_subcommand("ingest", "Read events (CSV or JSON Lines) and upsert their aggregates");
  sub->footer(
      "A CSV file's header row names its columns; JSON Lines has one object per line. A column without\n"
      "--types takes its type from the first record (a key: int64, double, bool, date, timestamp or text;\n"
      "an aggregated column: int64 or double). Each bad row (missing or empty key, unparsable value) is\n"
      "reported on standard error with its line, column and reason, and never half applied. The summary\n"
      "goes to standard output; a progress line to standard error on a terminal.\n"
      "Example:\n  upsert ingest views.csv --db postgresql://localhost/app --table ab_hourly \\\n"
      "      --key ab_test_id,version,date,hour --sum participants,conversions --create\n"
      "Exit codes: 0 ok (also when --on-bad-row skip skipped rows), 1 stopped at a bad row or keys not written,\n"
      "2 usage or setup errors.");
  o->spec.add_options(*sub);
  sub->add_option("input", o->input, "Input file, or - for standard input")->capture_default_str();
  sub->add_option("--db", o->db, "Database URL (sqlite:PATH, postgresql://..., mariadb://..., mysql://...)")
      ->capture_default_str();
  sub->add_option("--format", o->format, "csv or jsonl (default: from the file name, else csv)")
      ->check(CLI::IsMember({"csv", "jsonl"}));
  sub->add_flag("--create", o->create, "Create the table with its unique key if it does not exist");
  sub->add_option("--batch", o->max_rows_per_statement,
                  "Rows per upsert statement (at most; the engine's parameter limit also cuts statements)")
      ->capture_default_str()
      ->check(CLI::Range(1, 100000));
  sub->add_option("--flush-ms", o->flush_ms, "Flush interval in milliseconds")
      ->capture_default_str()
      ->check(CLI::Range(1, 3600000));
  sub->add_option("--on-bad-row", o->on_bad_row, "stop: write what came before and stop; skip: report and go on")
      ->capture_default_str()
      ->check(CLI::IsMember({"stop", "skip"}));
  return [sub, o] { return sub->parsed() ? run_ingest(*o) : -1; };
}

}  // namespace upsert::cli
