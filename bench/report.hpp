#pragma once
// What a run produced, written for people (results.md, chart.png, the target summary on stdout)
// and for programs (results.json). Every throughput is also given as a ratio to the raw arm of
// the same engine, workload and thread count, measured in the same run: on a shared, loaded
// machine the ratios mean more than the absolute numbers.

#include <filesystem>
#include <optional>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "cell.hpp"

namespace upsert::bench {

/// The machine and the run, for the results header.
struct RunInfo {
  unsigned cores = 0;                                        ///< nproc
  std::string cpu_model;                                     ///< from /proc/cpuinfo
  std::string memory;                                        ///< MemTotal, e.g. "23.4 GiB"
  std::string started;                                       ///< UTC date and time
  std::string load_at_start;                                 ///< /proc/loadavg (1, 5, 15 min)
  std::string load_at_end;                                   ///< /proc/loadavg after the last cell
  std::vector<std::pair<std::string, std::string>> engines;  ///< engine -> server version
  std::string clients;                                       ///< C client library versions
  std::string mode;                                          ///< "quick" or "full", and the cell duration
  std::string command;                                       ///< the command line
  double elapsed_seconds = 0;                                ///< the whole run
};

/// Reads cores, CPU model, memory, date and load average.
RunInfo read_machine();
/// The current /proc/loadavg figures, e.g. "11.73 13.54 12.98".
std::string read_load();

/// One performance target and how the run did against it.
struct TargetCheck {
  std::string target;    ///< what is asked, e.g. "single >= 0.9x raw, 1 thread"
  std::string engine;    ///< engine
  std::string workload;  ///< workload
  std::string measured;  ///< the measured figure, e.g. "0.93x" or "1,234,567/s"
  std::string verdict;   ///< "met", "missed", "not measured", "reported"
  std::string note;      ///< the cells behind it, or why it could not be judged
};

/// Checks every target that the measured cells allow.
std::vector<TargetCheck> check_targets(const std::vector<CellResult>& results);

/// The ratio of a cell's rate to the raw arm's at the same engine, workload and threads.
std::optional<double> ratio_to_raw(const CellResult& cell, const std::vector<CellResult>& results);

/// Writes results.md.
void write_markdown(const std::filesystem::path& file, const RunInfo& run, const std::vector<CellResult>& results,
                    const std::vector<TargetCheck>& targets);
/// Writes results.json: {"run": {...}, "rows": [one object per cell], "targets": [...]}.
void write_json(const std::filesystem::path& file, const RunInfo& run, const std::vector<CellResult>& results,
                const std::vector<TargetCheck>& targets);
/// Draws chart.png with gnuplot (and leaves chart.gp and chart-*.dat beside it); returns "" or why
/// no chart was drawn.
std::string write_chart(const std::filesystem::path& dir, const std::vector<CellResult>& results);

/// Prints the target summary.
void print_targets(std::ostream& out, const std::vector<TargetCheck>& targets);
/// One line for a finished cell, for progress output.
std::string cell_line(const CellResult& cell, const std::vector<CellResult>& results);
/// 1234567.8 -> "1,234,568".
std::string with_commas(double value);

}  // namespace upsert::bench
