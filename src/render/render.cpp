#include "upsert/render.hpp"

#include <fmt/format.h>

#include "render/dialects.hpp"
#include "upsert/error.hpp"

namespace upsert {

std::string_view dialect_name(Dialect dialect) {
  switch (dialect) {
    case Dialect::sqlite: return "sqlite";
    case Dialect::postgresql: return "postgresql";
    case Dialect::mysql: return "mysql";
    case Dialect::mariadb: return "mariadb";
    case Dialect::oracle: return "oracle";
    case Dialect::sqlserver: return "sqlserver";
  }
  return "unknown";
}

Dialect parse_dialect(std::string_view name) {
  for (Dialect d : all_dialects()) {
    if (name == dialect_name(d)) return d;
  }
  if (name == "postgres" || name == "pg") return Dialect::postgresql;
  if (name == "mssql") return Dialect::sqlserver;
  throw Error(
      ErrorCategory::invalid_argument,
      fmt::format("unknown dialect \"{}\": use one of sqlite, postgresql, mysql, mariadb, oracle, sqlserver", name));
}

const std::vector<Dialect>& all_dialects() {
  static const std::vector<Dialect> dialects{Dialect::sqlite,  Dialect::postgresql, Dialect::mysql,
                                             Dialect::mariadb, Dialect::oracle,     Dialect::sqlserver};
  return dialects;
}

std::size_t max_parameters(Dialect dialect) {
  switch (dialect) {
    case Dialect::sqlite: return 32766;      // SQLITE_MAX_VARIABLE_NUMBER since 3.32
    case Dialect::postgresql: return 65535;  // the protocol's 16-bit parameter count
    case Dialect::mysql:
    case Dialect::mariadb: return 65535;   // the protocol's 16-bit placeholder count
    case Dialect::oracle: return 65535;    // bind variables per statement
    case Dialect::sqlserver: return 2000;  // 2,100 per request, less a margin
  }
  return 999;
}

}  // namespace upsert

namespace upsert::detail {

void refuse(Dialect dialect, std::string_view what_and_fix) {
  throw Error(ErrorCategory::unsupported, fmt::format("{}: {}", dialect_name(dialect), what_and_fix));
}

}  // namespace upsert::detail

namespace upsert {

namespace {

Sql render_native(const Upsert& statement, Dialect dialect, const RenderOptions& options) {
  switch (dialect) {
    case Dialect::sqlite: return detail::render_sqlite(statement, options);
    case Dialect::postgresql: return detail::render_postgresql(statement, options);
    case Dialect::mysql:
    case Dialect::mariadb: return detail::render_mysql(statement, options, dialect);
    case Dialect::oracle: return detail::render_oracle(statement, options);
    case Dialect::sqlserver: return detail::render_sqlserver(statement, options);
  }
  throw Error(ErrorCategory::internal, "unknown dialect");
}

}  // namespace

Sql render(const Upsert& statement, Dialect dialect, const RenderOptions& options) {
  detail::check_profile(statement, dialect, options);
  Sql sql = render_native(statement, dialect, options);
  if (options.placeholders == Placeholders::native) return sql;
  return detail::restyle_placeholders(std::move(sql), dialect, options.placeholders);
}

std::vector<std::string> create_table_sql(const Table& table, Dialect dialect) {
  switch (dialect) {
    case Dialect::sqlite: return detail::create_table_sqlite(table);
    case Dialect::postgresql: return detail::create_table_postgresql(table);
    case Dialect::mysql:
    case Dialect::mariadb: return detail::create_table_mysql(table, dialect);
    case Dialect::oracle: return detail::create_table_oracle(table);
    case Dialect::sqlserver: return detail::create_table_sqlserver(table);
  }
  throw Error(ErrorCategory::internal, "unknown dialect");
}

std::string quote_identifier(std::string_view name, Dialect dialect) {
  validate_identifier(name, "identifier");
  static const Table no_table("none");
  detail::SqlWriter w(detail::rules_for(dialect), no_table);
  w.ident(name);
  return w.take_text();
}

}  // namespace upsert
