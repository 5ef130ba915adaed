// Plain SELECTs by key, for reading back a few rows (the counter writer's ledger).

#include <fmt/format.h>

#include "render/dialects.hpp"
#include "upsert/error.hpp"

namespace upsert {

Sql render_select(const Table& table, const std::vector<std::string>& columns,
                  const std::vector<std::string>& where_columns, const std::vector<Value>& where_values,
                  Dialect dialect) {
  if (where_columns.size() != where_values.size()) {
    throw Error(ErrorCategory::invalid_argument, fmt::format("render_select: {} WHERE columns but {} values",
                                                             where_columns.size(), where_values.size()));
  }
  for (const auto& c : columns) table.column_named(c);
  for (const auto& c : where_columns) table.column_named(c);
  detail::SqlWriter w(detail::rules_for(dialect), table);
  w << "SELECT ";
  w.ident_list(columns);
  w << " FROM ";
  w.ident(table.name());
  for (std::size_t i = 0; i < where_columns.size(); ++i) {
    w << (i == 0 ? " WHERE " : " AND ");
    w.ident(where_columns[i]) << " = ";
    w.param(where_values[i]);
  }
  return w.take();
}

}  // namespace upsert

namespace upsert {

Sql render_sums(const Table& table, const std::vector<std::string>& columns, Dialect dialect) {
  detail::SqlWriter w(detail::rules_for(dialect), table);
  w << "SELECT ";
  for (std::size_t i = 0; i < columns.size(); ++i) {
    table.column_named(columns[i]);
    w << (i == 0 ? "SUM(" : ", SUM(");
    w.ident(columns[i]) << ")";
  }
  w << " FROM ";
  w.ident(table.name());
  return w.take();
}

Sql render_top_rows(const Table& table, const std::vector<std::string>& columns, const std::string& order_by,
                    std::size_t limit, Dialect dialect) {
  table.column_named(order_by);
  for (const auto& c : columns) table.column_named(c);
  detail::SqlWriter w(detail::rules_for(dialect), table);
  // Each engine spells "the first N rows" its own way; the limit is a number we own, not input.
  w << "SELECT ";
  if (dialect == Dialect::sqlserver) w << fmt::format("TOP ({}) ", limit);
  w.ident_list(columns);
  w << " FROM ";
  w.ident(table.name());
  w << " ORDER BY ";
  w.ident(order_by) << " DESC";
  for (const auto& c : columns) {
    if (c == order_by) continue;
    w << ", ";
    w.ident(c);
  }
  if (dialect == Dialect::oracle) {
    w << fmt::format(" FETCH FIRST {} ROWS ONLY", limit);
  } else if (dialect != Dialect::sqlserver) {
    w << fmt::format(" LIMIT {}", limit);
  }
  return w.take();
}

}  // namespace upsert
