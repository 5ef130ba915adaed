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
  std::vector<std::string> types;  // "column:type", as given to --types

  // Registers the options on a subcommand.
  void add_options(CLI::App& app, bool table_required = true);
  // The aggregated columns in option order (sums first).
  std::vector<AggregateColumn> aggregates() const;
  // The types --types declares, by column.
  std::map<std::string, Type> declared_types() const;
  // The table: key columns, then aggregated columns (sums NOT NULL DEFAULT 0), with the key as
  // unique key. A column's type is what --types declares, else what `inferred` says (ingest reads
  // it off the data), else text for a key and int64 for an aggregated column.
  std::shared_ptr<const Table> build(const std::map<std::string, Type>& inferred = {}) const;
};

}  // namespace upsert::cli
