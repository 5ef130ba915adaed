#include "cli/table_spec.hpp"

#include <fmt/format.h>

namespace upsert::cli {

void TableSpec::add_options(CLI::App& app, bool table_required) {
  auto* t = app.add_option("--table", table, "Table name");
  if (table_required) t->required();
  app.add_option("--key", key, "Key columns, comma-separated (the unique key upserts conflict on)")
      ->delimiter(',')
      ->required();
  app.add_option("--sum", sum, "Columns to add up (counters)")->delimiter(',');
  app.add_option("--max", max, "Columns that keep the largest value")->delimiter(',');
  app.add_option("--min", min, "Columns that keep the smallest value")->delimiter(',');
  app.add_option("--last", last, "Columns that keep the latest value")->delimiter(',');
  app.add_option("--types", types,
                 "Column types as col:type (int64, double, text, bool, date, timestamp, bytes); keys default to "
                 "text, aggregated columns to int64")
      ->delimiter(',');
}

std::vector<AggregateColumn> TableSpec::aggregates() const {
  std::vector<AggregateColumn> out;
  for (const auto& c : sum) out.push_back({c, Aggregate::sum});
  for (const auto& c : max) out.push_back({c, Aggregate::max});
  for (const auto& c : min) out.push_back({c, Aggregate::min});
  for (const auto& c : last) out.push_back({c, Aggregate::last});
  return out;
}

std::map<std::string, Type> TableSpec::declared_types() const {
  std::map<std::string, Type> declared;
  for (const auto& entry : types) {
    auto colon = entry.find(':');
    if (colon == std::string::npos) {
      throw Error(ErrorCategory::invalid_argument,
                  fmt::format("--types entry \"{}\" is not column:type, e.g. hour:int64", entry));
    }
    declared[entry.substr(0, colon)] = parse_type(entry.substr(colon + 1));
  }
  return declared;
}

std::shared_ptr<const Table> TableSpec::build(const std::map<std::string, Type>& inferred) const {
  const std::map<std::string, Type> declared = declared_types();
  auto type_of = [&](const std::string& column, Type fallback) {
    if (auto it = declared.find(column); it != declared.end()) return it->second;
    if (auto it = inferred.find(column); it != inferred.end()) return it->second;
    return fallback;
  };
  auto table_ptr = std::make_shared<Table>(table);
  for (const auto& k : key) table_ptr->column(k, type_of(k, Type::text));
  for (const auto& [column, aggregate] : aggregates()) {
    if (table_ptr->find_column(column) != nullptr) {
      throw Error(ErrorCategory::invalid_argument,
                  fmt::format("column \"{}\" is named twice among --key/--sum/--max/--min/--last", column));
    }
    Type type = type_of(column, Type::int64);
    if (aggregate == Aggregate::sum) {
      table_ptr->column(column, type, default_value(type == Type::float64 ? Value(0.0) : Value(0)), not_null);
    } else {
      table_ptr->column(column, type);
    }
  }
  for (const auto& [column, type] : declared) {
    if (table_ptr->find_column(column) == nullptr) {
      throw Error(ErrorCategory::invalid_argument,
                  fmt::format("--types names \"{}\", which is neither a key nor an aggregated column", column));
    }
  }
  table_ptr->unique_key(key);
  return table_ptr;
}

}  // namespace upsert::cli
