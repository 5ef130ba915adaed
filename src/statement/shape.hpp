#pragma once
// Whether two upserts are one statement shape: everything but their rows is equal, so they render
// to the same SQL text and the same constants. A connection keeps the SQL of the shapes it ran and
// sends a one-row upsert of a known shape without rendering it again (session/prepared.cpp).

#include "upsert/expr.hpp"
#include "upsert/schema.hpp"
#include "upsert/statement.hpp"

namespace upsert::detail {

// Equal trees: same kinds, columns and arguments, and constants of the same type and bits (so 0.0
// and -0.0, which render alike but bind differently, are different shapes).
bool same_expr(const Expr& a, const Expr& b);

// Equal tables: name, columns (type, nullability, default, identity, length) and unique keys.
bool same_table(const Table& a, const Table& b);

// Equal upserts but for their rows: table, insert columns, conflict key, action, assignments, WHERE,
// RETURNING and the inserted flag. Never throws for `known`, a shape that rendered.
bool same_shape(const Upsert& known, const Upsert& other);

}  // namespace upsert::detail
