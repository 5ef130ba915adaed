// Plain SELECTs of rows by key (see select.hpp).

#include "render/select.hpp"

#include <fmt/format.h>

#include "render/dialects.hpp"
#include "upsert/error.hpp"

namespace upsert::detail {

Sql render_key_lookup(const Upsert& statement, Dialect dialect) {
  return render_row_lookup(statement, dialect, statement.conflict_key().columns);
}

Sql render_row_lookup(const Upsert& statement, Dialect dialect, const std::vector<std::string>& columns) {
  if (columns.empty()) throw Error(ErrorCategory::invalid_argument, "a row lookup needs at least one column to select");
  for (const auto& c : columns) statement.table().column_named(c);
  const auto& key = statement.conflict_key().columns;
  const auto positions = statement.key_positions();
  SqlWriter w(rules_for(dialect), statement.table());
  w << "SELECT ";
  w.ident_list(columns);
  w << " FROM ";
  w.ident(statement.table().name());
  w << " WHERE ";
  const auto& rows = statement.row_values();
  for (std::size_t r = 0; r < rows.size(); ++r) {
    w << (r == 0 ? "(" : " OR (");
    for (std::size_t i = 0; i < key.size(); ++i) {
      if (i > 0) w << " AND ";
      const Value& v = rows[r][positions[i]];
      // A NULL key value (a NULLS NOT DISTINCT key) matches only IS NULL: "= NULL" is never true.
      if (v.is_null()) {
        w.ident(key[i]) << " IS NULL";
        continue;
      }
      w.ident(key[i]) << " = ";
      w.param(v);
    }
    w << ")";
  }
  return w.take();
}

Sql render_select(const Table& table, const std::vector<std::string>& columns,
                  const std::vector<std::string>& where_columns, const std::vector<Value>& where_values,
                  Dialect dialect) {
  if (where_columns.size() != where_values.size()) {
    throw Error(ErrorCategory::invalid_argument, fmt::format("render_select: {} WHERE columns but {} values",
                                                             where_columns.size(), where_values.size()));
  }
  for (const auto& c : columns) table.column_named(c);
  for (const auto& c : where_columns) table.column_named(c);
  SqlWriter w(rules_for(dialect), table);
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

}  // namespace upsert::detail
