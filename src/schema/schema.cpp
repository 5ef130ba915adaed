#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>
#include <cstdint>

#include "schema/column_types.hpp"
#include "upsert/error.hpp"
#include "upsert/schema.hpp"

namespace upsert {

namespace {

// 63 is PostgreSQL's limit (NAMEDATALEN - 1) and the smallest among our engines that matter;
// MySQL allows 64, Oracle 12.2+ and SQL Server 128.
constexpr std::size_t max_identifier_length = 63;

Error invalid(std::string message) {
  return Error(ErrorCategory::invalid_argument, std::move(message));
}

bool same_column_set(std::vector<std::string> a, std::vector<std::string> b) {
  std::sort(a.begin(), a.end());
  std::sort(b.begin(), b.end());
  return a == b;
}

// Names that differ only in case are one name on Oracle (which upper-cases them) and on MySQL,
// SQLite and SQL Server (whose column names ignore case), so the schema refuses such pairs.
bool same_name_ignoring_case(std::string_view a, std::string_view b) {
  auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
  return a.size() == b.size() &&
         std::equal(a.begin(), a.end(), b.begin(), [&](char x, char y) { return lower(x) == lower(y); });
}

// FNV-1a: unlike std::hash, the same on every compiler and platform, so a generated key name (which
// ends up in the database) does not change when the library is rebuilt elsewhere.
std::uint32_t stable_hash(std::string_view text) {
  std::uint32_t hash = 2166136261u;
  for (char c : text) {
    hash ^= static_cast<unsigned char>(c);
    hash *= 16777619u;
  }
  return hash;
}

// A generated constraint name within the identifier limit: a long name is cut and made unique with
// a hash of the whole name, as PostgreSQL does for its own generated names.
std::string fit_generated_name(std::string name) {
  if (name.size() <= max_identifier_length) return name;
  const std::uint32_t hash = stable_hash(name) & 0xffffffu;
  return fmt::format("{}_{:06x}", name.substr(0, max_identifier_length - 7), hash);
}

// A partial key's predicate is written into DDL and ON CONFLICT: it may read only the table's own
// columns (checked here, so no unvalidated name reaches SQL text) and never the proposed row.
void check_key_predicate(const Table& table, const Expr& e) {
  if (e.kind() == ExprKind::existing) table.column_named(e.node().column);
  if (e.kind() == ExprKind::proposed) {
    throw invalid(
        fmt::format("the predicate of a partial unique key of table \"{}\" reads proposed(\"{}\"): an "
                    "index predicate can only read the table's columns, use col(\"{}\")",
                    table.name(), e.node().column, e.node().column));
  }
  for (const auto& a : e.args()) check_key_predicate(table, a);
}

}  // namespace

void validate_identifier(std::string_view name, std::string_view what) {
  if (name.empty()) {
    throw invalid(fmt::format("empty {} name: give a name of letters, digits and '_'", what));
  }
  if (name.size() > max_identifier_length) {
    throw invalid(fmt::format("{} name \"{}\" is {} characters long: the portable limit is {} (PostgreSQL)", what, name,
                              name.size(), max_identifier_length));
  }
  auto is_letter = [](char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; };
  auto is_digit = [](char c) { return c >= '0' && c <= '9'; };
  if (!is_letter(name[0])) {
    throw invalid(fmt::format("{} name \"{}\" must start with a letter or '_'", what, name));
  }
  for (std::size_t i = 0; i < name.size(); ++i) {
    const char c = name[i];
    if (!is_letter(c) && !is_digit(c)) {
      // Quote the whole UTF-8 character, not its first byte, so the message stays valid UTF-8.
      const auto lead = static_cast<unsigned char>(c);
      const std::size_t length = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
      throw invalid(
          fmt::format("{} name \"{}\" contains '{}': only ASCII letters, digits and '_' are accepted, so that the "
                      "name quotes the same way on every engine",
                      what, name, name.substr(i, length)));
    }
  }
}

Table::Table(std::string name) : name_(std::move(name)) {
  validate_identifier(name_, "table");
}

Table& Table::add_column(Column column) {
  validate_identifier(column.name, "column");
  for (const auto& c : columns_) {
    if (same_name_ignoring_case(c.name, column.name)) {
      throw invalid(fmt::format("table \"{}\" already has a column \"{}\"{}", name_, c.name,
                                c.name == column.name ? ""
                                                      : " (names that differ only in case are one name on "
                                                        "Oracle, MySQL, SQLite and SQL Server)"));
    }
  }
  if (column.default_value && !column.default_value->is_null() && column.default_value->type() != column.type &&
      !(column.type == Type::float64 && column.default_value->type() == Type::int64)) {
    throw invalid(fmt::format("default {} of column \"{}\" is not of its type {}", column.default_value->to_string(),
                              column.name, type_name(column.type)));
  }
  if (column.identity && column.type != Type::int64) {
    throw invalid(fmt::format("identity column \"{}\" must be int64", column.name));
  }
  if (column.identity && column.default_value) {
    throw invalid(fmt::format("identity column \"{}\" cannot have a default: the engine numbers it", column.name));
  }
  if (column.identity) {
    for (const auto& c : columns_) {
      if (c.identity) {
        throw invalid(
            fmt::format("table \"{}\" already has the identity column \"{}\": MySQL, SQLite and SQL "
                        "Server allow one per table",
                        name_, c.name));
      }
    }
  }
  columns_.push_back(std::move(column));
  return *this;
}

const Column* Table::find_column(std::string_view name) const {
  auto it = std::find_if(columns_.begin(), columns_.end(), [&](const Column& c) { return c.name == name; });
  return it == columns_.end() ? nullptr : &*it;
}

const Column& Table::column_named(std::string_view name) const {
  if (const Column* c = find_column(name)) return *c;
  std::vector<std::string> names;
  for (const auto& c : columns_) names.push_back(c.name);
  throw invalid(
      fmt::format("table \"{}\" has no column \"{}\" (its columns: {})", name_, name, fmt::join(names, ", ")));
}

Table& Table::primary_key(std::vector<std::string> columns) {
  if (!keys_.empty() && keys_.front().primary) {
    throw invalid(fmt::format("table \"{}\" already has a primary key", name_));
  }
  UniqueKey key{fit_generated_name(name_ + "_pkey"), std::move(columns), true};
  return add_key(std::move(key));
}

Table& Table::unique_key(std::vector<std::string> columns, std::string name) {
  return add_key(UniqueKey{std::move(name), std::move(columns)});
}

Table& Table::partial_unique_key(std::vector<std::string> columns, Expr where, std::string name) {
  check_key_predicate(*this, where);
  UniqueKey key{std::move(name), std::move(columns)};
  key.where = std::move(where);
  return add_key(std::move(key));
}

Table& Table::unique_key_nulls_not_distinct(std::vector<std::string> columns, std::string name) {
  UniqueKey key{std::move(name), std::move(columns)};
  key.nulls_not_distinct = true;
  return add_key(std::move(key));
}

Table& Table::add_key(UniqueKey key) {
  if (key.columns.empty()) throw invalid(fmt::format("a unique key of table \"{}\" needs columns", name_));
  for (std::size_t i = 0; i < key.columns.size(); ++i) {
    const Column& c = column_named(key.columns[i]);
    if (std::count(key.columns.begin(), key.columns.end(), key.columns[i]) > 1) {
      throw invalid(fmt::format("unique key of table \"{}\" names column \"{}\" twice", name_, c.name));
    }
  }
  if (key.name.empty()) key.name = fit_generated_name(fmt::format("{}_{}_key", name_, fmt::join(key.columns, "_")));
  validate_identifier(key.name, "key");
  for (const auto& k : keys_) {
    if (same_name_ignoring_case(k.name, key.name)) {
      throw invalid(fmt::format("table \"{}\" already has a key named \"{}\"", name_, k.name));
    }
  }
  // Two full keys on one column set are one key; a partial key beside a full one is legitimate.
  const bool duplicate = !key.where && std::any_of(keys_.begin(), keys_.end(), [&](const UniqueKey& k) {
    return !k.where && same_column_set(k.columns, key.columns);
  });
  if (duplicate) {
    throw invalid(fmt::format("table \"{}\" already has a unique key on ({})", name_, fmt::join(key.columns, ", ")));
  }
  // Key columns are NOT NULL unless NULLs are declared to conflict: a NULL key never conflicts.
  if (!key.nulls_not_distinct) {
    for (const auto& name : key.columns) {
      for (auto& c : columns_) {
        if (c.name == name) c.nullable = false;
      }
    }
  }
  if (key.primary) {
    keys_.insert(keys_.begin(), std::move(key));
  } else {
    keys_.push_back(std::move(key));
  }
  return *this;
}

const UniqueKey* Table::find_key(const std::vector<std::string>& columns) const {
  for (const auto& key : keys_) {
    if (!key.where && same_column_set(key.columns, columns)) return &key;
  }
  for (const auto& key : keys_) {
    if (same_column_set(key.columns, columns)) return &key;
  }
  return nullptr;
}

const UniqueKey* Table::find_key_named(std::string_view name) const {
  for (const auto& key : keys_) {
    if (key.name == name) return &key;
  }
  return nullptr;
}

}  // namespace upsert

namespace upsert::detail {

std::vector<Type> column_types(const Table& table, const std::vector<std::string>& columns) {
  std::vector<Type> types;
  types.reserve(columns.size());
  for (const auto& name : columns) types.push_back(table.column_named(name).type);
  return types;
}

}  // namespace upsert::detail
