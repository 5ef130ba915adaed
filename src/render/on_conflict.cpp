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

namespace {

bool has_arithmetic(const Expr& e) {
  switch (e.kind()) {
    case ExprKind::add:
    case ExprKind::subtract:
    case ExprKind::multiply:
    case ExprKind::divide:
    case ExprKind::negate: return true;
    default: break;
  }
  for (const auto& arg : e.args()) {
    if (has_arithmetic(arg)) return true;
  }
  return false;
}

// The value an assignment stores. SQLite turns an int64 result past the range into a REAL without
// an error; a STRICT table then refuses it, but a plain one (a table created by Django or by hand)
// stores 9.22337203685478e+18 and the next increment adds to that. So on SQLite an int64 column set
// from arithmetic is checked: a REAL result raises SQLite's own "integer overflow" (abs() of the
// smallest int64 raises it), which maps to ErrorCategory::overflow and leaves the row unchanged.
// The subquery computes the value once, so its parameters stay in order and are bound once.
void write_assigned_value(SqlWriter& w, const Upsert& s, const Assignment& a) {
  const bool checked = w.rules().overflow_becomes_real && s.table().column_named(a.column()).type == Type::int64 &&
                       has_arithmetic(a.value());
  if (!checked) {
    w.assigned_value(a.value(), s.table().column_named(a.column()).type);
    return;
  }
  w << "(SELECT CASE WHEN typeof(v) = 'real' THEN abs(-9223372036854775808) ELSE v END FROM (SELECT ";
  w.value(a.value(), true);
  w << " AS v))";
}

}  // namespace

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
    write_assigned_value(w, s, assignments[i]);
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
