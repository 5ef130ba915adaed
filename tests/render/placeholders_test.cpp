// Placeholder styles for Python DB-API drivers (RenderOptions::placeholders): golden text for the
// A/B upsert, params in placeholder order, numbered natives reordered, quoted literals left alone
// and literal '%' doubled for the format style.

#include <gtest/gtest.h>

#include "render/dialects.hpp"
#include "render/fixtures.hpp"

namespace upsert::testing {
namespace {

Sql render_with(const Upsert& s, Dialect d, Placeholders p) {
  RenderOptions options;
  options.placeholders = p;
  return render(s, d, options);
}

std::size_t count(const std::string& text, std::string_view token) {
  std::size_t n = 0;
  for (auto at = text.find(token); at != std::string::npos; at = text.find(token, at + token.size())) ++n;
  return n;
}

TEST(Placeholders, FormatOnPostgreSQLIsPsycopgStyle) {
  Sql sql = render_with(ab_upsert(1), Dialect::postgresql, Placeholders::format);
  EXPECT_EQ(sql.text,
            R"(INSERT INTO "ab_hourly" ("ab_test_id", "version", "date", "hour", "participants", "conversions") )"
            R"(VALUES (%s, %s, %s, %s, %s, %s) ON CONFLICT ("ab_test_id", "version", "date", "hour") DO UPDATE SET )"
            R"("participants" = "ab_hourly"."participants" + EXCLUDED."participants", )"
            R"("conversions" = "ab_hourly"."conversions" + EXCLUDED."conversions")");
  EXPECT_EQ(sql.params, render(ab_upsert(1), Dialect::postgresql).params);
}

TEST(Placeholders, NumericOnOracleIsNative) {
  EXPECT_EQ(render_with(ab_upsert(3), Dialect::oracle, Placeholders::numeric).text,
            render(ab_upsert(3), Dialect::oracle).text);
}

TEST(Placeholders, QmarkOnQuestionMarkDialectsIsNative) {
  for (Dialect d : {Dialect::sqlite, Dialect::mysql, Dialect::mariadb}) {
    SCOPED_TRACE(name_of(d));
    EXPECT_EQ(render_with(ab_upsert(3), d, Placeholders::qmark).text, render(ab_upsert(3), d).text);
  }
}

TEST(Placeholders, EveryStyleInEveryDialectKeepsOneValuePerPlaceholder) {
  const std::vector<std::pair<Placeholders, std::string>> styles{
      {Placeholders::qmark, "?"}, {Placeholders::format, "%s"}, {Placeholders::numeric, ":"}};
  for (Dialect d : all_dialects()) {
    for (const auto& [style, token] : styles) {
      SCOPED_TRACE(name_of(d) + " " + token);
      Sql native = render(ab_upsert(3), d);
      Sql sql = render_with(ab_upsert(3), d, style);
      EXPECT_EQ(count(sql.text, token), sql.params.size()) << sql.text;
      EXPECT_EQ(sql.params, native.params);
      if (style == Placeholders::numeric) {
        EXPECT_NE(sql.text.find(":18"), std::string::npos) << sql.text;
        EXPECT_EQ(sql.text.find(":19"), std::string::npos) << sql.text;
      }
    }
  }
}

TEST(Placeholders, NumberedNativesComeOutInTextOrder) {
  // $2 before $1, and $1 twice: qmark and format cannot number, so the values follow the text.
  Sql sql{"SELECT $2, $1, $1 WHERE x = '$1'", {Value(std::int64_t{10}), Value(std::string("b"))}};
  Sql out = detail::restyle_placeholders(sql, Dialect::postgresql, Placeholders::qmark);
  EXPECT_EQ(out.text, "SELECT ?, ?, ? WHERE x = '$1'");
  EXPECT_EQ(out.params,
            (std::vector<Value>{Value(std::string("b")), Value(std::int64_t{10}), Value(std::int64_t{10})}));
}

TEST(Placeholders, FormatDoublesLiteralPercent) {
  Sql sql{"SELECT ? % 7, '50%'", {Value(std::int64_t{1})}};
  EXPECT_EQ(detail::restyle_placeholders(sql, Dialect::sqlite, Placeholders::format).text, "SELECT %s %% 7, '50%%'");
}

TEST(Placeholders, TimestampLiteralInAPartialKeyIsNotAPlaceholder) {
  auto table =
      Table("events")
          .column("k", Type::int64)
          .column("at", Type::timestamp)
          .column("n", Type::int64)
          .partial_unique_key({"k"}, col("at") > Value(Timestamp::from_parts(Date{2026, 1, 2}, 10, 30, 15, 0)));
  Upsert s = insert_into(table).row({1, Timestamp::from_parts(Date{2026, 1, 2}, 11, 0, 0, 0), 1});
  s.on_conflict({"k"}).do_update(add_proposed({"n"}));
  Sql sql = render_with(s, Dialect::postgresql, Placeholders::numeric);
  EXPECT_NE(sql.text.find("10:30:15"), std::string::npos) << sql.text;
  EXPECT_EQ(sql.params.size(), 3u);
  EXPECT_EQ(count(sql.text, ":"), 3u + 2u) << sql.text;  // three placeholders, two colons in the literal
}

}  // namespace
}  // namespace upsert::testing
