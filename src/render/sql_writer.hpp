#pragma once
// What the dialect files share: the rules that make dialects differ inside expressions, and a
// writer that appends SQL text and collects parameters in placeholder order.

#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "render/refuse.hpp"
#include "upsert/expr.hpp"
#include "upsert/render.hpp"
#include "upsert/schema.hpp"

namespace upsert::detail {

enum class PlaceholderStyle {
  dollar,    // $1, $2 (PostgreSQL)
  question,  // ?, ? (SQLite, MySQL, MariaDB)
  colon,     // :1, :2 (Oracle)
  at_p,      // @p1, @p2 (SQL Server)
};

// How GREATEST/LEAST get PostgreSQL's "ignore NULLs" semantics.
enum class GreatestStyle {
  native,            // GREATEST(a, b) already ignores NULLs (PostgreSQL, SQL Server 2022)
  coalesced,         // GREATEST(COALESCE(a, b), COALESCE(b, a)): engines whose GREATEST returns NULL
  coalesced_minmax,  // the same with SQLite's scalar max()/min()
};

// How an integer divided by an integer truncates toward zero, as on PostgreSQL.
enum class IntegerDivision { slash, div_operator, trunc };

// Everything that makes one dialect's expressions differ from another's.
struct DialectRules {
  Dialect dialect;
  std::string_view quote_open;
  std::string_view quote_close;
  PlaceholderStyle placeholder;
  bool upper_case_identifiers = false;  // Oracle: unquoted names are stored upper-case
  GreatestStyle greatest = GreatestStyle::native;
  IntegerDivision integer_division = IntegerDivision::slash;
  bool numeric_booleans = false;          // Oracle, SQL Server: predicates are not values
  bool divisor_must_be_constant = false;  // SQLite: x / 0 is NULL, not an error
  bool empty_text_is_null = false;        // Oracle: '' is NULL
  bool overflow_becomes_real = false;     // SQLite: an int64 sum past the range is a REAL, not an error
  bool typed_null_operands = false;       // PostgreSQL: NULL - NULL has no type ("operator is not unique")
  // The type an untyped NULL operand of arithmetic is cast to (NULL when empty): PostgreSQL cannot type
  // NULL - NULL ("operator is not unique"); MySQL and MariaDB type NULL + x as DOUBLE, which rounds a
  // BIGINT that goes through an IF() with it (the IF that stands in for WHERE).
  std::string_view (*arithmetic_null_type)(Type) = nullptr;
};

// The rules of a dialect (defined in that dialect's file).
const DialectRules& sqlite_rules();
const DialectRules& postgresql_rules();
const DialectRules& mysql_rules();
const DialectRules& mariadb_rules();
const DialectRules& oracle_rules();
const DialectRules& sqlserver_rules();
const DialectRules& rules_for(Dialect dialect);
// PostgreSQL's name of a column type, for DDL and casts (postgresql.cpp).
std::string_view postgresql_type_name(Type type);
// MySQL's and MariaDB's CAST target for an int64 or float64 operand (mysql.cpp).
std::string_view mysql_cast_type_name(Type type);

// How a statement names the existing row's and the proposed row's columns.
struct RowNames {
  std::string existing_prefix;    // e.g. "\"ab_hourly\"." or "t." or "" (unqualified)
  std::string proposed_prefix;    // e.g. "EXCLUDED." or "s." or "`new`."
  std::string proposed_function;  // MariaDB: VALUE(`c`); used when not empty
};

// Appends SQL text and collects parameters.
class SqlWriter {
 public:
  SqlWriter(const DialectRules& rules, const Table& table, RowNames names = {});

  SqlWriter& operator<<(std::string_view text);
  // A quoted identifier.
  SqlWriter& ident(std::string_view name);
  // A placeholder bound to `value`.
  SqlWriter& param(const Value& value);
  // Room for `count` more parameters (a statement's rows), so they are not moved as they come.
  void reserve_params(std::size_t count) { params_.reserve(params_.size() + count); }
  // An expression where a value is expected; `top` leaves out the outer parentheses.
  SqlWriter& value(const Expr& e, bool top = false);
  // An expression where a condition is expected.
  SqlWriter& predicate(const Expr& e, bool top = false);
  // The existing row's column.
  SqlWriter& existing(std::string_view column);
  // The proposed row's column.
  SqlWriter& proposed(std::string_view column);
  // Renders values as literals instead of parameters: index predicates and DDL defaults, which
  // come from the schema (never from input) and which engines refuse to parameterise.
  void use_literals(bool on) { literals_ = on; }
  // A comma-separated list of quoted identifiers.
  SqlWriter& ident_list(const std::vector<std::string>& names);

  // The value assigned to a column of `column_type`: value(e, true), cast where the dialect cannot
  // type it by itself.
  SqlWriter& assigned_value(const Expr& e, Type column_type);
  // The columns that assignments after the one being written set (MariaDB: see proposed()).
  void set_assigned_later(std::vector<std::string> columns) { assigned_later_ = std::move(columns); }

  const DialectRules& rules() const { return rules_; }
  std::size_t param_count() const { return params_.size(); }
  Sql take() { return Sql{std::move(text_), std::move(params_)}; }
  std::string take_text() { return std::move(text_); }

 private:
  void literal(const Value& v);
  void greatest_least(const Expr& e);
  void operands(std::string_view op, const Expr& e, bool as_predicate, bool top, std::string_view null_as = {});
  // For an arithmetic node: the SQL type its untyped operands (NULL, a CASE of NULLs) are cast to
  // where the dialect needs one, else empty.
  std::string arithmetic_null(const Expr& e) const;
  // A value operand of a COALESCE, CASE, GREATEST or LEAST, cast to `parent`'s type when it has
  // none of its own.
  void typed_operand(const Expr& operand, const Expr& parent);
  // The type of an expression over this table; nullopt when it has none (NULL).
  std::optional<Type> type_of(const Expr& e) const;

  const DialectRules& rules_;
  const Table& table_;
  std::vector<std::string> assigned_later_;
  RowNames names_;
  std::string text_;
  std::vector<Value> params_;
  bool literals_ = false;
  mutable std::vector<std::string> all_columns_;  // type_of's scope: every column of the table
};

// The insert column list and VALUES rows shared by INSERT-based dialects:
// ("a", "b") VALUES (?, ?), (?, ?)
void write_insert_values(SqlWriter& w, const Upsert& s);

// DDL pieces shared by every dialect; `type_sql(column, in_key)` names the native type.
struct DdlRules {
  std::function<std::string(const Column& column, bool in_key)> type_sql;
  std::string_view identity_suffix;  // e.g. " GENERATED BY DEFAULT AS IDENTITY"
  bool partial_keys = false;         // CREATE UNIQUE INDEX ... WHERE
  bool nulls_not_distinct = false;   // UNIQUE NULLS NOT DISTINCT
  std::string_view table_suffix;     // e.g. " STRICT" or " ENGINE=InnoDB ..."
  // True when the column's default must be written as an expression, DEFAULT ('x'): MySQL accepts
  // no literal default on TEXT and BLOB columns. Null: always a literal.
  bool (*default_in_parentheses)(const Column& column, bool in_key) = nullptr;
  // The first full unique key becomes the PRIMARY KEY of a table that declares none (MySQL/MariaDB:
  // Galera replicates only tables with a primary key, and InnoDB clusters rows on it).
  bool first_unique_key_as_primary = false;
};
// CREATE TABLE body and the separate index statements: {"CREATE TABLE ... (...)", "CREATE UNIQUE INDEX ..."}.
std::vector<std::string> create_table_statements(const Table& table, const DialectRules& rules, const DdlRules& ddl,
                                                 std::string_view create_prefix);

}  // namespace upsert::detail
