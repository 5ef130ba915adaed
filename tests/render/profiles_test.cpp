// Profiles for distributed engines that cannot run on this machine: CockroachDB, YugabyteDB and
// Citus (PostgreSQL dialect), TiDB and Vitess (MySQL dialect). Each rule is checked on paper, from
// the engine's documentation cited beside its test; the PostgreSQL forms are the ones the driver
// tests execute on PostgreSQL, and the VALUES(`c`) form of TiDB and Vitess is executed on MariaDB
// by tests/session/profile_test.cpp.

#include <gtest/gtest.h>

#include "render/fixtures.hpp"

namespace upsert::testing {
namespace {

const std::string postgresql_one_row =
    R"(INSERT INTO "ab_hourly" ("ab_test_id", "version", "date", "hour", "participants", "conversions") )"
    R"(VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT ("ab_test_id", "version", "date", "hour") DO UPDATE SET )"
    R"("participants" = "ab_hourly"."participants" + EXCLUDED."participants", )"
    R"("conversions" = "ab_hourly"."conversions" + EXCLUDED."conversions")";

// TiDB and Vitess: MySQL's statement without the `AS new` row alias.
const std::string values_function_two_rows =
    "INSERT INTO `ab_hourly` (`ab_test_id`, `version`, `date`, `hour`, `participants`, `conversions`) "
    "VALUES (?, ?, ?, ?, ?, ?), (?, ?, ?, ?, ?, ?) ON DUPLICATE KEY UPDATE "
    "`participants` = `participants` + VALUES(`participants`), `conversions` = `conversions` + VALUES(`conversions`)";

RenderOptions with_profile(Profile profile, std::string distribution_column = {}) {
  RenderOptions options;
  options.profile = profile;
  options.distribution_column = std::move(distribution_column);
  return options;
}

// Events per tenant: the shape Citus and Vitess shard (by tenant_id).
Table tenant_events(std::vector<std::string> key) {
  return Table("events")
      .column("tenant_id", Type::int64, not_null)
      .column("name", Type::text, not_null)
      .column("hits", Type::int64, default_value(0), not_null)
      .unique_key(std::move(key));
}

// CockroachDB, "INSERT ... ON CONFLICT" (cockroachlabs.com/docs/stable/insert, /upsert): the
// PostgreSQL form, EXCLUDED and RETURNING included. Its UPSERT statement is not used: it always
// arbitrates on the primary key and writes every column, where ON CONFLICT takes any unique key and
// keeps expression updates.
TEST(Profiles, CockroachdbRendersPostgresqlOnConflict) {
  EXPECT_EQ(render(ab_upsert(1), Dialect::postgresql, with_profile(Profile::cockroachdb)).text, postgresql_one_row);
}

// YugabyteDB YSQL INSERT (docs.yugabyte.com/stable/api/ysql/the-sql-language/statements/dml_insert):
// the grammar is PostgreSQL's, ON CONFLICT (target) DO UPDATE ... [WHERE] and RETURNING.
TEST(Profiles, YugabytedbRendersPostgresqlOnConflict) {
  EXPECT_EQ(render(ab_upsert(1), Dialect::postgresql, with_profile(Profile::yugabytedb)).text, postgresql_one_row);
}

// Neither has PostgreSQL's xmax system column, from which the inserted flag is read: YugabyteDB
// lists xmin, xmax, cmin, cmax and ctid as unsupported (yugabyte-db issue 24843); CockroachDB keeps
// MVCC in its own storage and will not emulate them (cockroach issue 20641).
TEST(Profiles, CockroachdbAndYugabytedbRefuseTheInsertedFlag) {
  for (Profile p : {Profile::cockroachdb, Profile::yugabytedb}) {
    Upsert s = ab_upsert(1);
    s.returning({"participants"}).returning_inserted_flag();
    expect_error([&] { render(s, Dialect::postgresql, with_profile(p)); }, ErrorCategory::unsupported,
                 {std::string(profile_name(p)) + ":", "xmax", "drop returning_inserted_flag"});
    s.returning_inserted_flag(false);
    EXPECT_NE(render(s, Dialect::postgresql, with_profile(p)).text.find(R"(RETURNING "participants")"),
              std::string::npos);
  }
}

// Citus: unique constraints of a distributed table must include the distribution column
// (docs.citusdata.com, "Distributed tables": "cannot create constraint ... that do not include the
// partition column"), so a conflict target without it cannot name any key.
TEST(Profiles, CitusRendersPostgresqlWhenTheTargetHasTheDistributionColumn) {
  EXPECT_EQ(render(ab_upsert(1), Dialect::postgresql, with_profile(Profile::citus, "ab_test_id")).text,
            postgresql_one_row);
}

TEST(Profiles, CitusRefusesATargetWithoutTheDistributionColumn) {
  Upsert s = insert_into(tenant_events({"name"}));
  s.row({1, "signup", 1}).on_conflict({"name"}).do_update(add_proposed({"hits"}));
  expect_error([&] { render(s, Dialect::postgresql, with_profile(Profile::citus, "tenant_id")); },
               ErrorCategory::unsupported,
               {"citus:", "does not contain the distribution column \"tenant_id\"", "add \"tenant_id\""});
}

TEST(Profiles, CitusNeedsTheDistributionColumnNamed) {
  expect_error([&] { render(ab_upsert(1), Dialect::postgresql, with_profile(Profile::citus)); },
               ErrorCategory::unsupported, {"citus:", "RenderOptions::distribution_column", "reference or local"});
  expect_error([&] { render(ab_upsert(1), Dialect::postgresql, with_profile(Profile::citus, "tenant")); },
               ErrorCategory::invalid_argument, {"\"tenant\" is not a column of table \"ab_hourly\""});
}

// Citus: "modifying the partition value of rows is not allowed" (an UPDATE may not move a row to
// another shard); Vitess: the primary vindex column cannot be changed (vitess.io/docs, "Vindexes",
// the primary vindex; issue 3596).
TEST(Profiles, CitusAndVitessRefuseUpdatingTheDistributionColumn) {
  for (auto [profile, dialect] : {std::pair{Profile::citus, Dialect::postgresql}, {Profile::vitess, Dialect::mysql}}) {
    Upsert s = insert_into(tenant_events({"tenant_id", "name"}));
    s.row({1, "signup", 1})
        .do_update({Assignment("tenant_id", proposed("tenant_id")), Assignment("hits", Aggregate::sum)});
    expect_error([&] { render(s, dialect, with_profile(profile, "tenant_id")); }, ErrorCategory::unsupported,
                 {std::string(profile_name(profile)) + ":", "sets the", "\"tenant_id\"", "drop that assignment"});
  }
}

// TiDB: INSERT ... ON DUPLICATE KEY UPDATE with VALUES(col) (docs.pingcap.com/tidb/stable/
// sql-statement-insert); the MySQL 8.0.19 row alias `AS new` is a syntax error (tidb issues 29259,
// 51650) or, where recent parsers accept it, never bound ("Unknown column 'new.c'", issue 70814).
TEST(Profiles, TidbRendersValuesFunctionInsteadOfTheRowAlias) {
  EXPECT_EQ(render(ab_upsert(2), Dialect::mysql, with_profile(Profile::tidb)).text, values_function_two_rows);
}

// Vitess: the row alias is not supported by vtgate's parser (vitess issue 15509: Rails broke on it),
// VALUES(col) is (issue 3848 and its tests); a unique key is enforced by each shard's MySQL on its
// own rows, so the target must contain the primary vindex column for a key to be unique at all.
TEST(Profiles, VitessRendersValuesFunctionAndNeedsThePrimaryVindexInTheTarget) {
  EXPECT_EQ(render(ab_upsert(2), Dialect::mysql, with_profile(Profile::vitess, "ab_test_id")).text,
            values_function_two_rows);
  Upsert s = insert_into(tenant_events({"name"}));
  s.row({1, "signup", 1}).do_update(add_proposed({"hits"}));
  expect_error([&] { render(s, Dialect::mysql, with_profile(Profile::vitess, "tenant_id")); },
               ErrorCategory::unsupported,
               {"vitess:", "primary vindex column \"tenant_id\"", "another shard would be inserted again"});
  expect_error([&] { render(s, Dialect::mysql, with_profile(Profile::vitess)); }, ErrorCategory::unsupported,
               {"vitess:", "unsharded keyspace"});
}

// TiDB and Vitess keep every MySQL rule: no RETURNING, a condition as IF(), other unique keys refused.
TEST(Profiles, TidbAndVitessKeepMysqlRules) {
  Upsert returning = ab_upsert(1);
  returning.returning({"participants"});
  expect_error([&] { render(returning, Dialect::mysql, with_profile(Profile::tidb)); }, ErrorCategory::unsupported,
               {"no RETURNING"});
  Upsert conditional = insert_into(tenant_events({"tenant_id", "name"}));
  conditional.row({1, "signup", 1}).do_update(add_proposed({"hits"}), col("hits") < 100);
  EXPECT_EQ(render(conditional, Dialect::mysql, with_profile(Profile::vitess, "tenant_id")).text,
            "INSERT INTO `events` (`tenant_id`, `name`, `hits`) VALUES (?, ?, ?) ON DUPLICATE KEY UPDATE "
            "`hits` = IF(`hits` < ?, `hits` + VALUES(`hits`), `hits`)");
}

TEST(Profiles, AProfileOnAnotherDialectIsAnError) {
  expect_error([&] { render(ab_upsert(1), Dialect::mariadb, with_profile(Profile::tidb)); },
               ErrorCategory::invalid_argument, {"tidb profile is for the mysql dialect", "Dialect::mysql"});
  expect_error([&] { render(ab_upsert(1), Dialect::mysql, with_profile(Profile::cockroachdb)); },
               ErrorCategory::invalid_argument, {"cockroachdb profile is for the postgresql dialect"});
}

TEST(Profiles, NamesRoundTrip) {
  for (Profile p :
       {Profile::none, Profile::cockroachdb, Profile::yugabytedb, Profile::citus, Profile::tidb, Profile::vitess}) {
    EXPECT_EQ(parse_profile(profile_name(p)), p);
  }
  EXPECT_EQ(parse_profile("crdb"), Profile::cockroachdb);
  EXPECT_EQ(parse_profile("yb"), Profile::yugabytedb);
  EXPECT_EQ(profile_dialect(Profile::citus), Dialect::postgresql);
  EXPECT_EQ(profile_dialect(Profile::vitess), Dialect::mysql);
  expect_error([] { parse_profile("spanner"); }, ErrorCategory::invalid_argument, {"unknown profile \"spanner\""});
  expect_error([] { profile_dialect(Profile::none); }, ErrorCategory::invalid_argument, {"no dialect"});
}

}  // namespace
}  // namespace upsert::testing
