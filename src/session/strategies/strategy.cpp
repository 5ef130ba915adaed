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

std::vector<KeyCollation> text_key_collations(Driver& driver, const Table& table, const std::string& sql,
                                              const std::string& table_param) {
  std::vector<std::string> text_keys;
  for (const auto& key : table.unique_keys()) {
    for (const auto& name : key.columns) {
      if (table.column_named(name).type == Type::text) text_keys.push_back(name);
    }
  }
  std::vector<KeyCollation> found;
  if (text_keys.empty()) return found;  // nothing to ask: integer keys compare as numbers everywhere
  const std::vector<Value> params{Value(table_param)};
  for (auto& row : driver.run(sql, params, {Type::text, Type::text}).rows) {
    auto column = row[0].as<std::string>();
    if (std::find(text_keys.begin(), text_keys.end(), column) == text_keys.end()) continue;
    found.push_back({std::move(column), row[1].as<std::string>()});
  }
  return found;
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
