// The `upsert` command: sql, ingest, demo, bench. Each subcommand lives in its own file.

#include <fmt/format.h>

#include <iostream>

#include "cli/commands.hpp"
#include "upsert/error.hpp"

int main(int argc, char** argv) {
  using namespace upsert::cli;
  CLI::App app{
      "upsert: one portable, atomic upsert with expression updates across SQLite, PostgreSQL, "
      "MySQL, MariaDB, Oracle and SQL Server"};
  app.require_subcommand(1);
  app.footer(
      "Database URLs (--db): sqlite:PATH, sqlite::memory:, postgresql://user:password@host:port/database\n"
      "(libpq URIs; a unix socket with ?host=/dir), mariadb://user:password@host:port/database or mysql://...\n"
      "(localhost is the default unix socket, ?socket=/path another; percent-encode '@', ':', '/' in passwords).\n"
      "Nodes of one cluster (Galera) as a host list: mariadb://user:password@h1:3306,h2:3306,h3:3306/database;\n"
      "the first that answers is used, the next after a lost connection. postgresql://...@h1:5432,h2:5432/db too.\n"
      "Exit codes: 0 ok, 1 data errors (rejected rows, failed verification), 2 usage or setup errors.\n"
      "Run `upsert <command> --help` for a command's options and an example.");
  std::vector<Command> commands{add_sql_command(app), add_ingest_command(app), add_demo_command(app),
                                add_bench_command(app)};
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int code = app.exit(e);
    return code == 0 ? exit_ok : exit_usage;
  }
  try {
    for (const auto& command : commands) {
      int code = command();
      if (code >= 0) return code;
    }
  } catch (const upsert::Error& e) {
    std::cerr << "upsert: " << e.what() << "\n";
    bool data = e.category() == upsert::ErrorCategory::constraint || e.category() == upsert::ErrorCategory::data ||
                e.category() == upsert::ErrorCategory::overflow;
    return data ? exit_data_error : exit_usage;
  }
  return exit_usage;
}
