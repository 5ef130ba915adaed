// Golden SQL for the clauses around the expressions, in all six dialects: DO NOTHING, DO UPDATE
// with a condition, RETURNING and the inserted flag, the conflict target (by columns, by key name,
// a partial key, a NULLS NOT DISTINCT key) and the key lookup SQLite's inserted flag runs. Whole statements are
// compared, so a failure prints both strings in full.

#include <gtest/gtest.h>

#include <map>
#include <string>
#include <vector>

#include "render/fixtures.hpp"
#include "render/select.hpp"

namespace upsert::testing {
namespace {

using detail::render_key_lookup;

using Goldens = std::map<Dialect, std::string>;

// Hit counts per path, with the time of the last hit.
Table pages_table() {
  return Table("pages")
      .column("path", Type::text)
      .column("hits", Type::int64, default_value(0), not_null)
      .column("updated", Type::timestamp)
      .primary_key({"path"});
}

Timestamp at(const char* text) {
  return Timestamp::parse(text);
}

Upsert pages_upsert() {
  Upsert s = insert_into(pages_table());
  s.row({"/a", 1, at("2026-11-26 13:00:00")});
  return s;
}

void expect_goldens(const Upsert& s, const Goldens& goldens) {
  for (const auto& [dialect, sql] : goldens) {
    EXPECT_EQ(render(s, dialect).text, sql) << "dialect: " << dialect_name(dialect);
  }
}

// MySQL and MariaDB have no DO NOTHING: a no-op assignment keeps the row (INSERT IGNORE would also
// hide conversion and constraint errors). MERGE simply leaves out WHEN MATCHED.
TEST(DoNothing, EveryDialect) {
  Upsert s = ab_upsert(1);
  s.do_nothing();
  expect_goldens(
      s,
      {
          {Dialect::sqlite,
           R"(INSERT INTO "ab_hourly" ("ab_test_id", "version", "date", "hour", "participants", "conversions") )"
           R"(VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT ("ab_test_id", "version", "date", "hour") DO NOTHING)"},
          {Dialect::postgresql,
           R"(INSERT INTO "ab_hourly" ("ab_test_id", "version", "date", "hour", "participants", "conversions") )"
           R"(VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT ("ab_test_id", "version", "date", "hour") DO NOTHING)"},
          {Dialect::mysql,
           "INSERT INTO `ab_hourly` (`ab_test_id`, `version`, `date`, `hour`, `participants`, `conversions`) "
           "VALUES (?, ?, ?, ?, ?, ?) AS `new` ON DUPLICATE KEY UPDATE `ab_test_id` = `ab_test_id`"},
          {Dialect::mariadb,
           "INSERT INTO `ab_hourly` (`ab_test_id`, `version`, `date`, `hour`, `participants`, `conversions`) "
           "VALUES (?, ?, ?, ?, ?, ?) ON DUPLICATE KEY UPDATE `ab_test_id` = `ab_test_id`"},
          {Dialect::oracle,
           R"(MERGE INTO "AB_HOURLY" t USING (SELECT :1 AS "AB_TEST_ID", :2 AS "VERSION", :3 AS "DATE", )"
           R"(:4 AS "HOUR", :5 AS "PARTICIPANTS", :6 AS "CONVERSIONS" FROM dual) s ON (t."AB_TEST_ID" = )"
           R"(s."AB_TEST_ID" AND t."VERSION" = s."VERSION" AND t."DATE" = s."DATE" AND t."HOUR" = s."HOUR") )"
           R"(WHEN NOT MATCHED THEN INSERT ("AB_TEST_ID", "VERSION", "DATE", "HOUR", "PARTICIPANTS", "CONVERSIONS") )"
           R"(VALUES (s."AB_TEST_ID", s."VERSION", s."DATE", s."HOUR", s."PARTICIPANTS", s."CONVERSIONS"))"},
          {Dialect::sqlserver,
           "MERGE INTO [ab_hourly] WITH (UPDLOCK, HOLDLOCK) AS t USING (VALUES (@p1, @p2, @p3, @p4, @p5, @p6)) AS s "
           "([ab_test_id], [version], [date], [hour], [participants], [conversions]) ON t.[ab_test_id] = "
           "s.[ab_test_id] AND t.[version] = s.[version] AND t.[date] = s.[date] AND t.[hour] = s.[hour] "
           "WHEN NOT MATCHED THEN INSERT ([ab_test_id], [version], [date], [hour], [participants], [conversions]) "
           "VALUES (s.[ab_test_id], s.[version], s.[date], s.[hour], s.[participants], s.[conversions]);"},
      });
}

// Last write wins, two rows: the condition's value takes the placeholder after the rows'. MySQL
// and MariaDB have no WHERE there: each assignment keeps the old value unless the condition holds,
// and "hits" moves first because the condition reads "updated", which the other assignment
// overwrites. MERGE puts the condition in UPDATE ... WHERE (Oracle) or WHEN MATCHED AND (SQL Server).
TEST(DoUpdateWhere, EveryDialectWithTwoRows) {
  Upsert s = insert_into(pages_table());
  s.row({"/a", 1, at("2026-11-26 13:00:00")}).row({"/b", 2, at("2026-11-26 14:00:00")});
  s.do_update({{"updated", proposed("updated")}, {"hits", col("hits") + proposed("hits")}},
              proposed("updated") > col("updated") && proposed("hits") < 1000);
  expect_goldens(
      s,
      {
          {Dialect::sqlite,
           R"(INSERT INTO "pages" ("path", "hits", "updated") VALUES (?, ?, ?), (?, ?, ?) ON CONFLICT ("path") )"
           R"(DO UPDATE SET "updated" = excluded."updated", "hits" = )" +
               sqlite_checked(R"("pages"."hits" + excluded."hits")") +
               R"( )"
               R"(WHERE (excluded."updated" > "pages"."updated") AND (excluded."hits" < ?))"},
          {Dialect::postgresql,
           R"(INSERT INTO "pages" ("path", "hits", "updated") VALUES ($1, $2, $3), ($4, $5, $6) ON CONFLICT ("path") )"
           R"(DO UPDATE SET "updated" = EXCLUDED."updated", "hits" = "pages"."hits" + EXCLUDED."hits" )"
           R"(WHERE (EXCLUDED."updated" > "pages"."updated") AND (EXCLUDED."hits" < $7))"},
          {Dialect::mysql,
           "INSERT INTO `pages` (`path`, `hits`, `updated`) VALUES (?, ?, ?), (?, ?, ?) AS `new` ON DUPLICATE KEY "
           "UPDATE `hits` = IF((`new`.`updated` > `updated`) AND (`new`.`hits` < ?), `hits` + `new`.`hits`, `hits`), "
           "`updated` = IF((`new`.`updated` > `updated`) AND (`new`.`hits` < ?), `new`.`updated`, `updated`)"},
          {Dialect::mariadb,
           "INSERT INTO `pages` (`path`, `hits`, `updated`) VALUES (?, ?, ?), (?, ?, ?) ON DUPLICATE KEY "
           "UPDATE `hits` = IF((VALUE(`updated`) > `updated`) AND (VALUE(`hits`) < ?), `hits` + VALUE(`hits`), "
           "`hits`), `updated` = IF((VALUE(`updated`) > `updated`) AND (VALUE(`hits`) < ?), VALUE(`updated`), "
           "`updated`)"},
          {Dialect::oracle,
           R"(MERGE INTO "PAGES" t USING (SELECT :1 AS "PATH", :2 AS "HITS", :3 AS "UPDATED" FROM dual UNION ALL )"
           R"(SELECT :4, :5, :6 FROM dual) s ON (t."PATH" = s."PATH") WHEN MATCHED THEN UPDATE SET )"
           R"(t."UPDATED" = s."UPDATED", t."HITS" = t."HITS" + s."HITS" WHERE (s."UPDATED" > t."UPDATED") AND )"
           R"((s."HITS" < :7) WHEN NOT MATCHED THEN INSERT ("PATH", "HITS", "UPDATED") )"
           R"(VALUES (s."PATH", s."HITS", s."UPDATED"))"},
          {Dialect::sqlserver,
           "MERGE INTO [pages] WITH (UPDLOCK, HOLDLOCK) AS t USING (VALUES (@p1, @p2, @p3), (@p4, @p5, @p6)) AS s "
           "([path], [hits], [updated]) ON t.[path] = s.[path] WHEN MATCHED AND (s.[updated] > t.[updated]) AND "
           "(s.[hits] < @p7) THEN UPDATE SET t.[updated] = s.[updated], t.[hits] = t.[hits] + s.[hits] "
           "WHEN NOT MATCHED THEN INSERT ([path], [hits], [updated]) VALUES (s.[path], s.[hits], s.[updated]);"},
      });
  const std::vector<Value> rows{"/a", 1, at("2026-11-26 13:00:00"), "/b", 2, at("2026-11-26 14:00:00")};
  for (Dialect d : all_dialects()) {
    std::vector<Value> expected = rows;
    expected.push_back(1000);
    // The condition is written once per assignment on MySQL and MariaDB.
    if (d == Dialect::mysql || d == Dialect::mariadb) expected.push_back(1000);
    EXPECT_EQ(render(s, d).params, expected) << "dialect: " << dialect_name(d);
  }
}

TEST(Returning, ColumnsWhereTheDialectHasThem) {
  Upsert s = pages_upsert();
  s.do_update(add_proposed({"hits"})).returning({"path", "hits"});
  expect_goldens(
      s,
      {
          {Dialect::sqlite,
           R"(INSERT INTO "pages" ("path", "hits", "updated") VALUES (?, ?, ?) ON CONFLICT ("path") DO UPDATE SET )"
           R"("hits" = )" +
               sqlite_checked(R"("pages"."hits" + excluded."hits")") + R"( RETURNING "path", "hits")"},
          {Dialect::postgresql,
           R"(INSERT INTO "pages" ("path", "hits", "updated") VALUES ($1, $2, $3) ON CONFLICT ("path") DO UPDATE SET )"
           R"("hits" = "pages"."hits" + EXCLUDED."hits" RETURNING "path", "hits")"},
          {Dialect::mariadb,
           "INSERT INTO `pages` (`path`, `hits`, `updated`) VALUES (?, ?, ?) ON DUPLICATE KEY UPDATE "
           "`hits` = `hits` + VALUE(`hits`) RETURNING `path`, `hits`"},
          {Dialect::sqlserver,
           "MERGE INTO [pages] WITH (UPDLOCK, HOLDLOCK) AS t USING (VALUES (@p1, @p2, @p3)) AS s ([path], [hits], "
           "[updated]) ON t.[path] = s.[path] WHEN MATCHED THEN UPDATE SET t.[hits] = t.[hits] + s.[hits] "
           "WHEN NOT MATCHED THEN INSERT ([path], [hits], [updated]) VALUES (s.[path], s.[hits], s.[updated]) "
           "OUTPUT inserted.[path], inserted.[hits];"},
      });
}

// xmax is 0 on a row version the statement inserted; SQL Server's $action says 'INSERT' or 'UPDATE'.
TEST(Returning, InsertedFlagOnPostgresqlAndSqlServer) {
  Upsert s = pages_upsert();
  s.do_update(add_proposed({"hits"})).returning({"hits"}).returning_inserted_flag();
  expect_goldens(
      s,
      {
          {Dialect::postgresql,
           R"(INSERT INTO "pages" ("path", "hits", "updated") VALUES ($1, $2, $3) ON CONFLICT ("path") DO UPDATE SET )"
           R"("hits" = "pages"."hits" + EXCLUDED."hits" RETURNING "hits", (xmax = 0) AS "inserted")"},
          {Dialect::sqlserver,
           "MERGE INTO [pages] WITH (UPDLOCK, HOLDLOCK) AS t USING (VALUES (@p1, @p2, @p3)) AS s ([path], [hits], "
           "[updated]) ON t.[path] = s.[path] WHEN MATCHED THEN UPDATE SET t.[hits] = t.[hits] + s.[hits] "
           "WHEN NOT MATCHED THEN INSERT ([path], [hits], [updated]) VALUES (s.[path], s.[hits], s.[updated]) "
           "OUTPUT inserted.[hits], CASE $action WHEN 'INSERT' THEN 1 ELSE 0 END AS [inserted];"},
      });
}

TEST(Returning, InsertedFlagAlone) {
  Upsert s = pages_upsert();
  s.do_update(add_proposed({"hits"})).returning_inserted_flag();
  EXPECT_EQ(render(s, Dialect::postgresql).text,
            R"(INSERT INTO "pages" ("path", "hits", "updated") VALUES ($1, $2, $3) ON CONFLICT ("path") DO UPDATE )"
            R"(SET "hits" = "pages"."hits" + EXCLUDED."hits" RETURNING (xmax = 0) AS "inserted")");
  EXPECT_EQ(render(s, Dialect::sqlserver).text,
            "MERGE INTO [pages] WITH (UPDLOCK, HOLDLOCK) AS t USING (VALUES (@p1, @p2, @p3)) AS s ([path], [hits], "
            "[updated]) ON t.[path] = s.[path] WHEN MATCHED THEN UPDATE SET t.[hits] = t.[hits] + s.[hits] "
            "WHEN NOT MATCHED THEN INSERT ([path], [hits], [updated]) VALUES (s.[path], s.[hits], s.[updated]) "
            "OUTPUT CASE $action WHEN 'INSERT' THEN 1 ELSE 0 END AS [inserted];");
}

// With DO NOTHING, PostgreSQL, SQLite and SQL Server return only the rows they inserted.
TEST(Returning, WithDoNothing) {
  Upsert s = pages_upsert();
  s.do_nothing().returning({"path"});
  expect_goldens(
      s, {
             {Dialect::sqlite,
              R"(INSERT INTO "pages" ("path", "hits", "updated") VALUES (?, ?, ?) ON CONFLICT ("path") DO NOTHING )"
              R"(RETURNING "path")"},
             {Dialect::postgresql,
              R"(INSERT INTO "pages" ("path", "hits", "updated") VALUES ($1, $2, $3) ON CONFLICT ("path") DO NOTHING )"
              R"(RETURNING "path")"},
             {Dialect::sqlserver,
              "MERGE INTO [pages] WITH (UPDLOCK, HOLDLOCK) AS t USING (VALUES (@p1, @p2, @p3)) AS s ([path], [hits], "
              "[updated]) ON t.[path] = s.[path] WHEN NOT MATCHED THEN INSERT ([path], [hits], [updated]) "
              "VALUES (s.[path], s.[hits], s.[updated]) OUTPUT inserted.[path];"},
         });
}

// The target is the key itself, written in the key's declared order whatever order the caller used.
TEST(ConflictTarget, ColumnsInAnyOrderNameTheKey) {
  Upsert s = insert_into(ab_table());
  s.row({7, "B", Date{2026, 11, 26}, 13, 1, 0})
      .on_conflict({"hour", "date", "version", "ab_test_id"})
      .do_update(add_proposed({"participants"}));
  EXPECT_EQ(s.conflict_key().name, "ab_hourly_ab_test_id_version_date_hour_key");
  EXPECT_EQ(render(s, Dialect::postgresql).text,
            R"(INSERT INTO "ab_hourly" ("ab_test_id", "version", "date", "hour", "participants", "conversions") )"
            R"(VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT ("ab_test_id", "version", "date", "hour") DO UPDATE SET )"
            R"("participants" = "ab_hourly"."participants" + EXCLUDED."participants")");
}

// A surrogate identity key plus the natural key, targeted by name. MySQL accepts it: the other key
// holds an identity column, which the insert never gives, so it cannot collide.
TEST(ConflictTarget, KeyByNameBesidesAnIdentityPrimaryKey) {
  Table t = Table("visits")
                .column("id", Type::int64, identity)
                .column("day", Type::date)
                .column("page", Type::text)
                .column("n", Type::int64, default_value(0), not_null)
                .primary_key({"id"})
                .unique_key({"day", "page"}, "visits_natural");
  Upsert s = insert_into(t);
  s.row({Date{2026, 11, 26}, "/", 1}).on_conflict_key("visits_natural").do_update(add_proposed({"n"}));
  expect_goldens(
      s,
      {
          {Dialect::sqlite,
           R"(INSERT INTO "visits" ("day", "page", "n") VALUES (?, ?, ?) ON CONFLICT ("day", "page") DO UPDATE SET )"
           R"("n" = )" +
               sqlite_checked(R"("visits"."n" + excluded."n")")},
          {Dialect::postgresql,
           R"(INSERT INTO "visits" ("day", "page", "n") VALUES ($1, $2, $3) ON CONFLICT ("day", "page") DO UPDATE SET )"
           R"("n" = "visits"."n" + EXCLUDED."n")"},
          {Dialect::mysql,
           "INSERT INTO `visits` (`day`, `page`, `n`) VALUES (?, ?, ?) AS `new` ON DUPLICATE KEY UPDATE "
           "`n` = `n` + `new`.`n`"},
          {Dialect::mariadb,
           "INSERT INTO `visits` (`day`, `page`, `n`) VALUES (?, ?, ?) ON DUPLICATE KEY UPDATE `n` = `n` + VALUE(`n`)"},
          {Dialect::oracle,
           R"(MERGE INTO "VISITS" t USING (SELECT :1 AS "DAY", :2 AS "PAGE", :3 AS "N" FROM dual) s )"
           R"(ON (t."DAY" = s."DAY" AND t."PAGE" = s."PAGE") WHEN MATCHED THEN UPDATE SET t."N" = t."N" + s."N" )"
           R"(WHEN NOT MATCHED THEN INSERT ("DAY", "PAGE", "N") VALUES (s."DAY", s."PAGE", s."N"))"},
          {Dialect::sqlserver,
           "MERGE INTO [visits] WITH (UPDLOCK, HOLDLOCK) AS t USING (VALUES (@p1, @p2, @p3)) AS s ([day], [page], [n]) "
           "ON t.[day] = s.[day] AND t.[page] = s.[page] WHEN MATCHED THEN UPDATE SET t.[n] = t.[n] + s.[n] "
           "WHEN NOT MATCHED THEN INSERT ([day], [page], [n]) VALUES (s.[day], s.[page], s.[n]);"},
      });
}

TEST(ConflictTarget, DefaultsToThePrimaryKeyOrTheOnlyKey) {
  Table t = Table("t").column("id", Type::int64).column("code", Type::text).primary_key({"id"}).unique_key({"code"});
  EXPECT_EQ(insert_into(t).conflict_key().name, "t_pkey");
  EXPECT_EQ(insert_into(ab_table()).conflict_key().name, "ab_hourly_ab_test_id_version_date_hour_key");
}

// The predicate names the partial index to infer; it comes from the schema, never from input, and
// engines take no parameters there, so its values are literals.
TEST(ConflictTarget, PartialKeyOnPostgresqlAndSqlite) {
  Table t = Table("subscriptions")
                .column("user_id", Type::int64)
                .column("plan", Type::text)
                .column("active", Type::boolean)
                .column("seats", Type::int64, default_value(0), not_null)
                .partial_unique_key({"user_id"}, col("active") == true && col("plan") != "free", "subscriptions_live");
  Upsert s = insert_into(t);
  s.row({42, "team", true, 5}).on_conflict_key("subscriptions_live").do_update(add_proposed({"seats"}));
  expect_goldens(
      s,
      {
          {Dialect::sqlite, R"(INSERT INTO "subscriptions" ("user_id", "plan", "active", "seats") VALUES (?, ?, ?, ?) )"
                            R"(ON CONFLICT ("user_id") WHERE ("active" = 1) AND ("plan" <> 'free') DO UPDATE SET )"
                            R"("seats" = )" +
                                sqlite_checked(R"("subscriptions"."seats" + excluded."seats")")},
          {Dialect::postgresql,
           R"(INSERT INTO "subscriptions" ("user_id", "plan", "active", "seats") VALUES ($1, $2, $3, $4) )"
           R"(ON CONFLICT ("user_id") WHERE ("active" = TRUE) AND ("plan" <> 'free') DO UPDATE SET )"
           R"("seats" = "subscriptions"."seats" + EXCLUDED."seats")"},
      });
  const std::vector<Value> params{42, "team", true, 5};
  EXPECT_EQ(render(s, Dialect::postgresql).params, params);
}

// PostgreSQL 15 makes NULL key values conflict when the key is NULLS NOT DISTINCT.
TEST(ConflictTarget, NullKeyValueOnANullsNotDistinctKey) {
  Table t = Table("labels")
                .column("name", Type::text)
                .column("scope", Type::text)
                .column("uses", Type::int64, default_value(0), not_null)
                .unique_key_nulls_not_distinct({"name", "scope"});
  Upsert s = insert_into(t);
  s.row({"red", nullptr, 1}).do_update(add_proposed({"uses"}));
  EXPECT_EQ(render(s, Dialect::postgresql).text,
            R"(INSERT INTO "labels" ("name", "scope", "uses") VALUES ($1, $2, $3) ON CONFLICT ("name", "scope") )"
            R"(DO UPDATE SET "uses" = "labels"."uses" + EXCLUDED."uses")");
  EXPECT_TRUE(render(s, Dialect::postgresql).params[1].is_null());
  // The key lookup must find the existing row: "= NULL" never matches, IS NULL does.
  Sql lookup = render_key_lookup(s, Dialect::postgresql);
  EXPECT_EQ(lookup.text, R"(SELECT "name", "scope" FROM "labels" WHERE ("name" = $1 AND "scope" IS NULL))");
  EXPECT_EQ(lookup.params, std::vector<Value>{"red"});
}

// MySQL and MariaDB fire on any unique key; with the opt-in the statement is the usual one.
TEST(ConflictTarget, AnyUniqueKeyOptInOnMysql) {
  Table t = Table("users")
                .column("id", Type::int64)
                .column("email", Type::text)
                .column("logins", Type::int64, default_value(0), not_null)
                .primary_key({"id"})
                .unique_key({"email"});
  Upsert s = insert_into(t);
  s.row({1, "a@example.com", 1}).do_update(add_proposed({"logins"}));
  RenderOptions options;
  options.allow_any_unique_key = true;
  EXPECT_EQ(render(s, Dialect::mysql, options).text,
            "INSERT INTO `users` (`id`, `email`, `logins`) VALUES (?, ?, ?) AS `new` ON DUPLICATE KEY UPDATE "
            "`logins` = `logins` + `new`.`logins`");
  EXPECT_EQ(render(s, Dialect::mariadb, options).text,
            "INSERT INTO `users` (`id`, `email`, `logins`) VALUES (?, ?, ?) ON DUPLICATE KEY UPDATE "
            "`logins` = `logins` + VALUE(`logins`)");
}

// The SELECT drivers run (in the write transaction) to tell inserted rows from updated ones.
TEST(KeyLookup, EveryDialect) {
  Upsert s = ab_upsert(2);
  const Goldens expected{
      {Dialect::sqlite,
       R"(SELECT "ab_test_id", "version", "date", "hour" FROM "ab_hourly" WHERE ("ab_test_id" = ? AND )"
       R"("version" = ? AND "date" = ? AND "hour" = ?) OR ("ab_test_id" = ? AND "version" = ? AND )"
       R"("date" = ? AND "hour" = ?))"},
      {Dialect::postgresql,
       R"(SELECT "ab_test_id", "version", "date", "hour" FROM "ab_hourly" WHERE ("ab_test_id" = $1 AND )"
       R"("version" = $2 AND "date" = $3 AND "hour" = $4) OR ("ab_test_id" = $5 AND "version" = $6 AND )"
       R"("date" = $7 AND "hour" = $8))"},
      {Dialect::mysql,
       "SELECT `ab_test_id`, `version`, `date`, `hour` FROM `ab_hourly` WHERE (`ab_test_id` = ? AND `version` = ? "
       "AND `date` = ? AND `hour` = ?) OR (`ab_test_id` = ? AND `version` = ? AND `date` = ? AND `hour` = ?)"},
      {Dialect::mariadb,
       "SELECT `ab_test_id`, `version`, `date`, `hour` FROM `ab_hourly` WHERE (`ab_test_id` = ? AND `version` = ? "
       "AND `date` = ? AND `hour` = ?) OR (`ab_test_id` = ? AND `version` = ? AND `date` = ? AND `hour` = ?)"},
      {Dialect::oracle,
       R"(SELECT "AB_TEST_ID", "VERSION", "DATE", "HOUR" FROM "AB_HOURLY" WHERE ("AB_TEST_ID" = :1 AND )"
       R"("VERSION" = :2 AND "DATE" = :3 AND "HOUR" = :4) OR ("AB_TEST_ID" = :5 AND "VERSION" = :6 AND )"
       R"("DATE" = :7 AND "HOUR" = :8))"},
      {Dialect::sqlserver,
       "SELECT [ab_test_id], [version], [date], [hour] FROM [ab_hourly] WHERE ([ab_test_id] = @p1 AND "
       "[version] = @p2 AND [date] = @p3 AND [hour] = @p4) OR ([ab_test_id] = @p5 AND [version] = @p6 AND "
       "[date] = @p7 AND [hour] = @p8)"},
  };
  const std::vector<Value> params{7, "B", Date{2026, 11, 26}, 13, 7, "B", Date{2026, 11, 26}, 14};
  for (const auto& [dialect, sql] : expected) {
    Sql lookup = render_key_lookup(s, dialect);
    EXPECT_EQ(lookup.text, sql) << "dialect: " << dialect_name(dialect);
    EXPECT_EQ(lookup.params, params) << "dialect: " << dialect_name(dialect);
  }
}

}  // namespace
}  // namespace upsert::testing
