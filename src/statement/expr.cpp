#include "upsert/expr.hpp"

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

Expr::Expr(ExprKind kind, std::vector<Expr> args) {
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
  bool has_else = otherwise.has_value();
  if (has_else) args.push_back(std::move(*otherwise));
  Expr e(ExprKind::case_when, std::move(args));
  ExprNode node = e.node();
  node.has_else = has_else;
  e.node_ = make_node(std::move(node));
  return e;
}

}  // namespace upsert
