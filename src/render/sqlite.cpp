// SQLite 3.35+ (UPSERT since 3.24, RETURNING since 3.35, STRICT tables since 3.37):
//   INSERT INTO "t" (...) VALUES (?, ...) ON CONFLICT ("k") DO UPDATE SET "c" = "t"."c" + excluded."c"

#include <fmt/format.h>

#include "render/dialects.hpp"
#include "statement/validate.hpp"

namespace upsert::detail {

const DialectRules& sqlite_rules() {
  static const DialectRules rules{.dialect = Dialect::sqlite,
                                  .quote_open = "\"",
                                  .quote_close = "\"",
                                  // Plain ? (numbered in order by SQLite): ?NNN makes prepare time grow
                                  // with the square of the parameter count (2.6 s at 32,766).
                                  .placeholder = PlaceholderStyle::question,
                                  .greatest = GreatestStyle::coalesced_minmax,
                                  .divisor_must_be_constant = true,
                                  .overflow_becomes_real = true};
  return rules;
}

Sql render_sqlite(const Upsert& s, const RenderOptions& /*options*/) {
  validate_upsert(s, /*null_keys_allowed=*/false);
  if (s.returns_inserted_flag()) {
    refuse(Dialect::sqlite,
           "RETURNING cannot tell an inserted row from an updated one on SQLite; ask the connection for the "
           "flag (Connection::execute works it out inside its write transaction)");
  }
  const Table& table = s.table();
  SqlWriter table_name(sqlite_rules(), table);
  table_name.ident(table.name());
  SqlWriter w(sqlite_rules(), table, RowNames{table_name.take_text() + ".", "excluded.", ""});
  w << "INSERT INTO ";
  w.ident(table.name()) << " ";
  write_insert_values(w, s);
  write_on_conflict(w, s);
  if (!s.returning_columns().empty()) {
    w << " RETURNING ";
    w.ident_list(s.returning_columns());
  }
  return w.take();
}

namespace {

// STRICT tables take only these type names, and refuse a value that does not fit (an integer
// overflow that SQLite would silently turn into a REAL becomes an error, as on PostgreSQL).
std::string sqlite_type(const Column& c, bool /*in_key*/) {
  switch (c.type) {
    case Type::int64:
    case Type::boolean: return "INTEGER";
    case Type::float64: return "REAL";
    case Type::text:
    case Type::date:
    case Type::timestamp: return "TEXT";
    case Type::bytes: return "BLOB";
  }
  return "ANY";
}

}  // namespace

std::vector<std::string> create_table_sqlite(const Table& table) {
  // An INTEGER PRIMARY KEY column is SQLite's rowid alias: it numbers itself. No other column does,
  // so an identity column elsewhere would stay NULL.
  for (const auto& c : table.columns()) {
    if (!c.identity) continue;
    const auto& keys = table.unique_keys();
    if (keys.empty() || !keys.front().primary || keys.front().columns != std::vector<std::string>{c.name}) {
      refuse(Dialect::sqlite, fmt::format("identity column \"{}\" must be the whole primary key: SQLite numbers "
                                          "only an INTEGER PRIMARY KEY column",
                                          c.name));
    }
  }
  DdlRules ddl{.type_sql = sqlite_type, .identity_suffix = "", .partial_keys = true, .table_suffix = " STRICT"};
  return create_table_statements(table, sqlite_rules(), ddl, "CREATE TABLE IF NOT EXISTS ");
}

}  // namespace upsert::detail
