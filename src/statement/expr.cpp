#include "upsert/expr.hpp"

#include <fmt/format.h>

#include <string>

#include "upsert/error.hpp"

namespace upsert {

namespace {

std::shared_ptr<const ExprNode> make_node(ExprNode node) {
  return std::make_shared<const ExprNode>(std::move(node));
}

}  // namespace

Expr::Expr() : node_(make_node(ExprNode{})) {}

Expr::Expr(Value v) {
  ExprNode node;
  if (v.is_null()) {
    node.kind = ExprKind::null;
  } else {
    node.kind = ExprKind::value;
    node.value = std::move(v);
  }
  node_ = make_node(std::move(node));
}

namespace {

// How many operands each kind takes: {fewest, most}. The renderers and the validation read the
// operands by position, so a node with the wrong count must never exist.
std::pair<std::size_t, std::size_t> operand_counts(ExprKind kind) {
  constexpr std::size_t any = static_cast<std::size_t>(-1);
  switch (kind) {
    case ExprKind::existing:
    case ExprKind::proposed:
    case ExprKind::value: return {1, 0};  // never through this constructor: col(), proposed(), val()
    case ExprKind::null: return {0, 0};
    case ExprKind::negate:
    case ExprKind::not_:
    case ExprKind::is_null:
    case ExprKind::is_not_null: return {1, 1};
    case ExprKind::coalesce:
    case ExprKind::greatest:
    case ExprKind::least: return {1, any};
    case ExprKind::case_when: return {2, any};  // condition/value pairs; case_when() adds an ELSE
    default: return {2, 2};                     // arithmetic, comparisons, AND, OR
  }
}

}  // namespace

Expr::Expr(ExprKind kind, std::vector<Expr> args) {
  const auto [fewest, most] = operand_counts(kind);
  if (fewest > most) {
    throw Error(ErrorCategory::invalid_argument,
                "an expression that reads a column or holds a value is built with col(), proposed() or val(), "
                "not Expr(kind, operands)");
  }
  if (args.size() < fewest || args.size() > most || (kind == ExprKind::case_when && args.size() % 2 != 0)) {
    throw Error(ErrorCategory::invalid_argument,
                fmt::format("an expression of kind {} was given {} operands; it takes {}: build expressions with the "
                            "operators and functions of upsert/expr.hpp",
                            static_cast<int>(kind), args.size(),
                            kind == ExprKind::case_when ? "condition/value pairs"
                            : most == fewest            ? std::to_string(fewest)
                                                        : "at least " + std::to_string(fewest)));
  }
  ExprNode node;
  node.kind = kind;
  node.args = std::move(args);
  node_ = make_node(std::move(node));
}

Expr Expr::existing(std::string column) {
  Expr e;
  ExprNode node;
  node.kind = ExprKind::existing;
  node.column = std::move(column);
  e.node_ = make_node(std::move(node));
  return e;
}

Expr Expr::proposed(std::string column) {
  Expr e;
  ExprNode node;
  node.kind = ExprKind::proposed;
  node.column = std::move(column);
  e.node_ = make_node(std::move(node));
  return e;
}

Expr Expr::case_when(std::vector<std::pair<Expr, Expr>> whens, std::optional<Expr> otherwise) {
  if (whens.empty()) {
    throw Error(ErrorCategory::invalid_argument, "case_when needs at least one WHEN condition");
  }
  std::vector<Expr> args;
  for (auto& [condition, result] : whens) {
    args.push_back(std::move(condition));
    args.push_back(std::move(result));
  }
  ExprNode node;
  node.kind = ExprKind::case_when;
  node.has_else = otherwise.has_value();
  if (node.has_else) args.push_back(std::move(*otherwise));
  node.args = std::move(args);
  Expr e;
  e.node_ = make_node(std::move(node));
  return e;
}

}  // namespace upsert
