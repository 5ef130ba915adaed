#pragma once
// Tables, statements and checks shared by the render and statement tests.

#include <gtest/gtest.h>

#include <functional>
#include <string>

#include "upsert/upsert.hpp"

namespace upsert::testing {

// The A/B table of the README: hourly participants and conversions per test version.
inline Table ab_table(const std::string& name = "ab_hourly") {
  return Table(name)
      .column("ab_test_id", Type::int64)
      .column("version", Type::text)
      .column("date", Type::date)
      .column("hour", Type::int64)
      .column("participants", Type::int64, default_value(0), not_null)
      .column("conversions", Type::int64, default_value(0), not_null)
      .unique_key({"ab_test_id", "version", "date", "hour"});
}

// How SQLite assigns an int64 column computed by arithmetic: a REAL result (SQLite's silent
// overflow) raises "integer overflow" instead of being stored (src/render/on_conflict.cpp).
inline std::string sqlite_checked(const std::string& value) {
  return "(SELECT CASE WHEN typeof(v) = 'real' THEN abs(-9223372036854775808) ELSE v END FROM (SELECT " + value +
         " AS v))";
}

// participants += proposed participants, conversions likewise.
inline Upsert ab_upsert(int rows) {
  Upsert s = insert_into(ab_table());
  for (int i = 0; i < rows; ++i) {
    s.row({7, "B", Date{2026, 11, 26}, 13 + i, 1, i % 2});
  }
  s.on_conflict({"ab_test_id", "version", "date", "hour"}).do_update(add_proposed({"participants", "conversions"}));
  return s;
}

// Asserts that `f` throws upsert::Error of `category` whose message contains every fragment.
inline void expect_error(const std::function<void()>& f, ErrorCategory category,
                         std::initializer_list<std::string> fragments) {
  try {
    f();
    ADD_FAILURE() << "expected an upsert::Error of category " << category_name(category) << ", got none";
  } catch (const Error& e) {
    EXPECT_EQ(category_name(e.category()), category_name(category)) << "message: " << e.what();
    for (const auto& fragment : fragments) {
      EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos)
          << "message lacks \"" << fragment << "\"\nmessage: " << e.what();
    }
  }
}

// The dialect's name, for traces.
inline std::string name_of(Dialect d) {
  return std::string(dialect_name(d));
}

// Renders `s` in every dialect and expects the same invalid_argument error from each.
inline void expect_invalid_everywhere(const Upsert& s, std::initializer_list<std::string> fragments) {
  for (Dialect d : all_dialects()) {
    SCOPED_TRACE(name_of(d));
    expect_error([&] { render(s, d); }, ErrorCategory::invalid_argument, fragments);
  }
}

// Hits per page, with a column of each of several types.
inline Table page_hits_table() {
  return Table("pages")
      .column("path", Type::text)
      .column("hits", Type::int64, default_value(0), not_null)
      .column("day", Type::date)
      .column("flag", Type::boolean)
      .column("note", Type::text)
      .primary_key({"path"});
}

// One row into page_hits_table(), without an action yet.
inline Upsert page_hits_upsert() {
  Upsert s = insert_into(page_hits_table());
  s.row({"/a", 1, Date{2026, 11, 26}, true, "n"});
  return s;
}

}  // namespace upsert::testing
