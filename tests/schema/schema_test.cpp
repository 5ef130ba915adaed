// The schema stage: identifiers, columns, defaults, identity columns and unique keys, checked as
// the table is built (no SQL involved).

#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "render/fixtures.hpp"

namespace upsert::testing {
namespace {

TEST(Identifier, AcceptsPortableNames) {
  for (const std::string& name :
       std::vector<std::string>{"a", "_x", "AbTest_2", "hour", "select", std::string(63, 'z')}) {
    EXPECT_NO_THROW(validate_identifier(name, "column")) << name;
  }
}

TEST(Identifier, RefusalsNameWhatAndWhy) {
  expect_error([] { validate_identifier("9lives", "column"); }, ErrorCategory::invalid_argument,
               {"column name \"9lives\" must start with a letter or '_'"});
  expect_error([] { validate_identifier(std::string(64, 'a'), "table"); }, ErrorCategory::invalid_argument,
               {"is 64 characters long", "limit is 63"});
  expect_error([] { validate_identifier("", "key"); }, ErrorCategory::invalid_argument, {"empty key name"});
  expect_error([] { validate_identifier("a-b", "column"); }, ErrorCategory::invalid_argument,
               {"contains '-'", "quotes the same way on every engine"});
}

// True when `s` is well-formed UTF-8 (lead bytes followed by their continuation bytes).
bool valid_utf8(const std::string& s) {
  for (std::size_t i = 0; i < s.size();) {
    const auto c = static_cast<unsigned char>(s[i]);
    const std::size_t n = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xE ? 3 : (c >> 3) == 0x1E ? 4 : 0;
    if (n == 0 || i + n > s.size()) return false;
    for (std::size_t k = 1; k < n; ++k) {
      if ((static_cast<unsigned char>(s[i + k]) >> 6) != 0x2) return false;
    }
    i += n;
  }
  return true;
}

TEST(Identifier, RefusalOfANonAsciiCharacterQuotesItWhole) {
  for (const std::string& name :
       {std::string("caf\xc3\xa9"), std::string("n\xe2\x82\xacw"), std::string("x\xf0\x9f\x98\x80")}) {
    try {
      validate_identifier(name, "column");
      ADD_FAILURE() << "accepted " << name;
    } catch (const Error& e) {
      const std::string message = e.what();
      EXPECT_TRUE(valid_utf8(message)) << message;
      EXPECT_NE(message.find("contains '"), std::string::npos) << message;
    }
  }
  expect_error([] { validate_identifier("caf\xc3\xa9", "column"); }, ErrorCategory::invalid_argument,
               {"contains '\xc3\xa9'"});
}

TEST(Columns, KeepDeclarationOrderAndOptions) {
  Table t = Table("t")
                .column("a", Type::int64, not_null)
                .column("b", Type::text, default_value("x"))
                .column("c", Type::float64, default_value(1), not_null)
                .column("id", Type::int64, identity);
  ASSERT_EQ(t.columns().size(), 4u);
  EXPECT_EQ(t.columns()[0].name, "a");
  EXPECT_FALSE(t.columns()[0].nullable);
  EXPECT_TRUE(t.columns()[1].nullable);
  EXPECT_EQ(t.columns()[1].default_value, Value("x"));
  EXPECT_EQ(t.columns()[2].default_value, Value(1));  // an int64 default fits a float64 column
  EXPECT_TRUE(t.columns()[3].identity);
  EXPECT_EQ(t.find_column("b"), &t.columns()[1]);
  EXPECT_EQ(t.find_column("B"), nullptr);  // lookups are exact; only duplicates ignore case
  EXPECT_EQ(&t.column_named("c"), &t.columns()[2]);
}

TEST(Columns, DuplicatesAreRefusedIgnoringCase) {
  expect_error([] { Table("t").column("a", Type::int64).column("a", Type::text); }, ErrorCategory::invalid_argument,
               {"table \"t\" already has a column \"a\""});
  // "Hits" and "hits" are one column on Oracle (upper-cased) and on MySQL, SQLite and SQL Server.
  expect_error([] { Table("t").column("hits", Type::int64).column("Hits", Type::int64); },
               ErrorCategory::invalid_argument, {"already has a column \"hits\"", "differ only in case"});
}

TEST(Columns, UnknownColumnNamesTheTablesColumns) {
  Table t = Table("t").column("a", Type::int64).column("b", Type::int64);
  expect_error([&] { t.column_named("c"); }, ErrorCategory::invalid_argument,
               {"table \"t\" has no column \"c\" (its columns: a, b)"});
}

TEST(Defaults, AreTypeChecked) {
  expect_error([] { Table("t").column("n", Type::int64, default_value("zero")); }, ErrorCategory::invalid_argument,
               {"default \"zero\" of column \"n\" is not of its type int64"});
  expect_error([] { Table("t").column("d", Type::date, default_value("2026-01-01")); }, ErrorCategory::invalid_argument,
               {"is not of its type date"});
  expect_error([] { Table("t").column("b", Type::boolean, default_value(1)); }, ErrorCategory::invalid_argument,
               {"is not of its type bool"});
  EXPECT_NO_THROW(Table("t").column("x", Type::float64, default_value(2)));
  EXPECT_NO_THROW(Table("t").column("s", Type::text, default_value(nullptr)));
}

TEST(Identity, MustBeAnInt64WithoutDefaultAndAloneInItsTable) {
  expect_error([] { Table("t").column("id", Type::text, identity); }, ErrorCategory::invalid_argument,
               {"identity column \"id\" must be int64"});
  expect_error([] { Table("t").column("id", Type::int64, identity, default_value(1)); },
               ErrorCategory::invalid_argument, {"identity column \"id\" cannot have a default"});
  expect_error([] { Table("t").column("id", Type::int64, identity).column("seq", Type::int64, identity); },
               ErrorCategory::invalid_argument, {"already has the identity column \"id\"", "one per table"});
}

TEST(Keys, GeneratedNames) {
  Table t = Table("orders")
                .column("id", Type::int64)
                .column("shop", Type::int64)
                .column("number", Type::text)
                .primary_key({"id"})
                .unique_key({"shop", "number"})
                .unique_key({"number"}, "orders_by_number");
  ASSERT_EQ(t.unique_keys().size(), 3u);
  EXPECT_EQ(t.unique_keys()[0].name, "orders_pkey");
  EXPECT_TRUE(t.unique_keys()[0].primary);
  EXPECT_EQ(t.unique_keys()[1].name, "orders_shop_number_key");
  EXPECT_EQ(t.unique_keys()[2].name, "orders_by_number");
}

// Long generated names are cut to 56 characters plus "_" and 6 hex digits of a hash of the whole
// name (FNV-1a, the same on every compiler), so they stay within 63 and stay distinct.
TEST(Keys, LongGeneratedNamesAreTruncatedAndHashed) {
  Table t = Table("experiment_assignments_by_hour")
                .column("experiment_identifier", Type::int64)
                .column("variant_name", Type::text)
                .column("bucket_hour", Type::int64)
                .column("other_bucket_hour", Type::int64)
                .unique_key({"experiment_identifier", "variant_name", "bucket_hour"})
                .unique_key({"experiment_identifier", "variant_name", "other_bucket_hour"});
  const std::string& first = t.unique_keys()[0].name;
  const std::string& second = t.unique_keys()[1].name;
  EXPECT_EQ(first, "experiment_assignments_by_hour_experiment_identifier_var_93809a");
  EXPECT_EQ(first.size(), 63u);
  EXPECT_LE(second.size(), 63u);
  EXPECT_EQ(first.substr(0, 56), second.substr(0, 56));
  EXPECT_NE(first, second);
}

// A 63-character table name is valid, so its primary key name must fit too.
TEST(Keys, PrimaryKeyNameOfALongTableFits) {
  const std::string table(63, 't');
  Table t = Table(table).column("id", Type::int64).primary_key({"id"});
  EXPECT_EQ(t.unique_keys()[0].name, std::string(56, 't') + "_54204b");
  EXPECT_EQ(Table("short").column("id", Type::int64).primary_key({"id"}).unique_keys()[0].name, "short_pkey");
}

TEST(Keys, KeyColumnsBecomeNotNull) {
  Table t = Table("t")
                .column("a", Type::int64)
                .column("b", Type::text)
                .column("c", Type::text)
                .column("d", Type::text)
                .primary_key({"a"})
                .unique_key({"b"})
                .unique_key_nulls_not_distinct({"c"});
  EXPECT_FALSE(t.column_named("a").nullable);
  EXPECT_FALSE(t.column_named("b").nullable);
  EXPECT_TRUE(t.column_named("c").nullable);  // NULLs conflict in a NULLS NOT DISTINCT key
  EXPECT_TRUE(t.column_named("d").nullable);
  EXPECT_TRUE(t.unique_keys()[2].nulls_not_distinct);
}

TEST(Keys, PrimaryKeyComesFirstWhateverTheOrder) {
  Table t = Table("t").column("a", Type::int64).column("b", Type::int64).unique_key({"b"}).primary_key({"a"});
  EXPECT_TRUE(t.unique_keys()[0].primary);
  EXPECT_EQ(t.unique_keys()[1].name, "t_b_key");
}

TEST(Keys, FindKeyIgnoresColumnOrder) {
  Table t = ab_table();
  const UniqueKey* key = t.find_key({"hour", "ab_test_id", "date", "version"});
  ASSERT_NE(key, nullptr);
  EXPECT_EQ(key->columns, (std::vector<std::string>{"ab_test_id", "version", "date", "hour"}));
  EXPECT_EQ(t.find_key({"ab_test_id", "version", "date"}), nullptr);
  EXPECT_EQ(t.find_key({"ab_test_id", "version", "date", "hour", "participants"}), nullptr);
  EXPECT_EQ(t.find_key_named("ab_hourly_ab_test_id_version_date_hour_key"), key);
  EXPECT_EQ(t.find_key_named("nope"), nullptr);
}

// The full key wins over a partial key on the same columns: it is the one ON CONFLICT infers
// without a predicate.
TEST(Keys, FindKeyPrefersTheFullKey) {
  Table t = Table("t")
                .column("k", Type::int64)
                .column("live", Type::boolean)
                .partial_unique_key({"k"}, col("live"), "t_live_k")
                .unique_key({"k"});
  ASSERT_NE(t.find_key({"k"}), nullptr);
  EXPECT_EQ(t.find_key({"k"})->name, "t_k_key");
  ASSERT_NE(t.find_key_named("t_live_k"), nullptr);
  EXPECT_TRUE(t.find_key_named("t_live_k")->where.has_value());
}

TEST(Keys, Refusals) {
  auto base = [] { return Table("t").column("a", Type::int64).column("b", Type::int64); };
  expect_error([&] { base().unique_key({}); }, ErrorCategory::invalid_argument, {"needs columns"});
  expect_error([&] { base().unique_key({"a", "a"}); }, ErrorCategory::invalid_argument, {"names column \"a\" twice"});
  expect_error([&] { base().unique_key({"c"}); }, ErrorCategory::invalid_argument, {"no column \"c\""});
  expect_error([&] { base().unique_key({"a"}).unique_key({"a"}, "other"); }, ErrorCategory::invalid_argument,
               {"already has a unique key on (a)"});
  expect_error([&] { base().primary_key({"a"}).primary_key({"b"}); }, ErrorCategory::invalid_argument,
               {"already has a primary key"});
  expect_error([&] { base().unique_key({"a"}, "k1").unique_key({"b"}, "K1"); }, ErrorCategory::invalid_argument,
               {"already has a key named \"k1\""});
}

// The predicate of a partial key is written into SQL: every column in it must be the table's own,
// and there is no proposed row in an index.
TEST(Keys, PartialKeyPredicateReadsOnlyTheTablesColumns) {
  auto base = [] { return Table("t").column("k", Type::int64).column("live", Type::boolean); };
  expect_error([&] { base().partial_unique_key({"k"}, col("x\" OR 1=1 --") == true); }, ErrorCategory::invalid_argument,
               {"no column \"x\" OR 1=1 --\""});
  expect_error([&] { base().partial_unique_key({"k"}, proposed("live")); }, ErrorCategory::invalid_argument,
               {"reads proposed(\"live\")", "use col(\"live\")"});
  EXPECT_NO_THROW(base().partial_unique_key({"k"}, is_not_null(col("live")) && col("live") == true));
}

}  // namespace
}  // namespace upsert::testing
