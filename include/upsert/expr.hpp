#pragma once
/// Update expressions as plain run-time data: existing row, proposed row, values and operators.

#include <initializer_list>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "upsert/export.hpp"
#include "upsert/value.hpp"

namespace upsert {

/// What an expression node is.
enum class ExprKind {
  existing,  ///< a column of the row already in the table (before the statement)
  proposed,  ///< a column of the row the statement tried to insert
  value,     ///< a bound value (never spliced into SQL text)
  null,      ///< SQL NULL
  add,
  subtract,
  multiply,
  divide,  ///< arithmetic on two operands
  negate,  ///< unary minus
  equal,
  not_equal,
  less,
  less_equal,
  greater,
  greater_equal,  ///< comparisons
  and_,
  or_,
  not_,  ///< boolean logic
  is_null,
  is_not_null,  ///< NULL tests
  coalesce,     ///< first non-NULL argument
  greatest,     ///< largest non-NULL argument (PostgreSQL semantics: NULLs are ignored)
  least,        ///< smallest non-NULL argument (PostgreSQL semantics: NULLs are ignored)
  case_when,    ///< CASE WHEN c1 THEN v1 ... [ELSE e] END; args are c1, v1, c2, v2, ... [, e]
};

class Expr;

/// The data behind an Expr; shared and immutable once built.
struct ExprNode {
  ExprKind kind = ExprKind::null;  ///< what this node is
  std::string column;              ///< for existing / proposed
  Value value;                     ///< for value
  std::vector<Expr> args;          ///< operands, in order
  bool has_else = false;           ///< for case_when: the last argument is the ELSE value
};

/// An expression over the existing row and the proposed row.
class UPSERT_EXPORT Expr {
 public:
  /// NULL.
  Expr();
  /// A bound value (implicitly from anything a Value is built from).
  template <class T>
  requires std::constructible_from<Value, T> Expr(T v) : Expr(Value(std::move(v))) {}
  /// A bound value.
  Expr(Value v);
  /// A node with its kind and operands.
  Expr(ExprKind kind, std::vector<Expr> args);

  /// The node's kind.
  ExprKind kind() const { return node_->kind; }
  /// The node.
  const ExprNode& node() const { return *node_; }
  /// The operands.
  const std::vector<Expr>& args() const { return node_->args; }

  /// A column of the existing row.
  static Expr existing(std::string column);
  /// A column of the proposed row.
  static Expr proposed(std::string column);
  /// CASE WHEN ... THEN ... [ELSE ...] END.
  static Expr case_when(std::vector<std::pair<Expr, Expr>> whens, std::optional<Expr> otherwise);

  // Operators are hidden friends: found only for Expr operands, so they never hijack
  // expressions on other types that happen to convert to a Value.
  /// a + b
  friend Expr operator+(Expr a, Expr b) { return Expr(ExprKind::add, {std::move(a), std::move(b)}); }
  /// a - b
  friend Expr operator-(Expr a, Expr b) { return Expr(ExprKind::subtract, {std::move(a), std::move(b)}); }
  /// a * b
  friend Expr operator*(Expr a, Expr b) { return Expr(ExprKind::multiply, {std::move(a), std::move(b)}); }
  /// a / b (integer division truncates, as on PostgreSQL)
  friend Expr operator/(Expr a, Expr b) { return Expr(ExprKind::divide, {std::move(a), std::move(b)}); }
  /// -a
  friend Expr operator-(Expr a) { return Expr(ExprKind::negate, {std::move(a)}); }
  /// a = b
  friend Expr operator==(Expr a, Expr b) { return Expr(ExprKind::equal, {std::move(a), std::move(b)}); }
  /// a <> b
  friend Expr operator!=(Expr a, Expr b) { return Expr(ExprKind::not_equal, {std::move(a), std::move(b)}); }
  /// a < b
  friend Expr operator<(Expr a, Expr b) { return Expr(ExprKind::less, {std::move(a), std::move(b)}); }
  /// a <= b
  friend Expr operator<=(Expr a, Expr b) { return Expr(ExprKind::less_equal, {std::move(a), std::move(b)}); }
  /// a > b
  friend Expr operator>(Expr a, Expr b) { return Expr(ExprKind::greater, {std::move(a), std::move(b)}); }
  /// a >= b
  friend Expr operator>=(Expr a, Expr b) { return Expr(ExprKind::greater_equal, {std::move(a), std::move(b)}); }
  /// a AND b
  friend Expr operator&&(Expr a, Expr b) { return Expr(ExprKind::and_, {std::move(a), std::move(b)}); }
  /// a OR b
  friend Expr operator||(Expr a, Expr b) { return Expr(ExprKind::or_, {std::move(a), std::move(b)}); }
  /// NOT a
  friend Expr operator!(Expr a) { return Expr(ExprKind::not_, {std::move(a)}); }

 private:
  std::shared_ptr<const ExprNode> node_;
};

/// The existing row's column `name` (what the row holds before the statement).
inline Expr col(std::string name) {
  return Expr::existing(std::move(name));
}
/// The proposed row's column `name` (EXCLUDED.name on PostgreSQL).
inline Expr proposed(std::string name) {
  return Expr::proposed(std::move(name));
}
/// A bound value.
inline Expr val(Value v) {
  return Expr(std::move(v));
}
/// SQL NULL.
inline Expr null() {
  return Expr();
}
/// First non-NULL argument.
inline Expr coalesce(std::vector<Expr> args) {
  return Expr(ExprKind::coalesce, std::move(args));
}
/// Largest argument, ignoring NULLs (NULL only when all are NULL), on every engine.
inline Expr greatest(std::vector<Expr> args) {
  return Expr(ExprKind::greatest, std::move(args));
}
/// Smallest argument, ignoring NULLs (NULL only when all are NULL), on every engine.
inline Expr least(std::vector<Expr> args) {
  return Expr(ExprKind::least, std::move(args));
}
/// e IS NULL.
inline Expr is_null(Expr e) {
  return Expr(ExprKind::is_null, {std::move(e)});
}
/// e IS NOT NULL.
inline Expr is_not_null(Expr e) {
  return Expr(ExprKind::is_not_null, {std::move(e)});
}
/// CASE WHEN c1 THEN v1 ... ELSE otherwise END.
inline Expr case_when(std::vector<std::pair<Expr, Expr>> whens, std::optional<Expr> otherwise = {}) {
  return Expr::case_when(std::move(whens), std::move(otherwise));
}

}  // namespace upsert
