#include "workload.hpp"

#include <fmt/format.h>

namespace upsert::bench {

std::string_view workload_name(Workload workload) {
  return workload == Workload::uniform ? "uniform" : "hot";
}

Workload parse_workload(std::string_view name) {
  if (name == "uniform") return Workload::uniform;
  if (name == "hot") return Workload::hot;
  throw Error(ErrorCategory::invalid_argument,
              fmt::format("unknown workload \"{}\": use uniform (100 tests x 2 versions x 24 hours) or hot "
                          "(1 test x 2 versions x 24 hours)",
                          name));
}

Date event_date() {
  return Date::parse(event_date_text);
}

std::vector<Key> key_space(Workload workload) {
  const int tests = workload == Workload::uniform ? 100 : 1;
  const Date date = event_date();
  std::vector<Key> keys;
  keys.reserve(static_cast<std::size_t>(tests) * 2 * 24);
  for (int test = 1; test <= tests; ++test) {
    for (const char* version : {"A", "B"}) {
      for (int hour = 0; hour < 24; ++hour) {
        Key k;
        k.test_id = test;
        k.version = version;
        k.hour = hour;
        k.values = Row{k.test_id, k.version, date, k.hour};
        k.test_id_text = std::to_string(k.test_id);
        k.hour_text = std::to_string(k.hour);
        keys.push_back(std::move(k));
      }
    }
  }
  return keys;
}

EventStream::EventStream(std::uint32_t key_count, std::uint64_t seed)
    : state_(seed * 0x9E3779B97F4A7C15ull + 1), key_count_(key_count) {}

Event EventStream::next() {
  // xorshift64*: fast, and good enough to spread events over a few thousand keys.
  state_ ^= state_ >> 12;
  state_ ^= state_ << 25;
  state_ ^= state_ >> 27;
  const std::uint64_t r = state_ * 0x2545F4914F6CDD1Dull;
  Event e;
  e.key = static_cast<std::uint32_t>((r >> 32) % key_count_);
  e.converted = (r & 0xFFFF) % 100 < 5;
  return e;
}

std::shared_ptr<const Table> ab_table(const std::string& name) {
  auto table = std::make_shared<Table>(name);
  table->column("ab_test_id", Type::int64)
      .column("version", Type::text)
      .column("date", Type::date)
      .column("hour", Type::int64)
      .column("participants", Type::int64, default_value(0), not_null)
      .column("conversions", Type::int64, default_value(0), not_null)
      .unique_key(key_columns());
  return table;
}

const std::vector<std::string>& key_columns() {
  static const std::vector<std::string> columns{"ab_test_id", "version", "date", "hour"};
  return columns;
}

Upsert ab_upsert(std::shared_ptr<const Table> table) {
  Upsert statement = insert_into(std::move(table));
  statement.on_conflict(key_columns()).do_update(add_proposed({"participants", "conversions"}));
  return statement;
}

Row event_row(const Key& key, bool converted) {
  Row row;
  row.reserve(key.values.size() + 2);  // one allocation per row, as a careful caller would do
  row.assign(key.values.begin(), key.values.end());
  row.emplace_back(std::int64_t{1});
  row.emplace_back(std::int64_t{converted ? 1 : 0});
  return row;
}

}  // namespace upsert::bench
