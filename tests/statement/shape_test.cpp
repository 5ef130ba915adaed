// Shape equality (src/statement/shape.cpp): what decides whether Connection::execute may send a
// one-row upsert with SQL it kept from an earlier statement. Every difference that changes the SQL
// text or its constants must make two shapes different; rows must not.

#include <gtest/gtest.h>

#include "render/fixtures.hpp"
#include "statement/shape.hpp"

namespace upsert::testing {
namespace {

using detail::same_shape;

Upsert counting(const Table& table) {
  Upsert s = insert_into(table);
  s.on_conflict({"ab_test_id", "version", "date", "hour"})
      .do_update({{"participants", col("participants") + proposed("participants") + val(1)}},
                 col("participants") < val(100));
  return s;
}

TEST(SameShape, RowsAndSeparatelyBuiltEqualTablesAndExpressionsDoNotMatter) {
  Upsert a = counting(ab_table());
  Upsert b = counting(ab_table());  // another Table object, other expression nodes
  a.row({7, "B", Date{2026, 11, 26}, 13, 1, 0});
  b.row({8, "A", Date{2026, 11, 27}, 14, 2, 1});
  EXPECT_TRUE(same_shape(a, b));
}

TEST(SameShape, AnyDifferenceInTheUpdateIsAnotherShape) {
  const Upsert base = counting(ab_table());
  Upsert other_constant = counting(ab_table());
  other_constant.do_update({{"participants", col("participants") + proposed("participants") + val(2)}},
                           col("participants") < val(100));
  EXPECT_FALSE(same_shape(base, other_constant));
  Upsert other_where = counting(ab_table());
  other_where.do_update({{"participants", col("participants") + proposed("participants") + val(1)}},
                        col("participants") <= val(100));
  EXPECT_FALSE(same_shape(base, other_where));
  Upsert no_where = counting(ab_table());
  no_where.do_update({{"participants", col("participants") + proposed("participants") + val(1)}});
  EXPECT_FALSE(same_shape(base, no_where));
  Upsert other_column = counting(ab_table());
  other_column.do_update({{"conversions", col("participants") + proposed("participants") + val(1)}},
                         col("participants") < val(100));
  EXPECT_FALSE(same_shape(base, other_column));
  Upsert nothing = counting(ab_table());
  nothing.do_nothing();
  EXPECT_FALSE(same_shape(base, nothing));
}

TEST(SameShape, ConstantsDifferByTypeAndBitsNotJustByValue) {
  Table t = Table("m").column("k", Type::int64).column("x", Type::float64).primary_key({"k"});
  auto with = [&](Value v) {
    Upsert s = insert_into(t);
    s.do_update({{"x", col("x") + val(std::move(v))}});
    return s;
  };
  EXPECT_TRUE(same_shape(with(0.5), with(0.5)));
  EXPECT_FALSE(same_shape(with(0.0), with(-0.0)));  // equal as doubles, bound differently
  EXPECT_FALSE(same_shape(with(1.0), with(std::int64_t{1})));
  EXPECT_FALSE(same_shape(with(Value()), with(0.0)));
  EXPECT_TRUE(same_shape(with(Value()), with(Value())));
}

TEST(SameShape, ColumnsTargetReturningAndTheTableItselfCount) {
  const Upsert base = counting(ab_table());
  Upsert fewer = counting(ab_table());
  fewer.columns({"ab_test_id", "version", "date", "hour", "participants"});
  EXPECT_FALSE(same_shape(base, fewer));
  Upsert returning = counting(ab_table());
  returning.returning({"participants"});
  EXPECT_FALSE(same_shape(base, returning));
  Upsert flag = counting(ab_table());
  flag.returning_inserted_flag();
  EXPECT_FALSE(same_shape(base, flag));
  // The same name, a column of another type (a table created again): other SQL on PostgreSQL.
  auto with_x = [](Type type) {
    Upsert s = insert_into(Table("m").column("k", Type::int64).column("x", type).primary_key({"k"}));
    s.do_update({{"x", proposed("x")}});
    return s;
  };
  EXPECT_TRUE(same_shape(with_x(Type::int64), with_x(Type::int64)));
  EXPECT_FALSE(same_shape(with_x(Type::int64), with_x(Type::float64)));
  EXPECT_FALSE(same_shape(base, counting(ab_table("ab_daily"))));
  // Two keys on one table: the target decides.
  Table two_keys = Table("u").column("id", Type::int64).column("email", Type::text).primary_key({"id"});
  two_keys.unique_key({"email"});
  Upsert by_id = insert_into(two_keys);
  by_id.do_nothing();
  Upsert by_email = insert_into(two_keys);
  by_email.on_conflict({"email"}).do_nothing();
  EXPECT_FALSE(same_shape(by_id, by_email));
  Upsert by_id_named = insert_into(two_keys);
  by_id_named.on_conflict({"id"}).do_nothing();
  EXPECT_TRUE(same_shape(by_id, by_id_named));
}

}  // namespace
}  // namespace upsert::testing
