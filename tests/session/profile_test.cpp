// Profiles through a connection: ?profile= in the URL, the engine named by the server's version,
// and what the profile changes where it can be run here. The distributed engines themselves cannot
// run on this machine; what runs is the SQL they are sent: the PostgreSQL forms on PostgreSQL, and
// the VALUES(`c`) form of TiDB and Vitess on MariaDB, which takes it too.

#include <gtest/gtest.h>

#include "render/fixtures.hpp"
#include "support/engines.hpp"

namespace upsert::testing {
namespace {

Table counters(const std::string& name) {
  return Table(name)
      .column("tenant_id", Type::int64, not_null)
      .column("name", Type::text, not_null)
      .column("hits", Type::int64, default_value(0), not_null)
      .unique_key({"tenant_id", "name"});
}

Upsert add_hits(const Table& table, std::vector<Row> rows) {
  Upsert s = insert_into(table);
  s.rows(std::move(rows)).do_update(add_proposed({"hits"}));
  return s;
}

TEST(Profile, DetectedFromTheServerVersion) {
  EXPECT_EQ(detect_profile("8.0.11-TiDB-v7.5.0"), Profile::tidb);
  EXPECT_EQ(detect_profile("8.0.30-Vitess"), Profile::vitess);
  EXPECT_EQ(detect_profile("11.2-YB-2.20.1.0-b0"), Profile::yugabytedb);
  EXPECT_EQ(detect_profile("10.11.6-MariaDB-0+deb12u1"), Profile::none);
  EXPECT_EQ(detect_profile("15.5 (Debian 15.5-0+deb12u1)"), Profile::none);
}

TEST(Profile, PlainUrlsHaveNone) {
  for (Engine e : all_engines()) {
    EXPECT_EQ(connect(engine_url(e)).render_options().profile, Profile::none) << engine_name(e);
  }
}

// CockroachDB's rules on a PostgreSQL server: batches go as multi-row VALUES (the profile's form,
// not unnest) and sum exactly; the inserted flag is refused before anything is sent.
TEST(Profile, CockroachdbProfileOnPostgresql) {
  Connection c = connect(with_parameter(engine_url(Engine::postgres), "profile=cockroachdb"));
  EXPECT_EQ(c.render_options().profile, Profile::cockroachdb);
  const Table table = counters(unique_table_name("crdb_profile"));
  c.create_table(table);
  for (int round = 0; round < 2; ++round) {
    BatchResult r = c.execute_batch(add_hits(table, {{1, "a", 2}, {1, "b", 3}, {1, "a", 5}, {2, "a", 7}}));
    EXPECT_EQ(r.merged_rows, 3u);
  }
  EXPECT_EQ(query_int(c, "SELECT SUM(hits) FROM " + quote_identifier(table.name(), Dialect::postgresql)), 34);
  EXPECT_EQ(query_int(c, "SELECT hits FROM " + quote_identifier(table.name(), Dialect::postgresql) +
                             " WHERE tenant_id = 1 AND name = 'a'"),
            14);
  Upsert flagged = add_hits(table, {{1, "a", 1}});
  flagged.returning({"hits"}).returning_inserted_flag();
  expect_error([&] { c.execute(flagged); }, ErrorCategory::unsupported, {"cockroachdb:", "xmax"});
  drop_table(c, table.name());
}

// Citus's rules on a PostgreSQL server: the distribution column from the URL; a key without it is
// refused, one with it written.
TEST(Profile, CitusProfileWithTheDistributionColumnFromTheUrl) {
  Connection c = connect(with_parameter(engine_url(Engine::postgres), "profile=citus&distribution_column=tenant_id"));
  EXPECT_EQ(c.render_options().distribution_column, "tenant_id");
  const Table table = counters(unique_table_name("citus_profile"));
  c.create_table(table);
  c.execute_batch(add_hits(table, {{1, "a", 2}, {2, "a", 3}}));
  EXPECT_EQ(query_int(c, "SELECT SUM(hits) FROM " + quote_identifier(table.name(), Dialect::postgresql)), 5);
  const Table by_name = Table(unique_table_name("citus_by_name"))
                            .column("tenant_id", Type::int64, not_null)
                            .column("name", Type::text, not_null)
                            .column("hits", Type::int64, default_value(0), not_null)
                            .unique_key({"name"});
  expect_error(
      [&] {
        c.execute(add_hits(by_name, {{1, "a", 1}}));
      },
      ErrorCategory::unsupported, {"citus:", "does not contain the distribution column \"tenant_id\""});
  drop_table(c, table.name());
}

TEST(Profile, AProfileForTheOtherProtocolIsRefusedAtConnect) {
  expect_error([] { connect(with_parameter(engine_url(Engine::postgres), "profile=tidb")); },
               ErrorCategory::invalid_argument, {"?profile=tidb is for the mysql dialect", "speaks postgresql"});
  expect_error([] { connect(with_parameter(engine_url(Engine::mariadb), "profile=vitess")); },
               ErrorCategory::invalid_argument, {"?profile=vitess is for the mysql dialect", "speaks mariadb"});
  expect_error([] { connect(with_parameter(engine_url(Engine::mariadb), "profile=spanner")); },
               ErrorCategory::invalid_argument, {"unknown profile \"spanner\""});
}

// The statement TiDB and Vitess are sent, run on MariaDB (which keeps VALUES(`c`) in ON DUPLICATE
// KEY UPDATE): two rounds of a two-row upsert sum exactly.
TEST(Profile, TidbStatementRunsOnMariadb) {
  Connection c = connect(engine_url(Engine::mariadb));
  const Table table = counters(unique_table_name("tidb_profile"));
  c.create_table(table);
  RenderOptions tidb;
  tidb.profile = Profile::tidb;
  const Sql sql = render(add_hits(table, {{1, "a", 2}, {1, "b", 3}}), Dialect::mysql, tidb);
  ASSERT_NE(sql.text.find("VALUES(`hits`)"), std::string::npos) << sql.text;
  c.execute_sql(sql);
  c.execute_sql(sql);
  EXPECT_EQ(query_int(c, "SELECT hits FROM " + quote_identifier(table.name(), Dialect::mariadb) +
                             " WHERE tenant_id = 1 AND name = 'a'"),
            4);
  EXPECT_EQ(query_int(c, "SELECT SUM(hits) FROM " + quote_identifier(table.name(), Dialect::mariadb)), 10);
  drop_table(c, table.name());
}

}  // namespace
}  // namespace upsert::testing
