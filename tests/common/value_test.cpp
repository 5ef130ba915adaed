#include <gtest/gtest.h>

#include "render/fixtures.hpp"

namespace upsert::testing {
namespace {

TEST(Value, DatesRoundTripThroughText) {
  EXPECT_EQ(Date::parse("2026-11-26").to_string(), "2026-11-26");
  EXPECT_EQ(Date(1, 2, 3).to_string(), "0001-02-03");
  EXPECT_EQ(Date(9999, 12, 31).to_string(), "9999-12-31");
  EXPECT_EQ(Date(987, 10, 9).to_string(), "0987-10-09");
  EXPECT_EQ(Date::parse("2024-02-29"), Date(2024, 2, 29));
  EXPECT_EQ(Date::from_days_since_epoch(Date{2026, 11, 26}.days_since_epoch()), Date(2026, 11, 26));
  EXPECT_EQ(Date::parse("2024-02-29"), Date(2024, 2, 29));
}

TEST(Value, InvalidDatesAreRefused) {
  expect_error([] { Date(2023, 2, 29); }, ErrorCategory::invalid_argument, {"2023-02-29", "no such day"});
  expect_error([] { Date::parse("2026-13-01"); }, ErrorCategory::invalid_argument, {"2026-13-01"});
  expect_error([] { Date::parse("26-11-2026"); }, ErrorCategory::invalid_argument, {"YYYY-MM-DD"});
}

TEST(Value, TimestampsRoundTripThroughText) {
  Timestamp t = Timestamp::parse("2026-11-26 13:05:09.000123");
  EXPECT_EQ(t.to_string(), "2026-11-26 13:05:09.000123");
  EXPECT_EQ(Timestamp::parse("2026-11-26T13:05:09").to_string(), "2026-11-26 13:05:09.000000");
  EXPECT_EQ(Timestamp::parse("1969-12-31 23:59:59.5").to_string(), "1969-12-31 23:59:59.500000");
  EXPECT_EQ(t.date(), Date(2026, 11, 26));
  expect_error([] { Timestamp::parse("2026-11-26 24:00:00"); }, ErrorCategory::invalid_argument, {"24:00:00"});
}

// Found by fuzz_convert: the date part was parsed on its own, so the refusal quoted its first 10
// bytes, which ended inside the 2-byte character: invalid UTF-8 in the message.
TEST(Value, TimestampRefusalQuotesTheWholeTextNotAHalfCharacter) {
  const std::string text = "99 23:59:\xcf\xbf.1720237";
  try {
    Timestamp::parse(text);
    FAIL() << "parsed";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(text), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("timestamp"), std::string::npos) << e.what();
  }
}

TEST(Value, OrderingIsTotalAndTypeAware) {
  EXPECT_LT(Value(), Value(0));
  EXPECT_LT(Value(1), Value(2));
  EXPECT_LT(Value("a"), Value("b"));
  EXPECT_NE(Value(1), Value(1.0));  // different types never compare equal
  EXPECT_EQ(Value("x"), Value(std::string("x")));
  EXPECT_LT(Value(Date(2026, 1, 1)), Value(Date(2026, 1, 2)));
}

TEST(Value, TypesFromConstructors) {
  EXPECT_EQ(Value(7).type(), Type::int64);
  EXPECT_EQ(Value(7u).type(), Type::int64);
  EXPECT_EQ(Value(1.5).type(), Type::float64);
  EXPECT_EQ(Value(true).type(), Type::boolean);
  EXPECT_EQ(Value("t").type(), Type::text);
  EXPECT_EQ(Value(Bytes{{1, 2}}).type(), Type::bytes);
  EXPECT_TRUE(Value(nullptr).is_null());
}

TEST(Value, TypeNamesParse) {
  for (Type t : {Type::int64, Type::float64, Type::text, Type::boolean, Type::date, Type::timestamp, Type::bytes}) {
    EXPECT_EQ(parse_type(type_name(t)), t);
  }
  expect_error([] { parse_type("varchar"); }, ErrorCategory::invalid_argument, {"varchar", "int64, double"});
}

}  // namespace
}  // namespace upsert::testing
