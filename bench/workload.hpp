#pragma once
// The A/B workload of the benchmarks: the table, its key space, and a stream of page-view
// events. Every event adds 1 to `participants` of one key and, for about 5% of events, 1 to
// `conversions`.

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "upsert/upsert.hpp"

namespace upsert::bench {

/// Which keys the events hit.
enum class Workload {
  uniform,  ///< 100 tests x 2 versions x 24 hours: 4,800 keys, little contention
  hot,      ///< 1 test x 2 versions x 24 hours: 48 keys, every thread fights over them
};

/// "uniform" or "hot".
std::string_view workload_name(Workload workload);
/// Parses a workload name; throws Error(invalid_argument) naming the valid ones.
Workload parse_workload(std::string_view name);

/// The date every event falls on (the key space spans tests, versions and hours of one day).
inline constexpr std::string_view event_date_text = "2026-11-26";
/// The same date as a library value.
Date event_date();

/// One key of the A/B table, in every form an arm binds it.
struct Key {
  std::int64_t test_id = 0;  ///< ab_test_id
  std::string version;       ///< "A" or "B"
  std::int64_t hour = 0;     ///< 0..23
  Row values;                ///< {ab_test_id, version, date, hour} as library values
  std::string test_id_text;  ///< ab_test_id as text, for libpq's text parameters
  std::string hour_text;     ///< hour as text
};

/// Every key of a workload.
std::vector<Key> key_space(Workload workload);

/// One page view: which key, and whether it converted.
struct Event {
  std::uint32_t key = 0;   ///< index into key_space()
  bool converted = false;  ///< also add 1 to conversions
};

/// A deterministic stream of events (xorshift64*): each thread of a cell has its own seed.
class EventStream {
 public:
  /// Events over `key_count` keys, about 5% of them conversions.
  EventStream(std::uint32_t key_count, std::uint64_t seed);
  /// The next event.
  Event next();

 private:
  std::uint64_t state_;
  std::uint32_t key_count_;
};

/// The A/B table named `name`: ab_test_id, version, date, hour (the unique key), participants and
/// conversions (int64, default 0, not null).
std::shared_ptr<const Table> ab_table(const std::string& name);

/// The key columns, in key order.
const std::vector<std::string>& key_columns();

/// The upsert of the A/B table without rows: on conflict of the key, add the proposed
/// participants and conversions to the existing ones.
Upsert ab_upsert(std::shared_ptr<const Table> table);

/// The library row of an event: the key's values, then 1 participant and 0 or 1 conversions.
Row event_row(const Key& key, bool converted);

}  // namespace upsert::bench
