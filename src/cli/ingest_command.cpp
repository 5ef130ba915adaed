// `upsert ingest`: a stream of events (CSV or JSON Lines) into atomic counter upserts through
// the counter writer. A bad row is reported with its line, column and reason and is never half
// applied; with --on-bad-row stop nothing after it is read and everything before it is written.
//
// Resuming: with each flush the writer commits, in the same transaction, how far into the input
// that flush reaches (a checkpoint: byte offset, line, and a hash of every byte before the
// offset). Only cuts the ingest thread makes between records are written, so everything before
// the offset is in the table and nothing after it. Running the same command again reads the
// input up to the offset, checks the hash, and goes on from there.

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/file.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cinttypes>
#include <condition_variable>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <mutex>
#include <thread>

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
  bool restart = false;
  std::string stream_id;
};

// The checkpoint's name: the table and the input (its absolute path, or the caller's stream id).
// A path too long for a text key is replaced by its hash.
std::string checkpoint_name(const IngestOptions& o) {
  const std::string source =
      o.input == "-" ? "stream:" + o.stream_id : std::filesystem::absolute(o.input).lexically_normal().string();
  std::string name = "ingest " + o.spec.table + " " + source;
  if (name.size() <= 200) return name;
  InputPosition h;
  for (unsigned char c : source) h.hash = (h.hash ^ c) * 0x100000001b3ULL;
  return fmt::format("ingest {} #{:016x}", o.spec.table, h.hash);
}

// Held for the whole run, so that two runs of one input into one table on this machine do not
// both resume from the same position (each would count the lines after it). The kernel drops
// the lock when the process ends, however it ends.
class RunLock {
 public:
  explicit RunLock(const std::string& path) : fd_(::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0666)) {}
  ~RunLock() {
    if (fd_ >= 0) ::close(fd_);
  }
  RunLock(const RunLock&) = delete;
  RunLock& operator=(const RunLock&) = delete;
  bool held() const { return fd_ >= 0 && ::flock(fd_, LOCK_EX | LOCK_NB) == 0; }

 private:
  int fd_;
};

std::string run_lock_path(const IngestOptions& o, const std::string& name) {
  InputPosition h;
  for (unsigned char c : o.db + "\n" + name) h.hash = (h.hash ^ c) * 0x100000001b3ULL;
  return (std::filesystem::temp_directory_path() / fmt::format("upsert-ingest-{:016x}.lock", h.hash)).string();
}

std::string encode(const InputPosition& p) {
  return fmt::format("offset={} line={} hash={:016x}", p.offset, p.line, p.hash);
}

std::optional<InputPosition> decode(const std::string& text) {
  InputPosition p;
  if (std::sscanf(text.c_str(), "offset=%" SCNu64 " line=%" SCNu64 " hash=%" SCNx64, &p.offset, &p.line, &p.hash) !=
      3) {
    return std::nullopt;
  }
  return p;
}

// Cuts at most every `interval`, on its own thread so that an input that pauses (a pipe) still
// gets its last records committed. The ingest thread holds `mutex` while it adds a record and
// moves `done` past it, so a cut always falls between records.
class Cutter {
 public:
  Cutter(CounterWriter& writer, std::string name, std::chrono::milliseconds interval, InputPosition start)
      : done(start), writer_(writer), name_(std::move(name)), interval_(interval), thread_([this] { run(); }) {}
  ~Cutter() { stop(); }
  void stop() {
    {
      std::lock_guard lock(mutex);
      stop_ = true;
    }
    wake_.notify_all();
    if (thread_.joinable()) thread_.join();
  }
  // Cuts at `done` now (the end of the input, or the last record before a stop).
  void cut_now() {
    std::lock_guard lock(mutex);
    cut();
  }

  std::mutex mutex;
  InputPosition done;  // just after the last record handled (added, or rejected and skipped)

 private:
  void run() {
    std::unique_lock lock(mutex);
    while (!stop_) {
      wake_.wait_for(lock, interval_);
      if (!stop_) cut();
    }
  }
  void cut() {
    if (cut_ && *cut_ == done) return;
    writer_.checkpoint(name_, encode(done));
    cut_ = done;
  }

  CounterWriter& writer_;
  std::string name_;
  std::chrono::milliseconds interval_;
  std::optional<InputPosition> cut_;
  std::condition_variable wake_;
  bool stop_ = false;
  std::thread thread_;
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
  if (!o.stream_id.empty() && o.input != "-") {
    std::cerr << "upsert ingest: --stream-id names standard input (-); a file is known by its path\n";
    return exit_usage;
  }
  std::vector<std::string> columns = o.spec.key;
  for (const auto& a : o.spec.aggregates()) columns.push_back(a.column);
  if (columns.size() == o.spec.key.size()) {
    std::cerr << "upsert ingest: name the columns to aggregate with --sum, --max, --min or --last\n";
    return exit_usage;
  }
  auto reader = format_of(o) == "jsonl" ? jsonl_reader(*in, columns) : csv_reader(*in, columns);

  // Types not given with --types are inferred from the first record that has the column (also
  // when resuming, so that a resumed run parses as the first one did).
  const InputPosition before_first = reader->position();
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
  // Standard input without --stream-id has no identity to resume by: it is written as it comes.
  const bool resumable = o.input != "-" || !o.stream_id.empty();
  wo.checkpointed = resumable;
  const std::string name = resumable ? checkpoint_name(o) : std::string();
  std::optional<RunLock> run_lock;
  if (resumable) {
    const std::string path = run_lock_path(o, name);
    if (!run_lock.emplace(path).held()) {
      std::cerr << fmt::format(
          "upsert ingest: another run of this command (input {} into \"{}\") is under way on this machine (it holds "
          "{}): two at once would both count the lines after the last position; wait for it to finish\n",
          o.input == "-" ? "stream \"" + o.stream_id + "\"" : o.input, o.spec.table, path);
      return exit_usage;
    }
  }
  CounterWriter writer(std::move(db), table, wo);
  std::optional<InputPosition> resume_at;
  if (resumable && !o.restart) {
    if (auto text = writer.read_checkpoint(name)) {
      resume_at = decode(*text);
      if (!resume_at) {
        std::cerr << fmt::format(
            "upsert ingest: the checkpoint \"{}\" holds \"{}\", which is not a position; "
            "--restart reads the input from its start\n",
            name, *text);
        return exit_usage;
      }
    }
  }
  if (resume_at) {
    // The committed part is read again (not parsed) to check it is the same bytes.
    bool same = false;
    if (resume_at->offset == before_first.offset) {
      same = before_first == *resume_at;
    } else {
      first.reset();
      same = reader->skip_to(resume_at->offset) && reader->position() == *resume_at;
      if (same) first = reader->next();
    }
    if (!same) {
      const std::string what = o.input == "-" ? "the stream \"" + o.stream_id + "\"" : o.input;
      std::cerr << fmt::format(
          "upsert ingest: {} does not start with the {} bytes (up to line {}) that an earlier run committed into "
          "\"{}\": it changed since. Run with --restart to read it from its start: what the earlier run committed "
          "stays in the table (it cannot be taken out), so it would count twice unless you delete those rows first\n",
          what, resume_at->offset, resume_at->line, o.spec.table);
      return exit_usage;
    }
  }
  std::optional<Cutter> cutter;
  if (resumable) {
    cutter.emplace(writer, name, std::chrono::milliseconds(o.flush_ms), resume_at ? *resume_at : before_first);
  }

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
  // The cutter's lock is held from a record's first add to moving `done` past it, never while
  // reading (which may wait on a pipe).
  std::unique_lock<std::mutex> handling;
  auto handled = [&](const Record& r) {
    if (cutter && !stopped) cutter->done = r.end;  // a stop leaves the bad row to be read again
    if (handling.owns_lock()) handling.unlock();
  };
  // After a bad row with --on-bad-row stop nothing more is read: not even the next record, which
  // on a pipe could block until its writer sends another line or closes.
  for (std::optional<Record> r = std::move(first); r; r = stopped ? std::nullopt : reader->next()) {
    if (cutter) handling = std::unique_lock(cutter->mutex);
    ++read;
    if (!r->error.empty()) {
      bad_row(*r, "", r->error);
      handled(*r);
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
    if (ok) {
      try {
        writer.add(std::span<const Value>(values.data(), key_count),
                   std::span<const Value>(values.data() + key_count, values.size() - key_count));
      } catch (const Error& e) {
        bad_row(*r, "", e.what());
      }
    }
    handled(*r);
  }
  if (cutter) {
    // Trailing blank lines are part of a finished input.
    if (!stopped) {
      std::lock_guard lock(cutter->mutex);
      cutter->done = reader->position();
    }
    cutter->stop();
    cutter->cut_now();
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
  if (resume_at) {
    std::cout << fmt::format("resumed after line {} (byte {}): an earlier run had committed the input up to there\n",
                             resume_at->line, resume_at->offset);
  }
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
      "Resuming: with each flush, the same transaction records how far into the input it reaches (byte\n"
      "offset, line, and a 64-bit FNV-1a hash of every byte before the offset) in upsert_writer_checkpoints,\n"
      "under the table's name and the input's absolute path. Running the same command again (after a crash,\n"
      "a kill, or to take lines appended since) reads the committed part again to check its hash and goes on\n"
      "after it, so every line counts exactly once; a finished input adds nothing. An input whose committed\n"
      "part changed is refused; --restart reads it from its start, and what earlier runs committed stays in\n"
      "the table (it cannot be taken out), so delete those rows first or it counts twice. Standard input (-)\n"
      "resumes only with --stream-id NAME: feed the same stream again from its first byte.\n"
      "Exit codes: 0 ok (also when --on-bad-row skip skipped rows), 1 stopped at a bad row or keys not written,\n"
      "2 usage or setup errors (also an input that changed since the committed part).");
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
  sub->add_flag("--restart", o->restart,
                "Read the input from its start, ignoring (and then replacing) what an earlier run committed as "
                "its position; rows it committed stay in the table");
  sub->add_option("--stream-id", o->stream_id,
                  "Make standard input resumable under this name: a re-run must be fed the same stream from its "
                  "first byte (the part committed before is read again, checked and skipped)");
  return [sub, o] { return sub->parsed() ? run_ingest(*o) : -1; };
}

}  // namespace upsert::cli
