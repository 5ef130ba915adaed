// MySQL 8.0.19+ and MariaDB 10.5+:
//   INSERT INTO `t` (...) VALUES (?, ...) AS `new` ON DUPLICATE KEY UPDATE `c` = `c` + `new`.`c`   (MySQL)
//   INSERT INTO `t` (...) VALUES (?, ...) ON DUPLICATE KEY UPDATE `c` = `c` + VALUE(`c`)            (MariaDB)
//   INSERT INTO `t` (...) VALUES (?, ...) ON DUPLICATE KEY UPDATE `c` = `c` + VALUES(`c`)           (TiDB, Vitess)
//
// Two differences from PostgreSQL are the renderer's business:
// - assignments run left to right, each seeing the ones before it, so they are reordered until
//   every assignment reads only columns not yet assigned (or refused when no order exists);
// - the statement fires on any unique key, so a table with another key the row could hit is
//   refused unless the caller opts in.
// ON DUPLICATE KEY UPDATE has no WHERE: `c = IF(condition, new value, c)` keeps the old value.
// MariaDB's RETURNING also returns rows left unchanged (by DO NOTHING or a false condition), so
// RETURNING is rendered only when every row is written; the driver reads the others back.

#include <fmt/format.h>

#include <fmt/ranges.h>
#include <algorithm>
#include <map>

#include <algorithm>
#include <cctype>
#include <set>

#include "render/dialects.hpp"
#include "statement/validate.hpp"

namespace upsert::detail {

std::string_view mysql_cast_type_name(Type type) {
  // CAST(... AS DOUBLE): MySQL 8.0.17+, MariaDB 10.4+.
  return type == Type::float64 ? "DOUBLE" : "SIGNED";
}

const DialectRules& mysql_rules() {
  static const DialectRules rules{.dialect = Dialect::mysql,
                                  .quote_open = "`",
                                  .quote_close = "`",
                                  .placeholder = PlaceholderStyle::question,
                                  .greatest = GreatestStyle::coalesced,
                                  .integer_division = IntegerDivision::div_operator,
                                  .arithmetic_null_type = mysql_cast_type_name};
  return rules;
}

const DialectRules& mariadb_rules() {
  static const DialectRules rules = [] {
    DialectRules r = mysql_rules();
    r.dialect = Dialect::mariadb;
    return r;
  }();
  return rules;
}

namespace {

// The text and bytes columns that `e` reads from the proposed row.
void proposed_blob_columns(const Table& table, const Expr& e, std::set<std::string>& out) {
  if (e.kind() == ExprKind::proposed) {
    const Column* c = table.find_column(e.node().column);
    if (c != nullptr && (c->type == Type::text || c->type == Type::bytes)) out.insert(c->name);
  }
  for (const auto& a : e.args()) proposed_blob_columns(table, a, out);
}

// An order of the assignments in which each one runs before any assignment that overwrites a
// column it reads. Kahn's algorithm, taking the earliest assignment first to keep the caller's order.
std::vector<std::size_t> old_row_order(const Upsert& s, Dialect dialect) {
  const auto& assignments = s.assignments();
  const std::size_t n = assignments.size();
  std::set<std::string> condition_reads;
  if (s.update_where()) existing_columns(*s.update_where(), condition_reads);
  std::vector<std::set<std::string>> reads(n, condition_reads);
  for (std::size_t i = 0; i < n; ++i) existing_columns(assignments[i].value(), reads[i]);
  if (dialect == Dialect::mariadb) {
    // MariaDB's VALUE(c) of a TEXT or BLOB column reads the row being written: after an assignment
    // to c it returns that new value, or a mix of both ('t8' over 't14' read 't84'). Such reads go
    // before the assignment to c, as reads of the old row do.
    std::set<std::string> condition_proposed;
    if (s.update_where()) proposed_blob_columns(s.table(), *s.update_where(), condition_proposed);
    for (std::size_t i = 0; i < n; ++i) {
      reads[i].insert(condition_proposed.begin(), condition_proposed.end());
      proposed_blob_columns(s.table(), assignments[i].value(), reads[i]);
    }
  }

  // must_precede[i][j]: assignment i reads the column assignment j writes.
  std::vector<std::vector<bool>> must_precede(n, std::vector<bool>(n, false));
  std::vector<std::size_t> waiting_on(n, 0);
  for (std::size_t i = 0; i < n; ++i) {
    for (std::size_t j = 0; j < n; ++j) {
      if (i != j && reads[i].count(assignments[j].column()) > 0) {
        must_precede[i][j] = true;
        ++waiting_on[j];
      }
    }
  }
  std::vector<std::size_t> order;
  std::vector<bool> placed(n, false);
  while (order.size() < n) {
    std::size_t next = n;
    for (std::size_t j = 0; j < n && next == n; ++j) {
      if (!placed[j] && waiting_on[j] == 0) next = j;
    }
    if (next == n) {
      std::vector<std::string> stuck;
      for (std::size_t j = 0; j < n; ++j) {
        if (!placed[j]) stuck.push_back(fmt::format("\"{}\"", assignments[j].column()));
      }
      refuse(dialect, fmt::format("the assignments to {} read each other's old values, but ON DUPLICATE KEY UPDATE "
                                  "applies assignments left to right (each sees the ones before it), so no order keeps "
                                  "PostgreSQL's old-row semantics; split the update into two statements",
                                  fmt::join(stuck, ", ")));
    }
    placed[next] = true;
    order.push_back(next);
    for (std::size_t j = 0; j < n; ++j) {
      if (must_precede[next][j]) --waiting_on[j];
    }
  }
  return order;
}

// MySQL and MariaDB fire on whichever unique key the row hits first. Another key can fire unless
// it contains an identity column, which the insert never gives and so never collides.
void refuse_other_keys(const Upsert& s, Dialect dialect, const RenderOptions& options) {
  if (options.allow_any_unique_key) return;
  const UniqueKey& target = s.conflict_key();
  for (const auto& key : s.table().unique_keys()) {
    if (&key == &target) continue;
    bool generated = std::any_of(key.columns.begin(), key.columns.end(),
                                 [&](const std::string& c) { return s.table().column_named(c).identity; });
    if (generated) continue;
    refuse(dialect, fmt::format("table \"{}\" has another unique key \"{}\" ({}) besides the conflict target "
                                "({}); ON DUPLICATE KEY UPDATE fires on any unique key, so a row that collides "
                                "on \"{}\" would update that row instead of failing. Set "
                                "RenderOptions::allow_any_unique_key if that is what you want",
                                s.table().name(), key.name, fmt::join(key.columns, ", "),
                                fmt::join(target.columns, ", "), key.name));
  }
}

bool is_new(std::string_view name) {
  return name.size() == 3 && std::tolower(static_cast<unsigned char>(name[0])) == 'n' &&
         std::tolower(static_cast<unsigned char>(name[1])) == 'e' &&
         std::tolower(static_cast<unsigned char>(name[2])) == 'w';
}

}  // namespace

Sql render_mysql(const Upsert& s, const RenderOptions& options, Dialect dialect) {
  validate_upsert(s, /*null_keys_allowed=*/false);
  refuse_partial_target(s, dialect);
  refuse_other_keys(s, dialect, options);
  const bool mariadb = dialect == Dialect::mariadb;
  // TiDB and Vitess have no row alias; VALUES(`c`) is MySQL's older, deprecated form of it.
  const bool values_function = uses_values_function(options);
  if (!mariadb && s.has_returning()) {
    refuse(dialect,
           "MySQL has no RETURNING; read the row back in the same transaction (the connection reports "
           "inserted/updated for single-row statements from the affected-row count)");
  }
  if (mariadb && s.returns_inserted_flag()) {
    refuse(dialect,
           "RETURNING cannot tell an inserted row from an updated one on MariaDB; ask the connection, "
           "which reads it from the affected-row count of single-row statements");
  }
  if (mariadb && s.has_returning() && (s.action() == ConflictAction::do_nothing || s.update_where())) {
    // PostgreSQL returns only the rows it inserted or updated; MariaDB also returns the existing rows
    // that DO NOTHING or a false condition left alone, which would look like writes.
    refuse(dialect,
           "RETURNING with DO NOTHING or a DO UPDATE condition: MariaDB also returns the rows it left "
           "unchanged, where PostgreSQL returns only rows it inserted or updated; Connection::execute "
           "reads a single row back instead, or drop RETURNING");
  }

  const Table& table = s.table();
  // A table called "new" (in any case: aliases may ignore it) would clash with the row alias.
  const std::string alias = is_new(table.name()) ? "new_row" : "new";
  RowNames names;
  if (mariadb) {
    names.proposed_function = "VALUE";
  } else if (values_function) {
    names.proposed_function = "VALUES";
  } else {
    names.proposed_prefix = fmt::format("`{}`.", alias);
  }
  SqlWriter w(rules_for(dialect), table, names);
  w << "INSERT INTO ";
  w.ident(table.name()) << " ";
  write_insert_values(w, s);
  if (!mariadb && !values_function) w << " AS `" << alias << "`";
  w << " ON DUPLICATE KEY UPDATE ";
  if (s.action() == ConflictAction::do_nothing) {
    // A no-op assignment, not INSERT IGNORE: IGNORE would also swallow conversion and constraint errors.
    const std::string& k = s.conflict_key().columns.front();
    w.ident(k) << " = ";
    w.ident(k);
  } else {
    const auto& assignments = s.assignments();
    bool first = true;
    const auto order = old_row_order(s, dialect);
    for (std::size_t at = 0; at < order.size(); ++at) {
      const std::size_t i = order[at];
      if (!first) w << ", ";
      first = false;
      if (mariadb) {
        // Any other assigned column, before or after this one (both alias: see SqlWriter::proposed).
        std::vector<std::string> others;
        for (const auto& other : assignments) {
          if (other.column() != assignments[i].column()) others.push_back(other.column());
        }
        w.set_assigned_later(std::move(others));
      }
      w.ident(assignments[i].column()) << " = ";
      if (s.update_where()) {
        w << "IF(";
        w.predicate(*s.update_where(), true);
        w << ", ";
        w.value(assignments[i].value(), true);
        w << ", ";
        w.ident(assignments[i].column()) << ")";
      } else {
        w.value(assignments[i].value(), true);
      }
    }
  }
  if (s.has_returning()) {
    w << " RETURNING ";
    w.ident_list(s.returning_columns());
  }
  return w.take();
}

namespace {

// InnoDB indexes at most 3072 bytes of one key (DYNAMIC rows). Text and bytes key columns without a
// declared max_length share what the key's fixed-size columns leave, so a key stores text as long
// as the other engines do up to that limit (a single text key column gets 768 utf8mb4 characters;
// the A/B key (id, version, date, hour) gives `version` 763) instead of a flat VARCHAR(255).
constexpr int innodb_key_bytes = 3072;
constexpr int utf8mb4_bytes = 4;

int fixed_key_bytes(const Column& c) {
  switch (c.type) {
    case Type::int64:
    case Type::float64:
    case Type::timestamp: return 8;
    case Type::date: return 3;
    case Type::boolean: return 1;
    case Type::text: return c.max_length ? *c.max_length * utf8mb4_bytes : 0;
    case Type::bytes: return c.max_length.value_or(0);
  }
  return 8;
}

// The length (characters for text, bytes for bytes) each unsized text/bytes key column gets: the
// smallest share over the keys it is in.
std::map<std::string, int> key_column_lengths(const Table& table) {
  std::map<std::string, int> lengths;
  for (const UniqueKey& key : table.unique_keys()) {
    int fixed = 0, unsized = 0;
    for (const auto& name : key.columns) {
      const Column& c = table.column_named(name);
      const bool sized_by_us = (c.type == Type::text || c.type == Type::bytes) && !c.max_length;
      if (sized_by_us) {
        ++unsized;
      } else {
        fixed += fixed_key_bytes(c);
      }
    }
    if (unsized == 0) continue;
    const int share = std::max(1, (innodb_key_bytes - fixed) / unsized);
    for (const auto& name : key.columns) {
      const Column& c = table.column_named(name);
      if ((c.type != Type::text && c.type != Type::bytes) || c.max_length) continue;
      const int length = c.type == Type::text ? std::max(1, share / utf8mb4_bytes) : share;
      auto [it, inserted] = lengths.emplace(name, length);
      if (!inserted) it->second = std::min(it->second, length);
    }
  }
  return lengths;
}

std::string mysql_type(const Column& c, bool in_key, const std::map<std::string, int>& key_lengths) {
  auto sized = key_lengths.find(c.name);
  const int length = c.max_length ? *c.max_length : sized != key_lengths.end() ? sized->second : 255;
  switch (c.type) {
    case Type::int64: return "BIGINT";
    case Type::float64: return "DOUBLE";
    case Type::text: return in_key || c.max_length ? fmt::format("VARCHAR({})", length) : "LONGTEXT";
    case Type::boolean: return "BOOLEAN";
    case Type::date: return "DATE";
    case Type::timestamp: return "DATETIME(6)";
    case Type::bytes: return in_key || c.max_length ? fmt::format("VARBINARY({})", length) : "LONGBLOB";
  }
  return "LONGTEXT";
}

// LONGTEXT and LONGBLOB take a default only as an expression on MySQL 8.0.13+ (DEFAULT ('x'));
// MariaDB accepts both forms.
bool is_lob_default(const Column& c, bool in_key) {
  return (c.type == Type::text || c.type == Type::bytes) && !in_key && !c.max_length;
}

// InnoDB numbers an AUTO_INCREMENT column only when it leads an index (else error 1075).
void require_identity_leads_a_key(const Table& table, Dialect dialect) {
  for (const auto& c : table.columns()) {
    if (!c.identity) continue;
    bool leads = std::any_of(table.unique_keys().begin(), table.unique_keys().end(),
                             [&](const UniqueKey& k) { return k.columns.front() == c.name; });
    if (!leads) {
      refuse(dialect, fmt::format("identity column \"{}\" must be the first column of the primary key or of a "
                                  "unique key (an AUTO_INCREMENT column must lead an index)",
                                  c.name));
    }
  }
}

}  // namespace

std::vector<std::string> create_table_mysql(const Table& table, Dialect dialect) {
  require_identity_leads_a_key(table, dialect);
  // Binary, no-pad collations compare text as PostgreSQL does: 'a' and 'A', or 'a' and 'a ', are
  // different keys. The default collations would merge them.
  const std::map<std::string, int> key_lengths = key_column_lengths(table);
  DdlRules ddl{.type_sql = [&](const Column& c, bool in_key) { return mysql_type(c, in_key, key_lengths); },
               .identity_suffix = " NOT NULL AUTO_INCREMENT",
               .table_suffix = dialect == Dialect::mariadb
                                   ? " ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_nopad_bin"
                                   : " ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_0900_bin",
               .default_in_parentheses = is_lob_default,
               .first_unique_key_as_primary = true};
  return create_table_statements(table, rules_for(dialect), ddl, "CREATE TABLE IF NOT EXISTS ");
}

}  // namespace upsert::detail
