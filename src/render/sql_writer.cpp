#include "render/sql_writer.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <charconv>
#include <utility>

#include "statement/validate.hpp"
#include "upsert/error.hpp"

namespace upsert::detail {

namespace {

std::string_view binary_operator(ExprKind kind) {
  switch (kind) {
    case ExprKind::add: return " + ";
    case ExprKind::subtract: return " - ";
    case ExprKind::multiply: return " * ";
    case ExprKind::divide: return " / ";
    case ExprKind::equal: return " = ";
    case ExprKind::not_equal: return " <> ";
    case ExprKind::less: return " < ";
    case ExprKind::less_equal: return " <= ";
    case ExprKind::greater: return " > ";
    case ExprKind::greater_equal: return " >= ";
    case ExprKind::and_: return " AND ";
    case ExprKind::or_: return " OR ";
    default: return " ? ";
  }
}

bool is_constant_nonzero(const Expr& e) {
  if (e.kind() != ExprKind::value) return false;
  const Value& v = e.node().value;
  if (auto i = v.get_if<std::int64_t>()) return *i != 0;
  if (auto d = v.get_if<double>()) return *d != 0.0;
  return false;
}

}  // namespace

const DialectRules& rules_for(Dialect dialect) {
  switch (dialect) {
    case Dialect::sqlite: return sqlite_rules();
    case Dialect::postgresql: return postgresql_rules();
    case Dialect::mysql: return mysql_rules();
    case Dialect::mariadb: return mariadb_rules();
    case Dialect::oracle: return oracle_rules();
    case Dialect::sqlserver: return sqlserver_rules();
  }
  throw Error(ErrorCategory::internal, "unknown dialect");
}

SqlWriter::SqlWriter(const DialectRules& rules, const Table& table, RowNames names)
    : rules_(rules), table_(table), names_(std::move(names)) {
  text_.reserve(1024);  // a one-row MERGE of six columns is 600 characters: grown, it is copied
}

SqlWriter& SqlWriter::operator<<(std::string_view text) {
  text_ += text;
  return *this;
}

SqlWriter& SqlWriter::ident(std::string_view name) {
  text_ += rules_.quote_open;
  if (rules_.upper_case_identifiers) {
    // Identifiers are validated ASCII: no locale-aware toupper (a library call per character).
    for (char c : name) text_ += (c >= 'a' && c <= 'z') ? static_cast<char>(c - 'a' + 'A') : c;
  } else {
    text_ += name;
  }
  text_ += rules_.quote_close;
  return *this;
}

SqlWriter& SqlWriter::ident_list(const std::vector<std::string>& names) {
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (i > 0) text_ += ", ";
    ident(names[i]);
  }
  return *this;
}

SqlWriter& SqlWriter::param(const Value& value) {
  if (literals_) {
    literal(value);
    return *this;
  }
  if (rules_.empty_text_is_null) {
    if (auto s = value.get_if<std::string>(); s != nullptr && s->empty()) {
      refuse(rules_.dialect,
             "an empty string would be stored as NULL (Oracle treats '' as NULL); store NULL "
             "explicitly or a non-empty value");
    }
  }
  if (rules_.numeric_booleans && value.get_if<bool>() != nullptr) {
    params_.emplace_back(std::int64_t{value.as<bool>() ? 1 : 0});
  } else {
    params_.push_back(value);
  }
  // to_chars, not fmt: placeholders are most of a multi-row statement's text.
  auto number = [&](std::string_view prefix) {
    char digits[24];
    auto end = std::to_chars(digits, digits + sizeof digits, params_.size()).ptr;
    text_ += prefix;
    text_.append(digits, end);
  };
  switch (rules_.placeholder) {
    case PlaceholderStyle::dollar: number("$"); break;
    case PlaceholderStyle::question: text_ += '?'; break;
    case PlaceholderStyle::colon: number(":"); break;
    case PlaceholderStyle::at_p: number("@p"); break;
  }
  return *this;
}

void SqlWriter::literal(const Value& v) {
  if (v.is_null()) {
    text_ += "NULL";
  } else if (auto i = v.get_if<std::int64_t>()) {
    text_ += std::to_string(*i);
  } else if (auto d = v.get_if<double>()) {
    // A float literal keeps a decimal point (1.0, not 1), or engines read it as an integer.
    std::string number = fmt::format("{}", *d);
    if (number.find_first_of(".eE") == std::string::npos) number += ".0";
    text_ += number;
  } else if (auto b = v.get_if<bool>()) {
    if (rules_.numeric_booleans || rules_.dialect == Dialect::sqlite) {
      text_ += *b ? "1" : "0";
    } else {
      text_ += *b ? "TRUE" : "FALSE";
    }
  } else {
    // Text, dates and timestamps: only schema-defined values reach here. Refuse anything that
    // would need escaping rather than trust an escaping rule that differs between engines.
    std::string s = v.get_if<std::string>() ? v.as<std::string>()
                    : v.get_if<Date>()      ? v.as<Date>().to_string()
                    : v.get_if<Timestamp>() ? v.as<Timestamp>().to_string()
                                            : std::string("\x01");
    bool plain = std::all_of(s.begin(), s.end(), [](char c) {
      return std::isalnum(static_cast<unsigned char>(c)) || c == ' ' || c == '-' || c == ':' || c == '.' || c == '_';
    });
    if (s.empty() && rules_.empty_text_is_null) {
      refuse(rules_.dialect,
             "an empty string default would be NULL (Oracle treats '' as NULL); use NULL or a "
             "non-empty value");
    }
    if (!plain) {
      throw Error(ErrorCategory::unsupported,
                  fmt::format("the schema literal {} cannot be written into DDL or an index predicate: only "
                              "letters, digits, spaces and -:._ are allowed there (values in statements are "
                              "always bound parameters)",
                              v.to_string()));
    }
    if (v.get_if<Date>() && rules_.dialect == Dialect::oracle) {
      text_ += "DATE '" + s + "'";
    } else if (v.get_if<Timestamp>() && rules_.dialect == Dialect::oracle) {
      text_ += "TIMESTAMP '" + s + "'";
    } else {
      text_ += "'" + s + "'";
    }
  }
}

SqlWriter& SqlWriter::existing(std::string_view column) {
  text_ += names_.existing_prefix;
  return ident(column);
}

SqlWriter& SqlWriter::proposed(std::string_view column) {
  if (!names_.proposed_function.empty()) {
    // MariaDB hands VALUE(c) of a TEXT or BLOB column over as a pointer into the proposed row: when
    // a later assignment writes c, the column set from it changes too (v0 = VALUE(v1), v1 = 't0'
    // stores 't03' over 't13' in v0; MariaDB 10.11). CONCAT makes it a copy.
    const Column* c = table_.find_column(column);
    const bool by_pointer = c != nullptr && (c->type == Type::text || c->type == Type::bytes) &&
                            std::find(assigned_later_.begin(), assigned_later_.end(), column) != assigned_later_.end();
    if (by_pointer) text_ += "CONCAT(";
    text_ += names_.proposed_function;
    text_ += '(';
    ident(column);
    text_ += ')';
    if (by_pointer) text_ += ')';
    return *this;
  }
  text_ += names_.proposed_prefix;
  return ident(column);
}

void SqlWriter::operands(std::string_view op, const Expr& e, bool as_predicate, bool top, std::string_view null_as) {
  if (!top) text_ += '(';
  for (std::size_t i = 0; i < e.args().size(); ++i) {
    if (i > 0) text_ += op;
    if (!null_as.empty() && !type_of(e.args()[i])) {
      text_ += "CAST(";
      value(e.args()[i], true);
      text_ += " AS ";
      text_ += null_as;
      text_ += ')';
    } else if (as_predicate) {
      predicate(e.args()[i]);
    } else {
      value(e.args()[i]);
    }
  }
  if (!top) text_ += ')';
}

void SqlWriter::greatest_least(const Expr& e) {
  const bool greatest = e.kind() == ExprKind::greatest;
  const auto& args = e.args();
  if (args.size() == 1) {
    value(args[0], true);
    return;
  }
  switch (rules_.greatest) {
    case GreatestStyle::native: text_ += greatest ? "GREATEST" : "LEAST"; break;
    case GreatestStyle::coalesced: text_ += greatest ? "GREATEST" : "LEAST"; break;
    case GreatestStyle::coalesced_minmax: text_ += greatest ? "max" : "min"; break;
  }
  text_ += '(';
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (i > 0) text_ += ", ";
    if (rules_.greatest == GreatestStyle::native) {
      typed_operand(args[i], e);
      continue;
    }
    // COALESCE(arg_i, the others...) replaces a NULL argument by another argument, which cannot
    // change the maximum; all-NULL still gives NULL. This is PostgreSQL's rule on every engine.
    text_ += "COALESCE(";
    value(args[i], true);
    for (std::size_t j = 0; j < args.size(); ++j) {
      if (j == i) continue;
      text_ += ", ";
      value(args[j], true);
    }
    text_ += ')';
  }
  text_ += ')';
}

std::optional<Type> SqlWriter::type_of(const Expr& e) const {
  // The statement was validated already, so every column may be read here. The list is made once
  // per writer: expressions ask for types node by node.
  if (all_columns_.empty()) {
    all_columns_.reserve(table_.columns().size());
    for (const auto& c : table_.columns()) all_columns_.push_back(c.name);
  }
  return expression_type(e, ExprScope{table_, &all_columns_, "an expression"});
}

std::string SqlWriter::arithmetic_null(const Expr& e) const {
  if (rules_.arithmetic_null_type == nullptr) return {};
  // An operand without a type of its own: NULL, or a CASE or COALESCE of nothing but NULLs.
  if (std::none_of(e.args().begin(), e.args().end(), [&](const Expr& a) { return !type_of(a).has_value(); })) {
    return {};
  }
  return std::string(rules_.arithmetic_null_type(type_of(e) == Type::float64 ? Type::float64 : Type::int64));
}

void SqlWriter::typed_operand(const Expr& operand, const Expr& parent) {
  // An untyped CASE (all NULLs) among typed values is text on PostgreSQL: "CASE types text and
  // boolean cannot be matched". It takes the type of the COALESCE or CASE it is part of.
  if (rules_.typed_null_operands && operand.kind() != ExprKind::null && !type_of(operand)) {
    if (const auto type = type_of(parent)) {
      text_ += "CAST(";
      value(operand, true);
      text_ += " AS ";
      text_ += postgresql_type_name(*type);
      text_ += ')';
      return;
    }
  }
  value(operand, true);
}

SqlWriter& SqlWriter::assigned_value(const Expr& e, Type column_type) {
  // A bare NULL takes the column's type; CASE WHEN ... THEN NULL END would be text on PostgreSQL.
  if (rules_.typed_null_operands && e.kind() != ExprKind::null && !type_of(e)) {
    text_ += "CAST(";
    value(e, true);
    text_ += " AS ";
    text_ += postgresql_type_name(column_type);
    text_ += ')';
    return *this;
  }
  return value(e, true);
}

SqlWriter& SqlWriter::value(const Expr& e, bool top) {
  const ExprNode& n = e.node();
  if (rules_.numeric_booleans && is_predicate(e)) {
    // Engines without boolean values turn a condition into 1 / 0 / NULL.
    text_ += "CASE WHEN ";
    predicate(e, true);
    text_ += " THEN 1 WHEN NOT (";
    predicate(e, true);
    text_ += ") THEN 0 END";
    return *this;
  }
  switch (n.kind) {
    case ExprKind::existing: existing(n.column); break;
    case ExprKind::proposed: proposed(n.column); break;
    case ExprKind::value: param(n.value); break;
    case ExprKind::null: text_ += "NULL"; break;
    case ExprKind::add:
    case ExprKind::subtract:
    case ExprKind::multiply: operands(binary_operator(n.kind), e, false, top, arithmetic_null(e)); break;
    case ExprKind::divide: {
      if (rules_.divisor_must_be_constant && !is_constant_nonzero(n.args[1])) {
        refuse(rules_.dialect,
               "division by an expression: SQLite returns NULL on division by zero where PostgreSQL raises an "
               "error; divide by a non-zero constant value");
      }
      const bool integral = type_of(e) == Type::int64;
      const std::string null_as = arithmetic_null(e);
      if (integral && rules_.integer_division == IntegerDivision::div_operator) {
        operands(" DIV ", e, false, top, null_as);
      } else if (integral && rules_.integer_division == IntegerDivision::trunc) {
        text_ += "TRUNC";
        operands(" / ", e, false, false, null_as);
      } else {
        operands(" / ", e, false, top, null_as);
      }
      break;
    }
    case ExprKind::negate:
      text_ += "(-";
      if (const std::string null_as = arithmetic_null(e); !null_as.empty()) {
        text_ += "CAST(";
        value(n.args[0], true);
        text_ += " AS " + null_as + ")";
      } else {
        value(n.args[0]);
      }
      text_ += ')';
      break;
    case ExprKind::equal:
    case ExprKind::not_equal:
    case ExprKind::less:
    case ExprKind::less_equal:
    case ExprKind::greater:
    case ExprKind::greater_equal: operands(binary_operator(n.kind), e, false, top); break;
    case ExprKind::and_:
    case ExprKind::or_: operands(binary_operator(n.kind), e, true, top); break;
    case ExprKind::not_:
      text_ += "(NOT ";
      predicate(n.args[0]);
      text_ += ')';
      break;
    case ExprKind::is_null:
    case ExprKind::is_not_null:
      if (!top) text_ += '(';
      value(n.args[0]);
      text_ += n.kind == ExprKind::is_null ? " IS NULL" : " IS NOT NULL";
      if (!top) text_ += ')';
      break;
    case ExprKind::coalesce:
      text_ += "COALESCE(";
      for (std::size_t i = 0; i < n.args.size(); ++i) {
        if (i > 0) text_ += ", ";
        typed_operand(n.args[i], e);
      }
      text_ += ')';
      break;
    case ExprKind::greatest:
    case ExprKind::least: greatest_least(e); break;
    case ExprKind::case_when: {
      text_ += "CASE";
      std::size_t pairs = (n.args.size() - (n.has_else ? 1 : 0)) / 2;
      for (std::size_t i = 0; i < pairs; ++i) {
        text_ += " WHEN ";
        predicate(n.args[2 * i], true);
        text_ += " THEN ";
        typed_operand(n.args[2 * i + 1], e);
      }
      if (n.has_else) {
        text_ += " ELSE ";
        typed_operand(n.args.back(), e);
      }
      text_ += " END";
      break;
    }
  }
  return *this;
}

SqlWriter& SqlWriter::predicate(const Expr& e, bool top) {
  if (rules_.numeric_booleans && !is_predicate(e)) {
    // A boolean value (a column, a bound flag, CASE) becomes a condition by comparing with 1.
    text_ += '(';
    value(e, false);
    text_ += " = 1)";
    return *this;
  }
  if (rules_.numeric_booleans && is_predicate(e)) {
    // value() would wrap a predicate in CASE; write the predicate itself.
    const ExprNode& n = e.node();
    switch (n.kind) {
      case ExprKind::and_:
      case ExprKind::or_: operands(binary_operator(n.kind), e, true, top); return *this;
      case ExprKind::not_:
        text_ += "(NOT ";
        predicate(n.args[0]);
        text_ += ')';
        return *this;
      case ExprKind::is_null:
      case ExprKind::is_not_null:
        if (!top) text_ += '(';
        value(n.args[0]);
        text_ += n.kind == ExprKind::is_null ? " IS NULL" : " IS NOT NULL";
        if (!top) text_ += ')';
        return *this;
      default: operands(binary_operator(n.kind), e, false, top); return *this;
    }
  }
  return value(e, top);
}

void write_insert_values(SqlWriter& w, const Upsert& s) {
  w << "(";
  w.ident_list(s.insert_columns());
  w << ") VALUES ";
  const auto& rows = s.row_values();
  w.reserve_params(rows.size() * s.insert_columns().size());
  for (std::size_t r = 0; r < rows.size(); ++r) {
    w << (r == 0 ? "(" : ", (");
    for (std::size_t i = 0; i < rows[r].size(); ++i) {
      if (i > 0) w << ", ";
      w.param(rows[r][i]);
    }
    w << ")";
  }
}

std::vector<std::string> create_table_statements(const Table& table, const DialectRules& rules, const DdlRules& ddl,
                                                 std::string_view create_prefix) {
  std::vector<std::string> out;
  SqlWriter w(rules, table);
  w.use_literals(true);
  w << create_prefix;
  w.ident(table.name());
  w << " (";
  auto in_any_key = [&](const std::string& column) {
    for (const auto& k : table.unique_keys()) {
      if (std::find(k.columns.begin(), k.columns.end(), column) != k.columns.end()) return true;
    }
    return false;
  };
  bool first = true;
  for (const auto& c : table.columns()) {
    if (!first) w << ", ";
    first = false;
    w.ident(c.name);
    w << " " << ddl.type_sql(c, in_any_key(c.name));
    if (c.identity) {
      w << ddl.identity_suffix;
      continue;
    }
    if (c.default_value) {
      const bool parentheses = ddl.default_in_parentheses && ddl.default_in_parentheses(c, in_any_key(c.name));
      w << (parentheses ? " DEFAULT (" : " DEFAULT ");
      w.param(*c.default_value);
      if (parentheses) w << ")";
    }
    if (!c.nullable) w << " NOT NULL";
  }
  std::vector<const UniqueKey*> partial;
  bool promote = ddl.first_unique_key_as_primary && std::none_of(table.unique_keys().begin(), table.unique_keys().end(),
                                                                 [](const UniqueKey& k) { return k.primary; });
  for (const auto& k : table.unique_keys()) {
    if (k.where) {
      validate_key_predicate(table, k);
      if (!ddl.partial_keys) {
        refuse(rules.dialect, fmt::format("partial unique key \"{}\" (a unique key with WHERE) exists only on "
                                          "PostgreSQL and SQLite; declare a full unique key",
                                          k.name));
      }
      partial.push_back(&k);
      continue;
    }
    if (k.nulls_not_distinct && !ddl.nulls_not_distinct) {
      refuse(rules.dialect, fmt::format("unique key \"{}\" is NULLS NOT DISTINCT, which only PostgreSQL 15+ "
                                        "supports; make its columns NOT NULL instead",
                                        k.name));
    }
    const bool primary = k.primary || std::exchange(promote, false);
    w << ", CONSTRAINT ";
    w.ident(k.name);
    w << (primary ? " PRIMARY KEY (" : k.nulls_not_distinct ? " UNIQUE NULLS NOT DISTINCT (" : " UNIQUE (");
    w.ident_list(k.columns);
    w << ")";
  }
  w << ")" << ddl.table_suffix;
  out.push_back(w.take_text());
  for (const UniqueKey* k : partial) {
    SqlWriter iw(rules, table);
    iw.use_literals(true);
    iw << "CREATE UNIQUE INDEX IF NOT EXISTS ";
    iw.ident(k->name);
    iw << " ON ";
    iw.ident(table.name());
    iw << " (";
    iw.ident_list(k->columns);
    iw << ") WHERE ";
    iw.predicate(*k->where, true);
    out.push_back(iw.take_text());
  }
  return out;
}

}  // namespace upsert::detail
