#include "statement/validate.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <numeric>

#include "statement/rows.hpp"
#include "upsert/error.hpp"

namespace upsert::detail {

namespace {

Error invalid(std::string message) {
  return Error(ErrorCategory::invalid_argument, std::move(message));
}

bool is_numeric(Type t) {
  return t == Type::int64 || t == Type::float64;
}

// Two types can meet in one comparison, COALESCE or CASE.
bool compatible(Type a, Type b) {
  return a == b || (is_numeric(a) && is_numeric(b));
}

// The common type of two compatible operands: float64 wins over int64.
std::optional<Type> unify(std::optional<Type> a, std::optional<Type> b) {
  if (!a) return b;
  if (!b) return a;
  if (*a == Type::float64 || *b == Type::float64) return Type::float64;
  return a;
}

std::string_view op_name(ExprKind kind) {
  switch (kind) {
    case ExprKind::add: return "+";
    case ExprKind::subtract: return "-";
    case ExprKind::multiply: return "*";
    case ExprKind::divide: return "/";
    case ExprKind::negate: return "unary -";
    case ExprKind::equal: return "=";
    case ExprKind::not_equal: return "<>";
    case ExprKind::less: return "<";
    case ExprKind::less_equal: return "<=";
    case ExprKind::greater: return ">";
    case ExprKind::greater_equal: return ">=";
    case ExprKind::and_: return "AND";
    case ExprKind::or_: return "OR";
    case ExprKind::not_: return "NOT";
    case ExprKind::coalesce: return "COALESCE";
    case ExprKind::greatest: return "GREATEST";
    case ExprKind::least: return "LEAST";
    case ExprKind::case_when: return "CASE";
    default: return "expression";
  }
}

std::string type_label(std::optional<Type> t) {
  return t ? std::string(type_name(*t)) : "NULL";
}

}  // namespace

bool is_predicate(const Expr& e) {
  switch (e.kind()) {
    case ExprKind::equal:
    case ExprKind::not_equal:
    case ExprKind::less:
    case ExprKind::less_equal:
    case ExprKind::greater:
    case ExprKind::greater_equal:
    case ExprKind::and_:
    case ExprKind::or_:
    case ExprKind::not_:
    case ExprKind::is_null:
    case ExprKind::is_not_null: return true;
    default: return false;
  }
}

void existing_columns(const Expr& e, std::set<std::string>& out) {
  if (e.kind() == ExprKind::existing) out.insert(e.node().column);
  for (const auto& a : e.args()) existing_columns(a, out);
}

std::string place_of(const ExprScope& scope) {
  if (scope.named.empty()) return std::string(scope.where);
  return fmt::format("{} \"{}\"", scope.where, scope.named);
}

std::optional<Type> expression_type(const Expr& e, const ExprScope& scope) {
  auto type_of = [&](const Expr& x) { return expression_type(x, scope); };
  const ExprNode& n = e.node();
  switch (n.kind) {
    case ExprKind::existing: return scope.table.column_named(n.column).type;
    case ExprKind::proposed: {
      const Column& c = scope.table.column_named(n.column);
      if (scope.insert_columns == nullptr) {
        throw invalid(fmt::format("proposed(\"{}\") cannot appear in {}: there is no proposed row there", n.column,
                                  place_of(scope)));
      }
      if (std::find(scope.insert_columns->begin(), scope.insert_columns->end(), n.column) ==
          scope.insert_columns->end()) {
        throw invalid(
            fmt::format("proposed(\"{}\") in {} reads a column the statement does not insert: add \"{}\" to the insert "
                        "columns",
                        n.column, place_of(scope), n.column));
      }
      return c.type;
    }
    case ExprKind::value: return n.value.type();
    case ExprKind::null: return std::nullopt;
    case ExprKind::add:
    case ExprKind::subtract:
    case ExprKind::multiply:
    case ExprKind::divide:
    case ExprKind::negate: {
      std::optional<Type> result;
      for (const auto& a : n.args) {
        auto t = type_of(a);
        if (t && !is_numeric(*t)) {
          throw invalid(
              fmt::format("operator {} in {} needs numbers, got {}", op_name(n.kind), place_of(scope), type_label(t)));
        }
        result = unify(result, t);
      }
      return result ? result : std::optional<Type>(Type::int64);
    }
    case ExprKind::equal:
    case ExprKind::not_equal:
    case ExprKind::less:
    case ExprKind::less_equal:
    case ExprKind::greater:
    case ExprKind::greater_equal: {
      auto a = type_of(n.args[0]);
      auto b = type_of(n.args[1]);
      if (a && b && !compatible(*a, *b)) {
        throw invalid(fmt::format("cannot compare {} with {} ({}) in {}", type_label(a), type_label(b), op_name(n.kind),
                                  place_of(scope)));
      }
      if ((a == Type::bytes || b == Type::bytes) && n.kind != ExprKind::equal && n.kind != ExprKind::not_equal) {
        throw invalid(
            fmt::format("bytes can only be compared for equality ({} in {})", op_name(n.kind), place_of(scope)));
      }
      return Type::boolean;
    }
    case ExprKind::and_:
    case ExprKind::or_:
    case ExprKind::not_:
      for (const auto& a : n.args) {
        auto t = type_of(a);
        if (t && *t != Type::boolean) {
          throw invalid(
              fmt::format("{} in {} needs booleans, got {}", op_name(n.kind), place_of(scope), type_label(t)));
        }
      }
      return Type::boolean;
    case ExprKind::is_null:
    case ExprKind::is_not_null: type_of(n.args[0]); return Type::boolean;
    case ExprKind::coalesce:
    case ExprKind::greatest:
    case ExprKind::least: {
      if (n.args.empty()) throw invalid(fmt::format("{} in {} needs arguments", op_name(n.kind), place_of(scope)));
      std::optional<Type> result;
      for (const auto& a : n.args) {
        auto t = type_of(a);
        if (t && result && !compatible(*t, *result)) {
          throw invalid(fmt::format("{} in {} mixes {} and {}", op_name(n.kind), place_of(scope), type_label(result),
                                    type_label(t)));
        }
        if (t && n.kind != ExprKind::coalesce && (*t == Type::boolean || *t == Type::bytes)) {
          throw invalid(
              fmt::format("{} in {} cannot order {} values", op_name(n.kind), place_of(scope), type_label(t)));
        }
        result = unify(result, t);
      }
      return result;
    }
    case ExprKind::case_when: {
      std::size_t pairs = (n.args.size() - (n.has_else ? 1 : 0)) / 2;
      std::optional<Type> result;
      auto add_result = [&](const Expr& r) {
        auto t = type_of(r);
        if (t && result && !compatible(*t, *result)) {
          throw invalid(fmt::format("CASE in {} mixes result types {} and {}", place_of(scope), type_label(result),
                                    type_label(t)));
        }
        result = unify(result, t);
      };
      for (std::size_t i = 0; i < pairs; ++i) {
        auto c = type_of(n.args[2 * i]);
        if (c && *c != Type::boolean) {
          throw invalid(
              fmt::format("CASE WHEN in {} needs a boolean condition, got {}", place_of(scope), type_label(c)));
        }
        add_result(n.args[2 * i + 1]);
      }
      if (n.has_else) add_result(n.args.back());
      return result;
    }
  }
  throw Error(ErrorCategory::internal, "unknown expression kind");
}

void validate_key_predicate(const Table& table, const UniqueKey& key) {
  if (!key.where) return;
  const ExprScope scope{table, nullptr, "the predicate of partial key", key.name};
  auto t = expression_type(*key.where, scope);
  if (t != Type::boolean) {
    throw invalid(fmt::format("{} must be a boolean condition, got {}", place_of(scope), type_label(t)));
  }
}

void validate_value(const Column& column, const Value& value, bool in_key, bool key_nulls_conflict, std::size_t row) {
  // Built only for a message: this runs for every value of every row.
  auto where = [row] { return row == 0 ? std::string() : fmt::format(" (row {})", row); };
  if (value.is_null()) {
    if (in_key && !key_nulls_conflict) {
      throw invalid(fmt::format(
          "NULL in key column \"{}\"{}: unique indexes treat NULLs as distinct, so this row would never conflict "
          "and would insert a duplicate; give the key a value",
          column.name, where()));
    }
    if (!column.nullable && !in_key) {
      throw invalid(fmt::format("NULL in NOT NULL column \"{}\"{}: give it a value", column.name, where()));
    }
    return;
  }
  if (value.type() != column.type && !(column.type == Type::float64 && value.type() == Type::int64)) {
    throw invalid(fmt::format("{}column \"{}\" is {} but the value {} is {}",
                              row == 0 ? std::string() : fmt::format("row {}: ", row), column.name,
                              type_name(column.type), value.to_string(), type_name(value.type())));
  }
}

namespace {

// Duplicate keys: PostgreSQL refuses them ("cannot affect row a second time") and MERGE engines
// fail; the batch stage merges them first, so a statement must not carry them. Rows in strictly
// ascending key order (as the batch stage sends them) have none, and need no sort to show it.
void refuse_repeated_keys(const std::vector<Row>& rows, const std::vector<std::size_t>& key_pos) {
  auto key_order = [&](const Row& a, const Row& b) {
    for (auto p : key_pos) {
      auto c = a[p] <=> b[p];
      if (c != 0) return c;
    }
    return std::strong_ordering::equal;
  };
  bool ascending = true;
  for (std::size_t i = 1; i < rows.size() && ascending; ++i) ascending = key_order(rows[i - 1], rows[i]) < 0;
  if (ascending) return;

  std::vector<std::size_t> order(rows.size());
  std::iota(order.begin(), order.end(), 0);
  auto key_less = [&](std::size_t a, std::size_t b) { return key_order(rows[a], rows[b]) < 0; };
  std::sort(order.begin(), order.end(), key_less);
  for (std::size_t i = 1; i < order.size(); ++i) {
    if (!key_less(order[i - 1], order[i])) {
      std::vector<std::string> parts;
      for (auto p : key_pos) parts.push_back(rows[order[i]][p].to_string());
      throw invalid(fmt::format(
          "rows {} and {} have the same key ({}): one statement cannot update a row twice; use "
          "Connection::execute_batch, which merges rows with equal keys",
          std::min(order[i - 1], order[i]) + 1, std::max(order[i - 1], order[i]) + 1, fmt::join(parts, ", ")));
    }
  }
}

}  // namespace

void validate_upsert(const Upsert& s, bool null_keys_allowed) {
  const Table& table = s.table();
  if (s.action() == ConflictAction::unset) {
    throw invalid("the upsert has no conflict action: call do_update(...) or do_nothing()");
  }
  if (s.row_values().empty()) throw invalid("the upsert has no rows: add at least one with row(...)");

  const UniqueKey& key = s.conflict_key();
  validate_key_predicate(table, key);
  const std::vector<std::size_t> key_pos = s.key_positions();
  const auto& columns = s.insert_columns();

  for (const auto& c : table.columns()) {
    if (!c.nullable && !c.default_value && !c.identity &&
        std::find(columns.begin(), columns.end(), c.name) == columns.end()) {
      throw invalid(fmt::format("column \"{}\" is NOT NULL and has no default: add it to the insert columns", c.name));
    }
  }

  if (!StatementRows::rows_checked(s)) {
    std::vector<const Column*> insert_cols;
    std::vector<bool> in_key(columns.size(), false);
    for (const auto& name : columns) insert_cols.push_back(&table.column_named(name));
    for (auto p : key_pos) in_key[p] = true;
    const bool key_nulls_conflict = key.nulls_not_distinct && null_keys_allowed;
    const auto& rows = s.row_values();
    for (std::size_t r = 0; r < rows.size(); ++r) {
      for (std::size_t i = 0; i < columns.size(); ++i) {
        validate_value(*insert_cols[i], rows[r][i], in_key[i], key_nulls_conflict, r + 1);
      }
    }
  }
  refuse_repeated_keys(s.row_values(), key_pos);

  for (const auto& a : s.assignments()) {
    const Column& target = table.column_named(a.column());
    if (target.identity) {
      throw invalid(fmt::format("column \"{}\" is generated by the engine (identity): do not assign it", a.column()));
    }
    const ExprScope scope{table, &columns, "the assignment to", a.column()};
    auto t = expression_type(a.value(), scope);
    if (!t) {
      if (!target.nullable) throw invalid(fmt::format("{} sets NULL in a NOT NULL column", place_of(scope)));
    } else if (*t != target.type && !(target.type == Type::float64 && *t == Type::int64)) {
      throw invalid(
          fmt::format("{} has type {} but the column is {}", place_of(scope), type_name(*t), type_name(target.type)));
    }
  }
  if (s.update_where()) {
    auto t = expression_type(*s.update_where(), ExprScope{table, &columns, "the DO UPDATE WHERE condition"});
    if (t && *t != Type::boolean) {
      throw invalid(fmt::format("the DO UPDATE WHERE condition must be a boolean, got {}", type_name(*t)));
    }
  }
}

}  // namespace upsert::detail
