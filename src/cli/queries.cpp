#include "cli/queries.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

namespace upsert::cli {

namespace {

std::vector<std::string> quoted(const std::vector<std::string>& names, Dialect dialect) {
  std::vector<std::string> out;
  for (const auto& name : names) out.push_back(quote_identifier(name, dialect));
  return out;
}

}  // namespace

std::vector<std::int64_t> column_sums(Connection& db, const Table& table, const std::vector<std::string>& columns) {
  std::vector<std::string> sums;
  for (const auto& c : quoted(columns, db.dialect())) sums.push_back(fmt::format("SUM({})", c));
  const auto rows = db.query(
      Sql{fmt::format("SELECT {} FROM {}", fmt::join(sums, ", "), quote_identifier(table.name(), db.dialect())), {}},
      std::vector<Type>(columns.size(), Type::int64));
  std::vector<std::int64_t> out(columns.size(), 0);
  for (std::size_t i = 0; i < columns.size() && !rows.empty(); ++i) {
    if (!rows[0][i].is_null()) out[i] = rows[0][i].as<std::int64_t>();
  }
  return out;
}

std::vector<Row> top_rows(Connection& db, const Table& table, const std::vector<std::string>& columns,
                          const std::string& order_by, std::size_t limit) {
  const Dialect d = db.dialect();
  std::vector<std::string> order{quote_identifier(order_by, d) + " DESC"};
  for (const auto& c : columns) {
    if (c != order_by) order.push_back(quote_identifier(c, d));
  }
  std::vector<Type> types;
  for (const auto& c : columns) types.push_back(table.column_named(c).type);
  // SQLite, PostgreSQL, MySQL and MariaDB, the engines the command connects to, all say LIMIT.
  return db.query(Sql{fmt::format("SELECT {} FROM {} ORDER BY {} LIMIT {}", fmt::join(quoted(columns, d), ", "),
                                  quote_identifier(table.name(), d), fmt::join(order, ", "), limit),
                      {}},
                  types);
}

}  // namespace upsert::cli
