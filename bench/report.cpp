#include "report.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <sys/utsname.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <ctime>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <thread>

namespace upsert::bench {

namespace {

std::string read_first_line_with(const char* file, std::string_view prefix) {
  std::ifstream in(file);
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(prefix, 0) == 0) return line;
  }
  return "";
}

std::string after_colon(const std::string& line) {
  const auto colon = line.find(':');
  if (colon == std::string::npos) return "";
  const auto start = line.find_first_not_of(" \t", colon + 1);
  return start == std::string::npos ? "" : line.substr(start);
}

const CellResult* find_cell(const std::vector<CellResult>& results, Engine engine, Workload workload, Arm arm,
                            int threads) {
  for (const auto& r : results) {
    if (r.spec.engine == engine && r.spec.workload == workload && r.spec.arm == arm && r.spec.threads == threads) {
      return &r;
    }
  }
  return nullptr;
}

std::string cell_name(const CellSpec& s) {
  return fmt::format("{} {} {}@{}", engine_name(s.engine), workload_name(s.workload), arm_name(s.arm), s.threads);
}

// A verified cell's rate, or why there is none.
struct Figure {
  const CellResult* cell = nullptr;
  std::optional<double> rate;
  std::string missing;  // "not measured" or the verification failure
};

Figure figure(const std::vector<CellResult>& results, Engine e, Workload w, Arm a, int threads) {
  Figure f;
  f.cell = find_cell(results, e, w, a, threads);
  if (f.cell == nullptr) {
    f.missing = fmt::format("{} {} with {} threads not measured", arm_name(a), workload_name(w), threads);
  } else if (!f.cell->verified) {
    f.missing = fmt::format("{} failed: {}", cell_name(f.cell->spec), f.cell->failure);
  } else {
    f.rate = f.cell->rate();
  }
  return f;
}

template <class T>
std::vector<T> present(const std::vector<CellResult>& results, T CellSpec::*member) {
  std::set<T> seen;
  for (const auto& r : results) seen.insert(r.spec.*member);
  return {seen.begin(), seen.end()};
}

// True when the best round of `top` reached `needed` times the worst round of `bottom`: the
// median missed, but the rounds' spread is as large as the miss.
bool rounds_overlap(const CellResult& top, const CellResult& bottom, double needed) {
  if (top.round_rates.empty() || bottom.round_rates.empty()) return false;
  const double best_top = *std::max_element(top.round_rates.begin(), top.round_rates.end());
  const double worst_bottom = *std::min_element(bottom.round_rates.begin(), bottom.round_rates.end());
  return worst_bottom > 0 && best_top / worst_bottom >= needed;
}

void ratio_target(std::vector<TargetCheck>& out, const std::vector<CellResult>& results, Engine e, Workload w,
                  std::string target, Arm top, int top_threads, Arm bottom, int bottom_threads, double needed) {
  const Figure a = figure(results, e, w, top, top_threads);
  const Figure b = figure(results, e, w, bottom, bottom_threads);
  if (a.cell == nullptr && b.cell == nullptr) return;  // not asked for in this run
  TargetCheck t{std::move(target), std::string(engine_name(e)), std::string(workload_name(w)), "", "", ""};
  if (!a.rate || !b.rate) {
    t.verdict = "not measured";
    t.note = !a.rate ? a.missing : b.missing;
  } else {
    const double ratio = *a.rate / *b.rate;
    t.measured = fmt::format("{:.2f}x", ratio);
    t.verdict = ratio >= needed ? "met" : "missed";
    t.note = fmt::format("{}@{}: {}/s; {}@{}: {}/s", arm_name(top), top_threads, with_commas(*a.rate), arm_name(bottom),
                         bottom_threads, with_commas(*b.rate));
    if (t.verdict == "missed" && rounds_overlap(*a.cell, *b.cell, needed)) {
      t.note += fmt::format("; within this run's noise: the best round of {}@{} reached {:g}x the worst of {}@{}",
                            arm_name(top), top_threads, needed, arm_name(bottom), bottom_threads);
    }
  }
  out.push_back(std::move(t));
}

// The fastest verified hand-written batch arm at this engine, workload and threads.
std::optional<Arm> best_raw_batch(const std::vector<CellResult>& results, Engine e, Workload w, int threads) {
  std::optional<Arm> best;
  double best_rate = 0;
  for (Arm a : raw_batch_arms()) {
    const Figure f = figure(results, e, w, a, threads);
    if (f.rate && *f.rate > best_rate) {
      best = a;
      best_rate = *f.rate;
    }
  }
  return best;
}

// 8 threads when measured, else the largest thread count of the workload.
int chart_threads(const std::vector<CellResult>& results, Workload w) {
  int largest = 0;
  for (const auto& r : results) {
    if (r.spec.workload != w) continue;
    if (r.spec.threads == 8) return 8;
    largest = std::max(largest, r.spec.threads);
  }
  return largest;
}

std::string json_string(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\n': out += "\\n"; break;
      case '\t': out += "\\t"; break;
      case '\r': out += "\\r"; break;
      default:
        if (static_cast<unsigned char>(c) < 0x20) {
          out += fmt::format("\\u{:04x}", static_cast<int>(c));
        } else {
          out += c;
        }
    }
  }
  return out + "\"";
}

std::string markdown_cell(std::string_view text) {
  std::string out;
  for (char c : text) {
    if (c == '|') {
      out += "\\|";
    } else if (c == '\n') {
      out += ' ';
    } else {
      out += c;
    }
  }
  return out;
}

std::string error_summary(const CellResult& r) {
  std::vector<std::string> parts;
  for (const auto& [code, n] : r.error_codes) parts.push_back(fmt::format("{} x{}", code, n));
  return fmt::format("{}", fmt::join(parts, ", "));
}

// Per-cell remarks for the notes column.
std::string remarks(const CellResult& r) {
  std::vector<std::string> parts;
  if (r.verified && r.round_rates.size() > 1) {
    const auto [low, high] = std::minmax_element(r.round_rates.begin(), r.round_rates.end());
    parts.push_back(fmt::format("rounds {}..{}", with_commas(*low), with_commas(*high)));
  }
  if (r.spec.arm == Arm::writer && r.seconds > 0) {
    parts.push_back(fmt::format("{} rows flushed/s, {} db statements/s ({} flushes)",
                                with_commas(static_cast<double>(r.writer_flushed_rows) / r.seconds),
                                with_commas(static_cast<double>(r.writer_statements) / r.seconds), r.writer_flushes));
  }
  if (!r.error_codes.empty()) parts.push_back(error_summary(r));
  if (r.library_retries > 0) parts.push_back(fmt::format("{} retries inside the library", r.library_retries));
  if (!r.verified) parts.push_back(r.failure);
  return fmt::format("{}", fmt::join(parts, "; "));
}

std::string format_ratio(const std::optional<double>& ratio) {
  return ratio ? fmt::format("{:.2f}", *ratio) : "n/a";
}

}  // namespace

std::string with_commas(double value) {
  const auto n = static_cast<long long>(std::llround(value));
  std::string digits = std::to_string(n < 0 ? -n : n);
  std::string out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i > 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return n < 0 ? "-" + out : out;
}

std::string read_load() {
  std::ifstream in("/proc/loadavg");
  std::string one, five, fifteen;
  in >> one >> five >> fifteen;
  return fmt::format("{} {} {}", one, five, fifteen);
}

RunInfo read_machine() {
  RunInfo run;
  run.cores = std::thread::hardware_concurrency();
  run.cpu_model = after_colon(read_first_line_with("/proc/cpuinfo", "model name"));
  if (run.cpu_model.empty()) run.cpu_model = "unknown CPU";
  const std::string mem = after_colon(read_first_line_with("/proc/meminfo", "MemTotal"));
  run.memory = mem.empty() ? "unknown" : fmt::format("{:.1f} GiB", std::atof(mem.c_str()) / (1024.0 * 1024.0));
  const std::time_t now = std::time(nullptr);
  std::tm utc{};
  gmtime_r(&now, &utc);
  char buffer[64];
  std::strftime(buffer, sizeof buffer, "%Y-%m-%d %H:%M:%S UTC", &utc);
  run.started = buffer;
  run.load_at_start = read_load();
  return run;
}

std::optional<double> ratio_to_raw(const CellResult& cell, const std::vector<CellResult>& results) {
  if (!cell.verified) return std::nullopt;
  const CellResult* raw = find_cell(results, cell.spec.engine, cell.spec.workload, Arm::raw, cell.spec.threads);
  if (raw == nullptr || !raw->verified || raw->rate() <= 0) return std::nullopt;
  return cell.rate() / raw->rate();
}

std::vector<TargetCheck> check_targets(const std::vector<CellResult>& results) {
  std::vector<TargetCheck> out;
  for (Engine e : present(results, &CellSpec::engine)) {
    for (Workload w : present(results, &CellSpec::workload)) {
      ratio_target(out, results, e, w, "single >= 0.9x raw, 1 thread (#7)", Arm::single, 1, Arm::raw, 1, 0.9);
      ratio_target(out, results, e, w, "single >= 0.9x raw, 8 threads (#7)", Arm::single, 8, Arm::raw, 8, 0.9);
      ratio_target(out, results, e, w, "single >= 0.95x raw, 1 thread (#13)", Arm::single, 1, Arm::raw, 1, 0.95);
      ratio_target(out, results, e, w, "single >= 0.95x raw, 8 threads (#13)", Arm::single, 8, Arm::raw, 8, 0.95);
      ratio_target(out, results, e, w, "prepared >= 0.95x raw, 1 thread (#13)", Arm::prepared, 1, Arm::raw, 1, 0.95);
      ratio_target(out, results, e, w, "prepared >= 0.95x raw, 8 threads (#13)", Arm::prepared, 8, Arm::raw, 8, 0.95);
      ratio_target(out, results, e, w, "batch >= 10x single, 1 thread (#4)", Arm::batch, 1, Arm::single, 1, 10);
      ratio_target(out, results, e, w, "batch: 8 writers >= 1 writer in total (#4)", Arm::batch, 8, Arm::batch, 1, 1.0);
      if (arm_applies(Arm::batch_processes, e)) {
        ratio_target(out, results, e, w, "batch: 8 writer processes >= 1 writer in total (#13)", Arm::batch_processes,
                     8, Arm::batch, 1, 1.0);
      }
      for (int threads : {1, 8}) {
        const std::optional<Arm> best = best_raw_batch(results, e, w, threads);
        if (!best) continue;
        ratio_target(out, results, e, w,
                     fmt::format("batch >= 0.95x best raw batch, {} thread{} (#13)", threads, threads == 1 ? "" : "s"),
                     Arm::batch, threads, *best, threads, 0.95);
      }
      ratio_target(out, results, e, w, "writer >= 50x raw, 8 threads (#7)", Arm::writer, 8, Arm::raw, 8, 50);
      ratio_target(out, results, e, w, "writer >= 50x single, 8 threads (#5)", Arm::writer, 8, Arm::single, 8, 50);
      const Figure writer = figure(results, e, w, Arm::writer, 8);
      // #13 asks 5,000,000/s of the uniform workload (its hot one is easier).
      for (const auto& [floor, name] :
           {std::pair{1e6, "writer >= 1,000,000 accepted increments/s, 8 producers (#5)"},
            std::pair{5e6, "writer >= 5,000,000 accepted increments/s, 8 producers (#13)"}}) {
        if (writer.cell == nullptr || (floor == 5e6 && w != Workload::uniform)) continue;
        TargetCheck t{name, std::string(engine_name(e)), std::string(workload_name(w)), "", "", ""};
        if (writer.rate) {
          t.measured = with_commas(*writer.rate) + "/s";
          t.verdict = *writer.rate >= floor ? "met" : "missed";
          t.note =
              fmt::format("median of {} rounds, each timed to the end of close()", writer.cell->round_rates.size());
        } else {
          t.verdict = "not measured";
          t.note = writer.missing;
        }
        out.push_back(std::move(t));
      }
      if (e != Engine::sqlite) {
        // #7 names no arm: the single-row arm commits once per event as the locking one does.
        ratio_target(out, results, e, w, "single >= 5x locking, 8 threads (#7)", Arm::single, 8, Arm::locking, 8, 5);
        ratio_target(out, results, e, w, "batch >= 5x locking, 8 threads (#7)", Arm::batch, 8, Arm::locking, 8, 5);
        ratio_target(out, results, e, w, "writer >= 5x locking, 8 threads (#7)", Arm::writer, 8, Arm::locking, 8, 5);
      }
    }
  }
  // SQLite's locking arm: no threshold, its errors are reported.
  for (const auto& r : results) {
    if (r.spec.engine != Engine::sqlite || r.spec.arm != Arm::locking) continue;
    TargetCheck t{fmt::format("sqlite locking arm errors, {} threads", r.spec.threads),
                  "sqlite",
                  std::string(workload_name(r.spec.workload)),
                  fmt::format("{} errors", r.errors),
                  "reported",
                  ""};
    t.note = r.verified ? error_summary(r) : r.failure;
    if (r.verified) t.note += (t.note.empty() ? "" : "; ") + with_commas(r.rate()) + " increments/s";
    out.push_back(std::move(t));
  }
  return out;
}

void write_markdown(const std::filesystem::path& file, const RunInfo& run, const std::vector<CellResult>& results,
                    const std::vector<TargetCheck>& targets) {
  std::ofstream out(file);
  out << "# upsert benchmark results\n\n";
  out << fmt::format("- Machine: {} cores (nproc), {}, {} memory\n", run.cores, run.cpu_model, run.memory);
  out << fmt::format("- Date: {}; load average (1/5/15 min) {} at start, {} at end\n", run.started, run.load_at_start,
                     run.load_at_end);
  for (const auto& [engine, version] : run.engines) out << fmt::format("- {}: {}\n", engine, version);
  out << fmt::format("- Raw arm clients: {}\n", run.clients);
  out << fmt::format("- Mode: {}\n", run.mode);
  out << fmt::format("- Command: `{}`\n", run.command);
  out << fmt::format("- Elapsed: {:.1f} s\n\n", run.elapsed_seconds);
  out << "increments/s: events applied per second (each event adds 1 to `participants`, about 5% also 1 to "
         "`conversions`). x raw: the ratio to the raw arm of the same engine, workload and threads, in this run. "
         "verified: SUM(participants) and SUM(conversions) equal what was sent; an unverified cell has no number. "
         "errors: engine errors the arm caught and retried (see notes).\n\n";
  out << "| engine | workload | arm | threads | increments/s | x raw | verified | errors | notes |\n";
  out << "|---|---|---|---:|---:|---:|---|---:|---|\n";
  for (const auto& r : results) {
    out << fmt::format("| {} | {} | {} | {} | {} | {} | {} | {} | {} |\n", engine_name(r.spec.engine),
                       workload_name(r.spec.workload), arm_name(r.spec.arm), r.spec.threads,
                       r.verified ? with_commas(r.rate()) : "-", format_ratio(ratio_to_raw(r, results)),
                       r.verified ? "yes" : "**no**", r.errors, markdown_cell(remarks(r)));
  }
  out << "\n## Targets\n\n";
  out << "| target | engine | workload | measured | verdict | cells |\n|---|---|---|---:|---|---|\n";
  for (const auto& t : targets) {
    out << fmt::format("| {} | {} | {} | {} | {} | {} |\n", t.target, t.engine, t.workload, t.measured,
                       t.verdict == "missed" ? "**missed**" : t.verdict, markdown_cell(t.note));
  }
  out << "\n![increments/s per arm](chart.png)\n";
}

// How many events one timed call of an arm applies (the unit of its call latency).
static int calls_events(Arm arm) {
  if (arm == Arm::batch || arm == Arm::batch_processes) return 1000;
  if (arm == Arm::writer) return 256;
  return 1;
}

void write_json(const std::filesystem::path& file, const RunInfo& run, const std::vector<CellResult>& results,
                const std::vector<TargetCheck>& targets) {
  std::ofstream out(file);
  out << "{\n  \"run\": {";
  out << fmt::format(
      "\"nproc\": {}, \"cpu\": {}, \"memory\": {}, \"date\": {}, \"load_at_start\": {}, "
      "\"load_at_end\": {}, \"mode\": {}, \"command\": {}, \"elapsed_seconds\": {:.2f}, "
      "\"clients\": {}, \"engines\": {{",
      run.cores, json_string(run.cpu_model), json_string(run.memory), json_string(run.started),
      json_string(run.load_at_start), json_string(run.load_at_end), json_string(run.mode), json_string(run.command),
      run.elapsed_seconds, json_string(run.clients));
  for (std::size_t i = 0; i < run.engines.size(); ++i) {
    out << (i ? ", " : "") << json_string(run.engines[i].first) << ": " << json_string(run.engines[i].second);
  }
  out << "}},\n  \"rows\": [\n";
  for (std::size_t i = 0; i < results.size(); ++i) {
    const auto& r = results[i];
    const auto ratio = ratio_to_raw(r, results);
    std::string codes;
    for (const auto& [code, n] : r.error_codes)
      codes += fmt::format("{}{}: {}", codes.empty() ? "" : ", ", json_string(code), n);
    out << fmt::format(
        "    {{\"engine\": {}, \"workload\": {}, \"arm\": {}, \"threads\": {}, \"increments_per_s\": {}, "
        "\"ratio_to_raw\": {}, \"verified\": {}, \"errors\": {}, \"error_codes\": {{{}}}, \"library_retries\": {}, "
        "\"round_rates\": [{:.1f}], \"events\": {}, \"conversions\": {}, \"seconds\": {:.4f}, \"writer_statements\": "
        "{}, "
        "\"writer_statements_per_s\": {}, \"writer_flushed_rows_per_s\": {}, \"call_events\": {}, \"call_p50_us\": "
        "{:.1f}, \"call_p99_us\": {:.1f}, "
        "\"failure\": {}}}{}\n",
        json_string(engine_name(r.spec.engine)), json_string(workload_name(r.spec.workload)),
        json_string(arm_name(r.spec.arm)), r.spec.threads, r.verified ? fmt::format("{:.1f}", r.rate()) : "null",
        ratio ? fmt::format("{:.4f}", *ratio) : "null", r.verified ? "true" : "false", r.errors, codes,
        r.library_retries, fmt::join(r.round_rates, ", "), r.events, r.conversions, r.seconds, r.writer_statements,
        r.spec.arm == Arm::writer && r.seconds > 0
            ? fmt::format("{:.1f}", static_cast<double>(r.writer_statements) / r.seconds)
            : "null",
        r.spec.arm == Arm::writer && r.seconds > 0
            ? fmt::format("{:.1f}", static_cast<double>(r.writer_flushed_rows) / r.seconds)
            : "null",
        calls_events(r.spec.arm), call_latency(r, 0.5), call_latency(r, 0.99),
        r.verified ? "null" : json_string(r.failure), i + 1 < results.size() ? "," : "");
  }
  out << "  ],\n  \"targets\": [\n";
  for (std::size_t i = 0; i < targets.size(); ++i) {
    const auto& t = targets[i];
    out << fmt::format(
        "    {{\"target\": {}, \"engine\": {}, \"workload\": {}, \"measured\": {}, \"verdict\": {}, \"note\": {}}}{}\n",
        json_string(t.target), json_string(t.engine), json_string(t.workload), json_string(t.measured),
        json_string(t.verdict), json_string(t.note), i + 1 < targets.size() ? "," : "");
  }
  out << "  ]\n}\n";
}

std::string write_chart(const std::filesystem::path& dir, const std::vector<CellResult>& results) {
  // One panel per workload (uniform first), engines side by side, one bar per arm, at 8 threads
  // (or the largest thread count measured when 8 was not).
  const auto engines = present(results, &CellSpec::engine);
  const auto arms = present(results, &CellSpec::arm);
  const auto workloads = present(results, &CellSpec::workload);
  if (results.empty()) return "no cells";
  static const std::map<Arm, std::string> colours{
      {Arm::raw, "#7f7f7f"},      {Arm::raw_values, "#8c564b"}, {Arm::raw_unnest, "#9467bd"},
      {Arm::raw_tx, "#bcbd22"},   {Arm::locking, "#d62728"},    {Arm::single, "#1f77b4"},
      {Arm::prepared, "#17becf"}, {Arm::batch, "#2ca02c"},      {Arm::batch_processes, "#98df8a"},
      {Arm::writer, "#ff7f0e"}};
  double low = 1e300, high = 0;
  std::ostringstream plots;
  for (Workload w : workloads) {
    const int threads = chart_threads(results, w);
    const std::string data = fmt::format("chart-{}.dat", workload_name(w));
    std::ofstream dat(dir / data);
    dat << "engine";
    for (Arm a : arms) dat << ' ' << arm_name(a);
    dat << '\n';
    for (Engine e : engines) {
      dat << engine_name(e);
      for (Arm a : arms) {
        const CellResult* c = find_cell(results, e, w, a, threads);
        if (c != nullptr && c->verified) {
          dat << fmt::format(" {:.1f}", c->rate());
          low = std::min(low, c->rate());
          high = std::max(high, c->rate());
        } else {
          dat << " NaN";
        }
      }
      dat << '\n';
    }
    const std::size_t n = arms.size();
    plots << fmt::format("set title '{} workload, {} threads ({} producers for the writer)'\n", workload_name(w),
                         threads, threads);
    plots << fmt::format(
        "plot for [i=2:{0}] '{1}' using i:xtic(1) title columnheader(i) lc rgb word(colours, i-1), \\\n"
        "     for [i=2:{0}] '{1}' using ($0 + (i - 2 - {2:.1f}) / {3:.1f}):i:(label(column(i))) "
        "with labels rotate by 90 left offset 0,0.4 font ',8' notitle\n",
        n + 1, data, (static_cast<double>(n) - 1) / 2, static_cast<double>(n) + 1);
  }
  if (high <= 0) return "no verified cell to draw";
  std::string colour_words;
  for (Arm a : arms) colour_words += (colour_words.empty() ? "" : " ") + colours.at(a);
  std::ofstream gp(dir / "chart.gp");
  gp << "set terminal pngcairo size " << (workloads.size() > 1 ? 1400 : 800) << ",620 font 'DejaVu Sans,10'\n";
  gp << "set output 'chart.png'\n";
  gp << "colours = '" << colour_words << "'\n";
  gp << "label(x) = x >= 1e6 ? sprintf('%.2fM', x / 1e6) : x >= 1e4 ? sprintf('%.0fk', x / 1e3) : "
        "x >= 1e3 ? sprintf('%.1fk', x / 1e3) : sprintf('%.0f', x)\n";
  gp << "set key autotitle columnhead\nset style data histogram\nset style histogram clustered gap 1\nset style fill "
        "solid 0.9 border -1\n";
  gp << "set logscale y 10\n";
  gp << fmt::format("set yrange [{:g}:{:g}]\n", std::pow(10, std::floor(std::log10(low / 2))),
                    std::pow(10, std::ceil(std::log10(high * 8))));
  gp << "set format y '10^{%L}'\nset grid ytics\nset key top left horizontal\nset ylabel 'increments/s (log scale)'\n";
  gp << "set xtics nomirror\n";
  gp << fmt::format("set xrange [-0.6:{:.1f}]\n", static_cast<double>(engines.size()) - 0.4);
  if (workloads.size() > 1) {
    gp << fmt::format("set multiplot layout 1,{} title 'upsert-bench: increments/s per arm and engine'\n",
                      workloads.size());
  }
  gp << plots.str();
  if (workloads.size() > 1) gp << "unset multiplot\n";
  gp.close();
  const std::string command =
      fmt::format("cd '{}' && gnuplot chart.gp > chart.log 2>&1", std::filesystem::absolute(dir).string());
  if (std::system(command.c_str()) != 0) {
    return fmt::format("gnuplot failed (see {}): install gnuplot-nox (scripts/setup.sh)", (dir / "chart.log").string());
  }
  return "";
}

void print_targets(std::ostream& out, const std::vector<TargetCheck>& targets) {
  out << "\nTargets:\n";
  for (const auto& t : targets) {
    out << fmt::format("  [{:^12}] {:<52} {:<8} {:<7} {:>14}  {}\n", t.verdict, t.target, t.engine, t.workload,
                       t.measured, t.note);
  }
}

std::string cell_line(const CellResult& cell, const std::vector<CellResult>& results) {
  const auto& s = cell.spec;
  if (!cell.verified) {
    return fmt::format("{:<8} {:<7} {:<7} {:>2} threads: FAILED {}", engine_name(s.engine), workload_name(s.workload),
                       arm_name(s.arm), s.threads, cell.failure);
  }
  const std::string flushed =
      s.arm == Arm::writer && cell.seconds > 0
          ? fmt::format("  rows flushed {}/s",
                        with_commas(static_cast<double>(cell.writer_flushed_rows) / cell.seconds))
          : "";
  return fmt::format("{:<8} {:<7} {:<7} {:>2} threads: {:>12}/s  {:>6}x raw  verified  errors {}{}{}",
                     engine_name(s.engine), workload_name(s.workload), arm_name(s.arm), s.threads,
                     with_commas(cell.rate()), format_ratio(ratio_to_raw(cell, results)), cell.errors,
                     cell.error_codes.empty() ? "" : " (" + error_summary(cell) + ")", flushed);
}

}  // namespace upsert::bench
