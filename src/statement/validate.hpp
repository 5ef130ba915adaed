#pragma once
// Dialect-independent checks of an upsert, run by every renderer before it writes SQL.

#include <optional>
#include <set>
#include <string>

#include "upsert/expr.hpp"
#include "upsert/schema.hpp"
#include "upsert/statement.hpp"

namespace upsert::detail {

// Where an expression appears, for messages ("assignment to \"x\"", "WHERE").
struct ExprScope {
  const Table& table;
  const std::vector<std::string>* insert_columns;  // null: proposed() is not allowed here
  std::string_view where;                          // for messages, e.g. "the assignment to"
  std::string_view named = {};                     // appended quoted when not empty: the column
};

// Where an expression is, for a message: `where` and the quoted name (built only on errors).
std::string place_of(const ExprScope& scope);

// The type of an expression (nullopt for an untyped NULL); throws Error(invalid_argument) on a
// type error or an unknown column.
std::optional<Type> expression_type(const Expr& e, const ExprScope& scope);

// The columns of the existing row that an expression reads.
void existing_columns(const Expr& e, std::set<std::string>& out);

// True when an expression yields a boolean through a predicate (comparison, AND, IS NULL...).
bool is_predicate(const Expr& e);

// Checks that a partial unique key's predicate is a boolean over the table's columns; throws
// Error(invalid_argument) otherwise. Run before the predicate is written into DDL or ON CONFLICT.
void validate_key_predicate(const Table& table, const UniqueKey& key);

// Checks one value for an insert column: its type (an int64 fits a float64 column), and NULL in a
// key column (unless `key_nulls_conflict`) or a NOT NULL column. The one check of a row's values,
// wherever the row enters: rendering, and the counter writer's add(). `row` (1-based) names the row
// in the message; 0 leaves it out. Throws Error(invalid_argument).
void validate_value(const Column& column, const Value& value, bool in_key, bool key_nulls_conflict, std::size_t row);

// Checks everything about an upsert that does not depend on the dialect: an action was chosen,
// the conflict target is a unique key given by every row, values match column types, no NULL
// or duplicate keys, expressions type-check. `null_keys_allowed` is true only where the engine
// can make NULL keys conflict (PostgreSQL with NULLS NOT DISTINCT). Rows checked already (the
// writer's) are not checked again; rows already in key order (the batch stage's) are not sorted
// to find repeated keys.
void validate_upsert(const Upsert& statement, bool null_keys_allowed);

}  // namespace upsert::detail
