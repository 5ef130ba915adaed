// Golden SQL for the A/B upsert in all six dialects, one row and three rows. Each expected string
// was written from the engine's documented grammar (and, for SQLite, PostgreSQL and MariaDB, is
// also executed by the driver tests). A mismatch prints both strings whole.

#include <gtest/gtest.h>

#include <map>

#include "render/fixtures.hpp"

namespace upsert::testing {
namespace {

const std::map<Dialect, std::string> one_row{
    {Dialect::sqlite,
     R"(INSERT INTO "ab_hourly" ("ab_test_id", "version", "date", "hour", "participants", "conversions") )"
     R"(VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT ("ab_test_id", "version", "date", "hour") DO UPDATE SET )"
     R"("participants" = (SELECT CASE WHEN typeof(v) = 'real' THEN abs(-9223372036854775808) ELSE v END )"
     R"(FROM (SELECT "ab_hourly"."participants" + excluded."participants" AS v)), )"
     R"("conversions" = (SELECT CASE WHEN typeof(v) = 'real' THEN abs(-9223372036854775808) ELSE v END )"
     R"(FROM (SELECT "ab_hourly"."conversions" + excluded."conversions" AS v)))"},
    {Dialect::postgresql,
     R"(INSERT INTO "ab_hourly" ("ab_test_id", "version", "date", "hour", "participants", "conversions") )"
     R"(VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT ("ab_test_id", "version", "date", "hour") DO UPDATE SET )"
     R"("participants" = "ab_hourly"."participants" + EXCLUDED."participants", )"
     R"("conversions" = "ab_hourly"."conversions" + EXCLUDED."conversions")"},
    {Dialect::mysql,
     "INSERT INTO `ab_hourly` (`ab_test_id`, `version`, `date`, `hour`, `participants`, `conversions`) "
     "VALUES (?, ?, ?, ?, ?, ?) AS `new` ON DUPLICATE KEY UPDATE "
     "`participants` = `participants` + `new`.`participants`, `conversions` = `conversions` + `new`.`conversions`"},
    {Dialect::mariadb,
     "INSERT INTO `ab_hourly` (`ab_test_id`, `version`, `date`, `hour`, `participants`, `conversions`) "
     "VALUES (?, ?, ?, ?, ?, ?) ON DUPLICATE KEY UPDATE "
     "`participants` = `participants` + VALUE(`participants`), `conversions` = `conversions` + VALUE(`conversions`)"},
    {Dialect::oracle,
     R"(MERGE INTO "AB_HOURLY" t USING (SELECT :1 AS "AB_TEST_ID", :2 AS "VERSION", :3 AS "DATE", :4 AS "HOUR", )"
     R"(:5 AS "PARTICIPANTS", :6 AS "CONVERSIONS" FROM dual) s ON (t."AB_TEST_ID" = s."AB_TEST_ID" AND )"
     R"(t."VERSION" = s."VERSION" AND t."DATE" = s."DATE" AND t."HOUR" = s."HOUR") WHEN MATCHED THEN UPDATE SET )"
     R"(t."PARTICIPANTS" = t."PARTICIPANTS" + s."PARTICIPANTS", t."CONVERSIONS" = t."CONVERSIONS" + s."CONVERSIONS" )"
     R"(WHEN NOT MATCHED THEN INSERT ("AB_TEST_ID", "VERSION", "DATE", "HOUR", "PARTICIPANTS", "CONVERSIONS") )"
     R"(VALUES (s."AB_TEST_ID", s."VERSION", s."DATE", s."HOUR", s."PARTICIPANTS", s."CONVERSIONS"))"},
    {Dialect::sqlserver,
     "MERGE INTO [ab_hourly] WITH (UPDLOCK, HOLDLOCK) AS t USING (VALUES (@p1, @p2, @p3, @p4, @p5, @p6)) AS s "
     "([ab_test_id], [version], [date], [hour], [participants], [conversions]) ON t.[ab_test_id] = s.[ab_test_id] "
     "AND t.[version] = s.[version] AND t.[date] = s.[date] AND t.[hour] = s.[hour] WHEN MATCHED THEN UPDATE SET "
     "t.[participants] = t.[participants] + s.[participants], t.[conversions] = t.[conversions] + s.[conversions] "
     "WHEN NOT MATCHED THEN INSERT ([ab_test_id], [version], [date], [hour], [participants], [conversions]) "
     "VALUES (s.[ab_test_id], s.[version], s.[date], s.[hour], s.[participants], s.[conversions]);"},
};

const std::map<Dialect, std::string> three_rows{
    {Dialect::sqlite,
     R"(INSERT INTO "ab_hourly" ("ab_test_id", "version", "date", "hour", "participants", "conversions") )"
     R"(VALUES (?, ?, ?, ?, ?, ?), (?, ?, ?, ?, ?, ?), (?, ?, ?, ?, ?, ?) )"
     R"(ON CONFLICT ("ab_test_id", "version", "date", "hour") DO UPDATE SET )"
     R"("participants" = (SELECT CASE WHEN typeof(v) = 'real' THEN abs(-9223372036854775808) ELSE v END )"
     R"(FROM (SELECT "ab_hourly"."participants" + excluded."participants" AS v)), )"
     R"("conversions" = (SELECT CASE WHEN typeof(v) = 'real' THEN abs(-9223372036854775808) ELSE v END )"
     R"(FROM (SELECT "ab_hourly"."conversions" + excluded."conversions" AS v)))"},
    {Dialect::postgresql,
     R"(INSERT INTO "ab_hourly" ("ab_test_id", "version", "date", "hour", "participants", "conversions") )"
     R"(VALUES ($1, $2, $3, $4, $5, $6), ($7, $8, $9, $10, $11, $12), ($13, $14, $15, $16, $17, $18) )"
     R"(ON CONFLICT ("ab_test_id", "version", "date", "hour") DO UPDATE SET )"
     R"("participants" = "ab_hourly"."participants" + EXCLUDED."participants", )"
     R"("conversions" = "ab_hourly"."conversions" + EXCLUDED."conversions")"},
    {Dialect::mysql,
     "INSERT INTO `ab_hourly` (`ab_test_id`, `version`, `date`, `hour`, `participants`, `conversions`) "
     "VALUES (?, ?, ?, ?, ?, ?), (?, ?, ?, ?, ?, ?), (?, ?, ?, ?, ?, ?) AS `new` ON DUPLICATE KEY UPDATE "
     "`participants` = `participants` + `new`.`participants`, `conversions` = `conversions` + `new`.`conversions`"},
    {Dialect::mariadb,
     "INSERT INTO `ab_hourly` (`ab_test_id`, `version`, `date`, `hour`, `participants`, `conversions`) "
     "VALUES (?, ?, ?, ?, ?, ?), (?, ?, ?, ?, ?, ?), (?, ?, ?, ?, ?, ?) ON DUPLICATE KEY UPDATE "
     "`participants` = `participants` + VALUE(`participants`), `conversions` = `conversions` + VALUE(`conversions`)"},
    {Dialect::oracle,
     R"(MERGE INTO "AB_HOURLY" t USING (SELECT :1 AS "AB_TEST_ID", :2 AS "VERSION", :3 AS "DATE", :4 AS "HOUR", )"
     R"(:5 AS "PARTICIPANTS", :6 AS "CONVERSIONS" FROM dual UNION ALL SELECT :7, :8, :9, :10, :11, :12 FROM dual )"
     R"(UNION ALL SELECT :13, :14, :15, :16, :17, :18 FROM dual) s ON (t."AB_TEST_ID" = s."AB_TEST_ID" AND )"
     R"(t."VERSION" = s."VERSION" AND t."DATE" = s."DATE" AND t."HOUR" = s."HOUR") WHEN MATCHED THEN UPDATE SET )"
     R"(t."PARTICIPANTS" = t."PARTICIPANTS" + s."PARTICIPANTS", t."CONVERSIONS" = t."CONVERSIONS" + s."CONVERSIONS" )"
     R"(WHEN NOT MATCHED THEN INSERT ("AB_TEST_ID", "VERSION", "DATE", "HOUR", "PARTICIPANTS", "CONVERSIONS") )"
     R"(VALUES (s."AB_TEST_ID", s."VERSION", s."DATE", s."HOUR", s."PARTICIPANTS", s."CONVERSIONS"))"},
    {Dialect::sqlserver,
     "MERGE INTO [ab_hourly] WITH (UPDLOCK, HOLDLOCK) AS t USING (VALUES (@p1, @p2, @p3, @p4, @p5, @p6), "
     "(@p7, @p8, @p9, @p10, @p11, @p12), (@p13, @p14, @p15, @p16, @p17, @p18)) AS s "
     "([ab_test_id], [version], [date], [hour], [participants], [conversions]) ON t.[ab_test_id] = s.[ab_test_id] "
     "AND t.[version] = s.[version] AND t.[date] = s.[date] AND t.[hour] = s.[hour] WHEN MATCHED THEN UPDATE SET "
     "t.[participants] = t.[participants] + s.[participants], t.[conversions] = t.[conversions] + s.[conversions] "
     "WHEN NOT MATCHED THEN INSERT ([ab_test_id], [version], [date], [hour], [participants], [conversions]) "
     "VALUES (s.[ab_test_id], s.[version], s.[date], s.[hour], s.[participants], s.[conversions]);"},
};

class AbGolden : public ::testing::TestWithParam<Dialect> {};

TEST_P(AbGolden, OneRow) {
  Sql sql = render(ab_upsert(1), GetParam());
  EXPECT_EQ(sql.text, one_row.at(GetParam()));
  const std::vector<Value> expected{7, "B", Date{2026, 11, 26}, 13, 1, 0};
  EXPECT_EQ(sql.params, expected);
}

TEST_P(AbGolden, ThreeRows) {
  Sql sql = render(ab_upsert(3), GetParam());
  EXPECT_EQ(sql.text, three_rows.at(GetParam()));
  ASSERT_EQ(sql.params.size(), 18u);
  // Parameters follow the rows in order: the third row's hour is 15, its conversions 0.
  EXPECT_EQ(sql.params[15], Value(15));
  EXPECT_EQ(sql.params[17], Value(0));
  EXPECT_EQ(sql.params[11], Value(1));
}

TEST_P(AbGolden, RenderingIsDeterministic) {
  Sql a = render(ab_upsert(3), GetParam());
  Sql b = render(ab_upsert(3), GetParam());
  EXPECT_EQ(a.text, b.text);
  EXPECT_EQ(a.params, b.params);
}

INSTANTIATE_TEST_SUITE_P(AllDialects, AbGolden, ::testing::ValuesIn(all_dialects()),
                         [](const auto& param_info) { return std::string(dialect_name(param_info.param)); });

}  // namespace
}  // namespace upsert::testing
