// The plain strategy (render, then run) and the choice of strategy by dialect.

#include "session/strategies/strategy.hpp"

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

std::vector<Type> returning_types(const Upsert& statement) {
  std::vector<Type> types = column_types(statement.table(), statement.returning_columns());
  if (statement.returns_inserted_flag()) types.push_back(Type::boolean);
  return types;
}

}  // namespace upsert::detail
