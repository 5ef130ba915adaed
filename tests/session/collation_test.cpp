// Issue 14, problem 4: a table made by hand or by an ORM can have a key collation under which keys
// the library keeps apart are one key to the engine ('a' and 'A', 'a' and 'a '). The connection
// reads the key columns' collations the first time it writes to a table: it warns where keys
// merge (Connection::warnings()), and on PostgreSQL, where two such keys in one statement fail the
// whole statement (21000, which was reported as a bug of the library), batches go one row per
// statement.

#include <gtest/gtest.h>

#include <string>

#include "support/engines.hpp"

namespace upsert::testing {
namespace {

// A table with a text key `k` and a counter `n`, as the library describes it.
Table text_counter(const std::string& name) {
  return Table(name).column("k", Type::text).column("n", Type::int64, default_value(0), not_null).unique_key({"k"});
}

Upsert adding(const Table& t, std::vector<Row> rows) {
  Upsert s = insert_into(std::make_shared<const Table>(t));
  for (auto& row : rows) s.row(std::move(row));
  s.on_conflict({"k"}).do_update(add_proposed({"n"}));
  return s;
}

std::int64_t rows_in(Connection& c, const Table& t) {
  return query_int(c, "SELECT COUNT(*) FROM " + quote_identifier(t.name(), c.dialect()));
}

std::int64_t total_in(Connection& c, const Table& t) {
  return query_int(c, "SELECT SUM(n) FROM " + quote_identifier(t.name(), c.dialect()));
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST(KeyCollations, PostgresqlNondeterministicCollationBatchesRowByRowAndWarns) {
  Connection c = connect(engine_url(Engine::postgres));
  try {
    c.execute_script(
        "CREATE COLLATION IF NOT EXISTS upsert_test_ci (provider = icu, locale = 'und-u-ks-level2', "
        "deterministic = false)");
  } catch (const Error& e) {
    // Another process may have made it between the check and the insert; it must exist now.
    ASSERT_EQ(query_int(c, "SELECT COUNT(*) FROM pg_collation WHERE collname = 'upsert_test_ci'"), 1) << e.what();
  }
  const Table t = text_counter(unique_table_name("ci_keys"));
  const std::string name = quote_identifier(t.name(), Dialect::postgresql);
  c.execute_script("CREATE TABLE " + name + " (k TEXT COLLATE upsert_test_ci UNIQUE, n BIGINT NOT NULL DEFAULT 0)");

  // Before: one statement with 'a' and 'A', refused whole with category internal.
  BatchResult r = c.execute_batch(adding(t, {{"a", 1}, {"A", 2}, {"b", 4}}));
  EXPECT_EQ(r.statements, 3u) << "one row per statement on this table";
  EXPECT_EQ(rows_in(c, t), 2);
  EXPECT_EQ(total_in(c, t), 7);
  EXPECT_EQ(query_int(c, "SELECT n FROM " + name + " WHERE k = 'a'"), 3);
  ASSERT_EQ(c.warnings().size(), 1u);
  EXPECT_TRUE(contains(c.warnings()[0], "upsert_test_ci")) << c.warnings()[0];
  EXPECT_TRUE(contains(c.warnings()[0], "\"k\"")) << c.warnings()[0];
  EXPECT_TRUE(contains(c.warnings()[0], "COLLATE \"C\"")) << c.warnings()[0];

  // Read once per table and connection: no second warning.
  c.execute_batch(adding(t, {{"B", 1}}));
  EXPECT_EQ(c.warnings().size(), 1u);
  EXPECT_EQ(total_in(c, t), 8);

  // One statement of two such rows, sent by execute(), is the caller's to fix, and says how.
  try {
    c.execute(adding(t, {{"c", 1}, {"C", 1}}));
    ADD_FAILURE() << "PostgreSQL took 'c' and 'C' in one statement under a case-insensitive key";
  } catch (const Error& e) {
    EXPECT_EQ(e.engine_code(), "21000") << e.what();
    EXPECT_EQ(e.category(), ErrorCategory::invalid_argument) << e.what();
    EXPECT_TRUE(contains(e.what(), "execute_batch")) << e.what();
  }
  EXPECT_EQ(total_in(c, t), 8);
  drop_table(c, t.name());

  // A table the library creates has the default, deterministic collation: no warning.
  Connection fresh = connect(engine_url(Engine::postgres));
  const Table own = text_counter(unique_table_name("own_keys"));
  fresh.create_table(own);
  r = fresh.execute_batch(adding(own, {{"a", 1}, {"A", 2}}));
  EXPECT_EQ(r.statements, 1u);
  EXPECT_EQ(rows_in(fresh, own), 2);
  EXPECT_TRUE(fresh.warnings().empty());
  drop_table(fresh, own.name());
}

TEST(KeyCollations, MariadbCaseInsensitivePadSpaceCollationWarns) {
  Connection c = connect(engine_url(Engine::mariadb));
  const Table t = text_counter(unique_table_name("ci_keys"));
  const std::string name = quote_identifier(t.name(), Dialect::mariadb);
  // What a Django model's table gets on MariaDB: the server's default collation.
  c.execute_script("CREATE TABLE " + name +
                   " (k VARCHAR(20) COLLATE utf8mb4_general_ci, n BIGINT NOT NULL DEFAULT 0, UNIQUE (k))");
  c.execute_batch(adding(t, {{"a", 1}, {"A", 2}, {"a ", 4}}));
  EXPECT_EQ(rows_in(c, t), 1) << "the engine merges these keys; the library cannot keep them apart";
  EXPECT_EQ(total_in(c, t), 7) << "but nothing is lost";
  ASSERT_EQ(c.warnings().size(), 1u);
  EXPECT_TRUE(contains(c.warnings()[0], "utf8mb4_general_ci")) << c.warnings()[0];
  EXPECT_TRUE(contains(c.warnings()[0], "letter case")) << c.warnings()[0];
  EXPECT_TRUE(contains(c.warnings()[0], "utf8mb4_nopad_bin")) << c.warnings()[0];
  drop_table(c, t.name());

  // A binary collation that pads: 'a' and 'a ' only.
  const Table padded = text_counter(unique_table_name("bin_keys"));
  c.execute_script("CREATE TABLE " + quote_identifier(padded.name(), Dialect::mariadb) +
                   " (k VARCHAR(20) COLLATE utf8mb4_bin, n BIGINT NOT NULL DEFAULT 0, UNIQUE (k))");
  c.execute(adding(padded, {{"a", 1}}));
  ASSERT_EQ(c.warnings().size(), 2u);
  EXPECT_TRUE(contains(c.warnings()[1], "trailing spaces")) << c.warnings()[1];
  EXPECT_FALSE(contains(c.warnings()[1], "letter case")) << c.warnings()[1];
  drop_table(c, padded.name());

  // The library's own tables (utf8mb4_nopad_bin) keep all three apart, without a warning.
  Connection fresh = connect(engine_url(Engine::mariadb));
  const Table own = text_counter(unique_table_name("own_keys"));
  fresh.create_table(own);
  fresh.execute_batch(adding(own, {{"a", 1}, {"A", 2}, {"a ", 4}}));
  EXPECT_EQ(rows_in(fresh, own), 3);
  EXPECT_TRUE(fresh.warnings().empty());
  drop_table(fresh, own.name());
}

TEST(KeyCollations, SqliteNocaseKeyWarns) {
  Connection c = connect(engine_url(Engine::sqlite));
  const Table t = text_counter(unique_table_name("ci_keys"));
  c.execute_script("CREATE TABLE " + quote_identifier(t.name(), Dialect::sqlite) +
                   " (k TEXT COLLATE NOCASE UNIQUE, n INTEGER NOT NULL DEFAULT 0)");
  c.execute_batch(adding(t, {{"a", 1}, {"A", 2}}));
  EXPECT_EQ(rows_in(c, t), 1);
  EXPECT_EQ(total_in(c, t), 3);
  ASSERT_EQ(c.warnings().size(), 1u);
  EXPECT_TRUE(contains(c.warnings()[0], "NOCASE")) << c.warnings()[0];

  Connection fresh = connect(engine_url(Engine::sqlite));
  const Table own = text_counter(unique_table_name("own_keys"));
  fresh.create_table(own);
  fresh.execute_batch(adding(own, {{"a", 1}, {"A", 2}}));
  EXPECT_EQ(rows_in(fresh, own), 2);
  EXPECT_TRUE(fresh.warnings().empty());
}

}  // namespace
}  // namespace upsert::testing
