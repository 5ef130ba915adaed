#pragma once
// A table described on the command line: --table, --key, --sum/--max/--min/--last, --types.
// Shared by `upsert sql`, `upsert ingest` and `upsert demo`.

#include <CLI/CLI.hpp>

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "upsert/upsert.hpp"

namespace upsert::cli {

struct TableSpec {
  std::string table;
  std::vector<std::string> key;
  std::vector<std::string> sum, max, min, last;
  std::vector<std::string> types;  // "column:type"

  // Registers the options on a subcommand.
  void add_options(CLI::App& app, bool table_required = true);
  // The aggregated columns in option order (sums first).
  std::vector<AggregateColumn> aggregates() const;
  // The table: key columns (text unless --types says otherwise), then aggregated columns
  // (int64 unless --types says otherwise; sums NOT NULL DEFAULT 0), with the key as unique key.
  std::shared_ptr<const Table> build() const;
};

}  // namespace upsert::cli
