// SQL Server 2022 (GREATEST/LEAST ignore NULLs there, as on PostgreSQL):
//   MERGE INTO [t] WITH (UPDLOCK, HOLDLOCK) AS t USING (VALUES (@p1, ...), (...)) AS s ([k], ...)
//   ON t.[k] = s.[k] WHEN MATCHED [AND ...] THEN UPDATE SET t.[c] = t.[c] + s.[c]
//   WHEN NOT MATCHED THEN INSERT ([k], ...) VALUES (s.[k], ...) [OUTPUT ...];
//
// Without UPDLOCK, HOLDLOCK two sessions can both find the key missing and both insert; the hints
// hold a key-range lock from the ON lookup to the end of the statement.

#include <fmt/format.h>

#include "render/dialects.hpp"
#include "statement/validate.hpp"

namespace upsert::detail {

const DialectRules& sqlserver_rules() {
  static const DialectRules rules{.dialect = Dialect::sqlserver,
                                  .quote_open = "[",
                                  .quote_close = "]",
                                  .placeholder = PlaceholderStyle::at_p,
                                  .greatest = GreatestStyle::native,
                                  .numeric_booleans = true};
  return rules;
}

Sql render_sqlserver(const Upsert& s, const RenderOptions& /*options*/) {
  validate_upsert(s, /*null_keys_allowed=*/false);
  refuse_partial_target(s, Dialect::sqlserver);
  const Table& table = s.table();
  SqlWriter w(sqlserver_rules(), table, RowNames{"t.", "s.", ""});
  w << "MERGE INTO ";
  w.ident(table.name()) << " WITH (UPDLOCK, HOLDLOCK) AS t USING (VALUES ";
  const auto& rows = s.row_values();
  for (std::size_t r = 0; r < rows.size(); ++r) {
    w << (r == 0 ? "(" : ", (");
    for (std::size_t i = 0; i < rows[r].size(); ++i) {
      if (i > 0) w << ", ";
      w.param(rows[r][i]);
    }
    w << ")";
  }
  w << ") AS s (";
  w.ident_list(s.insert_columns());
  w << ")";
  write_merge_clauses(w, s, /*parenthesise_on=*/false, /*matched_condition_inline=*/true);
  if (s.has_returning()) {
    w << " OUTPUT ";
    bool first = true;
    for (const auto& c : s.returning_columns()) {
      if (!first) w << ", ";
      first = false;
      w << "inserted.";
      w.ident(c);
    }
    if (s.returns_inserted_flag()) {
      w << (first ? "" : ", ") << "CASE $action WHEN 'INSERT' THEN 1 ELSE 0 END AS [inserted]";
    }
  }
  w << ";";
  return w.take();
}

namespace {

std::string sqlserver_type(const Column& c, bool in_key) {
  // Binary collation: keys compare as on PostgreSQL ('a' <> 'A'); the default collation is case-insensitive.
  const int length = c.max_length.value_or(255);
  switch (c.type) {
    case Type::int64: return "BIGINT";
    case Type::float64: return "FLOAT(53)";
    case Type::text:
      return (in_key || c.max_length ? fmt::format("NVARCHAR({})", length) : std::string("NVARCHAR(MAX)")) +
             " COLLATE Latin1_General_100_BIN2";
    case Type::boolean: return "BIT";
    case Type::date: return "DATE";
    case Type::timestamp: return "DATETIME2(6)";
    case Type::bytes: return in_key || c.max_length ? fmt::format("VARBINARY({})", length) : "VARBINARY(MAX)";
  }
  return "NVARCHAR(MAX)";
}

}  // namespace

std::vector<std::string> create_table_sqlserver(const Table& table) {
  SqlWriter name(sqlserver_rules(), table);
  name.ident(table.name());
  DdlRules ddl{.type_sql = sqlserver_type, .identity_suffix = " IDENTITY(1,1) NOT NULL"};
  std::string prefix = fmt::format("IF OBJECT_ID(N'{}', N'U') IS NULL CREATE TABLE ", name.take_text());
  return create_table_statements(table, sqlserver_rules(), ddl, prefix);
}

}  // namespace upsert::detail
