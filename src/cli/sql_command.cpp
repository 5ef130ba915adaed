// `upsert sql`: print the upsert for a table described on the command line, in one dialect or all.

#include <fmt/format.h>

#include <iostream>

#include "cli/commands.hpp"
#include "cli/table_spec.hpp"

namespace upsert::cli {

namespace {

// A value of the column's type for the placeholder rows (the SQL text does not depend on it).
Value sample_value(Type type, int row) {
  switch (type) {
    case Type::int64: return row + 1;
    case Type::float64: return row + 0.5;
    case Type::text: return fmt::format("v{}", row + 1);
    case Type::boolean: return row % 2 == 0;
    case Type::date: return Date(2026, 1, 1 + row % 28);
    case Type::timestamp: return Timestamp::from_parts(Date(2026, 1, 1), 0, 0, row % 60);
    case Type::bytes: return Bytes{{static_cast<std::uint8_t>(row)}};
  }
  return Value();
}

struct SqlOptions {
  TableSpec spec;
  std::string dialect;
  int rows = 1;
  bool ddl = false;
  bool params = false;
  bool any_unique_key = false;
};

int run_sql(const SqlOptions& o) {
  auto table = o.spec.build();
  Upsert statement = insert_into(table);
  for (int r = 0; r < o.rows; ++r) {
    Row row;
    for (const auto& c : table->columns()) {
      row.push_back(sample_value(c.type, r));
    }
    statement.row(std::move(row));
  }
  statement.on_conflict(o.spec.key);
  auto aggregates = o.spec.aggregates();
  if (aggregates.empty()) {
    statement.do_nothing();
  } else {
    statement.do_update(aggregate_assignments(aggregates));
  }
  std::vector<Dialect> dialects = o.dialect.empty() ? all_dialects() : std::vector<Dialect>{parse_dialect(o.dialect)};
  RenderOptions render_options{.allow_any_unique_key = o.any_unique_key};
  for (Dialect d : dialects) {
    if (dialects.size() > 1) std::cout << "-- " << dialect_name(d) << "\n";
    if (o.ddl) {
      for (const auto& s : create_table_sql(*table, d)) std::cout << s << ";\n";
    }
    Sql sql = render(statement, d, render_options);
    std::cout << sql.text << (sql.text.ends_with(";") ? "\n" : ";\n");
    if (o.params) {
      for (std::size_t i = 0; i < sql.params.size(); ++i) {
        std::cout << "--   param " << i + 1 << ": " << sql.params[i].to_string() << "\n";
      }
    }
  }
  return exit_ok;
}

}  // namespace

Command add_sql_command(CLI::App& app) {
  auto options = std::make_shared<SqlOptions>();
  CLI::App* sub = app.add_subcommand("sql", "Print the upsert SQL for a table, in one dialect or all six");
  sub->footer(
      "Example:\n  upsert sql --dialect postgresql --table ab_hourly --key ab_test_id,version,date,hour \\\n"
      "             --sum participants,conversions --types ab_test_id:int64,date:date,hour:int64");
  options->spec.add_options(*sub);
  sub->add_option("--dialect", options->dialect,
                  "sqlite, postgresql, mysql, mariadb, oracle or sqlserver (default: all six)");
  sub->add_option("--rows", options->rows, "Rows in the statement (placeholders only)")->check(CLI::Range(1, 10000));
  sub->add_flag("--ddl", options->ddl, "Also print CREATE TABLE");
  sub->add_flag("--params", options->params, "Also print the sample parameter values");
  sub->add_flag("--any-unique-key", options->any_unique_key,
                "MySQL/MariaDB: accept that ON DUPLICATE KEY UPDATE fires on any unique key");
  return [sub, options] { return sub->parsed() ? run_sql(*options) : -1; };
}

}  // namespace upsert::cli
