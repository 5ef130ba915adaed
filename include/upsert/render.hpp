#pragma once
/// Rendering: an upsert (or a table's DDL) to SQL text and ordered parameters for one dialect.

#include <string>
#include <string_view>
#include <vector>

#include "upsert/export.hpp"
#include "upsert/schema.hpp"
#include "upsert/statement.hpp"
#include "upsert/value.hpp"

namespace upsert {

/// The SQL dialects we render.
enum class Dialect { sqlite, postgresql, mysql, mariadb, oracle, sqlserver };

/// "sqlite", "postgresql", "mysql", "mariadb", "oracle", "sqlserver".
UPSERT_EXPORT std::string_view dialect_name(Dialect dialect);
/// Parses a dialect name (also "postgres", "pg", "mssql").
UPSERT_EXPORT Dialect parse_dialect(std::string_view name);
/// Every dialect, in declaration order.
UPSERT_EXPORT const std::vector<Dialect>& all_dialects();

/// Options that change what the renderer accepts.
struct RenderOptions {
  /// MySQL/MariaDB fire ON DUPLICATE KEY UPDATE on any unique key. When the table has another
  /// key that the row could hit, rendering refuses unless the caller opts in here.
  bool allow_any_unique_key = false;
};

/// SQL text plus the values for its placeholders, in placeholder order.
struct Sql {
  std::string text;           ///< the statement, with the dialect's placeholders
  std::vector<Value> params;  ///< one value per placeholder, in order
};

/// How many bound parameters one statement may carry on a dialect.
UPSERT_EXPORT std::size_t max_parameters(Dialect dialect);

/// Renders an upsert; throws Error(invalid_argument | unsupported) naming the cause and the fix.
UPSERT_EXPORT Sql render(const Upsert& statement, Dialect dialect, const RenderOptions& options = {});

/// An upsert whose rows travel as one array per insert column instead of one placeholder per value.
struct ColumnArraySql {
  std::string text;               ///< placeholders $1..$k take the k insert columns' arrays, in column order
  std::vector<Type> array_types;  ///< the element type of each array: its insert column's type
  std::vector<Value> params;      ///< the values of the placeholders after the arrays ($k+1, ...), in order
};

/// PostgreSQL's column-array form, `INSERT ... SELECT * FROM unnest($1::BIGINT[], ...) ON CONFLICT ...`:
/// any number of rows in one parameter per column, and one text (one prepared statement) for every
/// row count. The rows are not in the result: the caller binds column i of every row, in row order, as
/// array $i+1. Checks the statement as render() does.
UPSERT_EXPORT ColumnArraySql render_unnest(const Upsert& statement);

/// SELECT of the conflict-key columns of the statement's rows that already exist in the table.
/// Drivers whose engine cannot tell inserted from updated rows run it first, in the same write
/// transaction, to report the flag.
UPSERT_EXPORT Sql render_key_lookup(const Upsert& statement, Dialect dialect);

/// SELECT of `columns` of the statement's rows that exist in the table, found by the conflict key.
/// Drivers whose engine has no usable RETURNING read a written row back with it, in the same transaction.
UPSERT_EXPORT Sql render_row_lookup(const Upsert& statement, Dialect dialect, const std::vector<std::string>& columns);

/// SELECT `columns` FROM table WHERE each of `where_columns` equals its value (bound), for reading
/// back a few rows by key (the counter writer's ledger, tests).
UPSERT_EXPORT Sql render_select(const Table& table, const std::vector<std::string>& columns,
                                const std::vector<std::string>& where_columns, const std::vector<Value>& where_values,
                                Dialect dialect);

/// SELECT SUM(c1), SUM(c2), ... FROM table: totals for verification (NULL on an empty table).
UPSERT_EXPORT Sql render_sums(const Table& table, const std::vector<std::string>& columns, Dialect dialect);

/// The `limit` rows with the largest `order_by`, descending, ties broken by the columns in order.
UPSERT_EXPORT Sql render_top_rows(const Table& table, const std::vector<std::string>& columns,
                                  const std::string& order_by, std::size_t limit, Dialect dialect);

/// CREATE TABLE IF NOT EXISTS (and CREATE UNIQUE INDEX for partial keys): one or more statements.
UPSERT_EXPORT std::vector<std::string> create_table_sql(const Table& table, Dialect dialect);

/// Quotes a validated identifier for a dialect ("x", `x`, [x]; Oracle upper-cases).
UPSERT_EXPORT std::string quote_identifier(std::string_view name, Dialect dialect);

}  // namespace upsert
