#pragma once
/// Rendering: an upsert (or a table's DDL) to SQL text and ordered parameters for one dialect.

#include <cstddef>
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

/// How placeholders are written: the dialect's own, or the style a Python DB-API driver takes.
enum class Placeholders {
  native,   ///< $1 (PostgreSQL), ? (SQLite, MySQL, MariaDB), :1 (Oracle), @p1 (SQL Server)
  qmark,    ///< ? (sqlite3, pyodbc)
  format,   ///< %s, with every literal % in the text doubled (psycopg2, MySQLdb, Django's cursors)
  numeric,  ///< :1, :2 (cx_Oracle / oracledb)
};

/// A distributed engine that speaks PostgreSQL's or MySQL's protocol (see the README, "Past one
/// machine"): rendering follows its documented rules and refuses what it would break.
enum class Profile {
  none,         ///< the dialect's own engine
  cockroachdb,  ///< CockroachDB (PostgreSQL dialect)
  yugabytedb,   ///< YugabyteDB YSQL (PostgreSQL dialect)
  citus,        ///< Citus distributed tables (PostgreSQL dialect); needs distribution_column
  tidb,         ///< TiDB (MySQL dialect)
  vitess,       ///< Vitess sharded keyspaces (MySQL dialect); needs distribution_column
};

/// "none", "cockroachdb", "yugabytedb", "citus", "tidb", "vitess".
UPSERT_EXPORT std::string_view profile_name(Profile profile);
/// Parses a profile name (also "cockroach", "crdb", "yugabyte", "yb").
UPSERT_EXPORT Profile parse_profile(std::string_view name);
/// The dialect a profile's engine speaks: postgresql or mysql (none: throws invalid_argument).
UPSERT_EXPORT Dialect profile_dialect(Profile profile);

/// Options that change what the renderer accepts.
struct RenderOptions {
  /// MySQL/MariaDB fire ON DUPLICATE KEY UPDATE on any unique key. When the table has another
  /// key that the row could hit, rendering refuses unless the caller opts in here.
  bool allow_any_unique_key = false;
  /// The placeholder style; params are in the order of the placeholders in the text.
  Placeholders placeholders = Placeholders::native;
  /// The distributed engine behind the dialect, when there is one.
  Profile profile = Profile::none;
  /// Citus: the table's distribution column; Vitess: its primary vindex column. The conflict
  /// target must contain it and the update may not set it.
  std::string distribution_column;
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

/// CREATE TABLE IF NOT EXISTS (and CREATE UNIQUE INDEX for partial keys): one or more statements.
UPSERT_EXPORT std::vector<std::string> create_table_sql(const Table& table, Dialect dialect);

/// Quotes a validated identifier for a dialect ("x", `x`, [x]; Oracle upper-cases).
UPSERT_EXPORT std::string quote_identifier(std::string_view name, Dialect dialect);

}  // namespace upsert
