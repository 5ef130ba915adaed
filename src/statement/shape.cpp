// Shape equality of upserts (shape.hpp). Called once per one-row execute(): the common case is a
// statement built from the same shared table and expression nodes as the kept shape, which the
// pointer comparisons settle without walking anything.

#include "statement/shape.hpp"

#include <bit>
#include <cstdint>

namespace upsert::detail {

namespace {

bool same_value(const Value& a, const Value& b) {
  if (a.is_null() || b.is_null()) return a.is_null() == b.is_null();
  if (a.type() != b.type()) return false;
  if (const double* x = a.get_if<double>())
    return std::bit_cast<std::uint64_t>(*x) == std::bit_cast<std::uint64_t>(b.as<double>());
  return a == b;
}

bool same_optional_expr(const std::optional<Expr>& a, const std::optional<Expr>& b) {
  if (a.has_value() != b.has_value()) return false;
  return !a || same_expr(*a, *b);
}

bool same_column(const Column& a, const Column& b) {
  if (a.name != b.name || a.type != b.type || a.nullable != b.nullable || a.identity != b.identity ||
      a.max_length != b.max_length || a.default_value.has_value() != b.default_value.has_value()) {
    return false;
  }
  return !a.default_value || same_value(*a.default_value, *b.default_value);
}

bool same_key(const UniqueKey& a, const UniqueKey& b) {
  return a.name == b.name && a.columns == b.columns && a.primary == b.primary &&
         a.nulls_not_distinct == b.nulls_not_distinct && same_optional_expr(a.where, b.where);
}

template <class T, class Equal>
bool same_list(const std::vector<T>& a, const std::vector<T>& b, Equal equal) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (!equal(a[i], b[i])) return false;
  }
  return true;
}

}  // namespace

bool same_expr(const Expr& a, const Expr& b) {
  const ExprNode& x = a.node();
  const ExprNode& y = b.node();
  if (&x == &y) return true;
  return x.kind == y.kind && x.column == y.column && x.has_else == y.has_else && same_value(x.value, y.value) &&
         same_list(x.args, y.args, same_expr);
}

bool same_table(const Table& a, const Table& b) {
  if (&a == &b) return true;
  return a.name() == b.name() && same_list(a.columns(), b.columns(), same_column) &&
         same_list(a.unique_keys(), b.unique_keys(), same_key);
}

bool same_shape(const Upsert& known, const Upsert& other) {
  if (known.action() != other.action() || known.returns_inserted_flag() != other.returns_inserted_flag() ||
      known.insert_columns() != other.insert_columns() || known.returning_columns() != other.returning_columns() ||
      !same_table(known.table(), other.table())) {
    return false;
  }
  // The tables are equal and `known`'s key resolved, so `other`'s resolves too (an explicit
  // target, or the same default of an equal table).
  if (!same_key(known.conflict_key(), other.conflict_key())) return false;
  auto same_assignment = [](const Assignment& a, const Assignment& b) {
    return a.column() == b.column() && same_expr(a.value(), b.value());
  };
  return same_list(known.assignments(), other.assignments(), same_assignment) &&
         same_optional_expr(known.update_where(), other.update_where());
}

}  // namespace upsert::detail
