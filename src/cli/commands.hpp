#pragma once
// Each subcommand registers itself on the app and returns the exit code when run.

#include <CLI/CLI.hpp>

#include <functional>

namespace upsert::cli {

// Exit codes: 0 ok, 1 data errors (rows rejected, verification failed), 2 usage or setup errors.
inline constexpr int exit_ok = 0;
inline constexpr int exit_data_error = 1;
inline constexpr int exit_usage = 2;

using Command = std::function<int()>;

// `upsert sql`: prints the upsert (and optionally the DDL) for a table described by options.
Command add_sql_command(CLI::App& app);
// `upsert ingest`: reads CSV or JSON Lines events and upserts their aggregates.
Command add_ingest_command(CLI::App& app);
// `upsert demo`: the A/B scenario through the counter writer, verified.
Command add_demo_command(CLI::App& app);
// `upsert bench`: single-row upserts, batches and the counter writer on one database, verified.
Command add_bench_command(CLI::App& app);

}  // namespace upsert::cli
