// The plain strategy (render, then run) and the choice of strategy by dialect.

#include "session/strategies/strategy.hpp"

#include <fmt/format.h>

#include <algorithm>

#include "schema/column_types.hpp"

namespace upsert::detail {

ExecResult UpsertStrategy::execute(Driver& driver, const Upsert& statement, const RenderOptions& options) {
  const Sql sql = render(statement, driver.dialect(), options);
  return driver.run(sql.text, sql.params, returning_types(statement));
}

std::unique_ptr<UpsertStrategy> strategy_for(Dialect dialect) {
  switch (dialect) {
    case Dialect::sqlite: return sqlite_strategy();
    case Dialect::postgresql: return postgresql_strategy();
    case Dialect::mysql:
    case Dialect::mariadb: return mysql_strategy();
    case Dialect::oracle:
    case Dialect::sqlserver: break;
  }
  return std::make_unique<UpsertStrategy>();
}

std::vector<std::string> text_key_columns(const Table& table) {
  std::vector<std::string> columns;
  for (const auto& key : table.unique_keys()) {
    for (const auto& name : key.columns) {
      if (table.column_named(name).type != Type::text) continue;
      if (std::find(columns.begin(), columns.end(), name) == columns.end()) columns.push_back(name);
    }
  }
  return columns;
}

std::string collation_warning(const Table& table, const std::string& column, const std::string& collation,
                              const std::string& how, const std::string& fix) {
  return fmt::format(
      "table \"{}\": key column \"{}\" has collation {}, under which {} are one key: rows whose keys "
      "differ only so are written to one row. {}",
      table.name(), column, collation, how, fix);
}

std::vector<Type> returning_types(const Upsert& statement) {
  std::vector<Type> types = column_types(statement.table(), statement.returning_columns());
  if (statement.returns_inserted_flag()) types.push_back(Type::boolean);
  return types;
}

}  // namespace upsert::detail
