// The clauses two families of dialects share: ON CONFLICT (SQLite, PostgreSQL) and MERGE
// (Oracle, SQL Server).

#include <fmt/format.h>

#include "render/dialects.hpp"

namespace upsert::detail {

void refuse_partial_target(const Upsert& s, Dialect dialect) {
  if (s.conflict_key().where) {
    refuse(dialect, fmt::format("the conflict target \"{}\" is a partial unique key, which only PostgreSQL and "
                                "SQLite have; use a full unique key",
                                s.conflict_key().name));
  }
}

void write_on_conflict(SqlWriter& w, const Upsert& s) {
  const UniqueKey& key = s.conflict_key();
  w << " ON CONFLICT (";
  w.ident_list(key.columns);
  w << ")";
  if (key.where) {
    // The index predicate names the partial index to infer; engines take no parameters there.
    SqlWriter predicate(w.rules(), s.table());
    predicate.use_literals(true);
    predicate.predicate(*key.where, true);
    w << " WHERE " << predicate.take_text();
  }
  if (s.action() == ConflictAction::do_nothing) {
    w << " DO NOTHING";
    return;
  }
  w << " DO UPDATE SET ";
  const auto& assignments = s.assignments();
  for (std::size_t i = 0; i < assignments.size(); ++i) {
    if (i > 0) w << ", ";
    w.ident(assignments[i].column()) << " = ";
    w.value(assignments[i].value(), true);
  }
  if (s.update_where()) {
    w << " WHERE ";
    w.predicate(*s.update_where(), true);
  }
}

void write_merge_clauses(SqlWriter& w, const Upsert& s, bool parenthesise_on, bool matched_condition_inline) {
  const auto& key_columns = s.conflict_key().columns;
  w << (parenthesise_on ? " ON (" : " ON ");
  for (std::size_t i = 0; i < key_columns.size(); ++i) {
    if (i > 0) w << " AND ";
    w.existing(key_columns[i]) << " = ";
    w.proposed(key_columns[i]);
  }
  if (parenthesise_on) w << ")";
  if (s.action() == ConflictAction::do_update) {
    w << " WHEN MATCHED";
    if (s.update_where() && matched_condition_inline) {
      w << " AND ";
      w.predicate(*s.update_where(), true);
    }
    w << " THEN UPDATE SET ";
    const auto& assignments = s.assignments();
    for (std::size_t i = 0; i < assignments.size(); ++i) {
      if (i > 0) w << ", ";
      w.existing(assignments[i].column()) << " = ";
      w.value(assignments[i].value(), true);
    }
    if (s.update_where() && !matched_condition_inline) {
      w << " WHERE ";
      w.predicate(*s.update_where(), true);
    }
  }
  w << " WHEN NOT MATCHED THEN INSERT (";
  w.ident_list(s.insert_columns());
  w << ") VALUES (";
  for (std::size_t i = 0; i < s.insert_columns().size(); ++i) {
    if (i > 0) w << ", ";
    w.proposed(s.insert_columns()[i]);
  }
  w << ")";
}

}  // namespace upsert::detail
