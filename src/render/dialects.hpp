#pragma once
// One renderer per dialect; render.cpp dispatches to them.

#include <string>
#include <vector>

#include "render/sql_writer.hpp"
#include "upsert/render.hpp"

namespace upsert::detail {

Sql render_sqlite(const Upsert& s, const RenderOptions& options);
Sql render_postgresql(const Upsert& s, const RenderOptions& options);
Sql render_mysql(const Upsert& s, const RenderOptions& options, Dialect dialect);
Sql render_oracle(const Upsert& s, const RenderOptions& options);
Sql render_sqlserver(const Upsert& s, const RenderOptions& options);

std::vector<std::string> create_table_sqlite(const Table& table);
std::vector<std::string> create_table_postgresql(const Table& table);
std::vector<std::string> create_table_mysql(const Table& table, Dialect dialect);
std::vector<std::string> create_table_oracle(const Table& table);
std::vector<std::string> create_table_sqlserver(const Table& table);

// " ON CONFLICT (k) [WHERE p] DO NOTHING | DO UPDATE SET ... [WHERE c]": SQLite and PostgreSQL.
void write_on_conflict(SqlWriter& w, const Upsert& s);

// " ON t.k = s.k AND ..." plus the WHEN MATCHED / WHEN NOT MATCHED clauses: Oracle and SQL Server.
// `matched_condition_inline` puts the update condition in WHEN MATCHED AND c (SQL Server) instead
// of UPDATE ... WHERE c (Oracle).
void write_merge_clauses(SqlWriter& w, const Upsert& s, bool parenthesise_on, bool matched_condition_inline);

// Refuses what options.profile's engine would break (render/profiles.cpp); invalid_argument when
// the profile is for another dialect.
void check_profile(const Upsert& s, Dialect dialect, const RenderOptions& options);

// TiDB and Vitess take the new row as VALUES(`c`), not through an `AS new` row alias.
bool uses_values_function(const RenderOptions& options);

// Refuses a conflict target that is a partial key (engines without partial unique indexes).
void refuse_partial_target(const Upsert& s, Dialect dialect);

// Rewrites `sql`'s native placeholders into `style` (placeholders.cpp).
Sql restyle_placeholders(Sql sql, Dialect dialect, Placeholders style);

}  // namespace upsert::detail
