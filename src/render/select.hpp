#pragma once
// Plain SELECTs of a few rows by key, for what an engine's upsert cannot return by itself: SQLite's
// inserted flag (the keys that existed before), MySQL/MariaDB's RETURNING (the rows read back),
// and the counter writer's ledger row.

#include <string>
#include <vector>

#include "upsert/render.hpp"
#include "upsert/schema.hpp"
#include "upsert/statement.hpp"
#include "upsert/value.hpp"

namespace upsert::detail {

// SELECT of the conflict-key columns of the statement's rows that already exist in the table.
Sql render_key_lookup(const Upsert& statement, Dialect dialect);

// SELECT of `columns` of the statement's rows that exist in the table, found by the conflict key.
Sql render_row_lookup(const Upsert& statement, Dialect dialect, const std::vector<std::string>& columns);

// SELECT `columns` FROM table WHERE each of `where_columns` equals its value (bound).
Sql render_select(const Table& table, const std::vector<std::string>& columns,
                  const std::vector<std::string>& where_columns, const std::vector<Value>& where_values,
                  Dialect dialect);

}  // namespace upsert::detail
