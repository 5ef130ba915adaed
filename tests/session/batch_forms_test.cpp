// The drivers' fast batch forms (PostgreSQL unnest over arrays, MariaDB array binding, SQLite
// single-row statements in one transaction) must store exactly what one execute() per row
// stores: every column type, NULLs, empty and long text, and both the insert and update paths.

#include <random>

#include "support/engine_fixture.hpp"

namespace upsert::testing {
namespace {

class BatchForms : public EngineTest {
 protected:
  std::shared_ptr<const Table> every_type_table(const std::string& stem) {
    return create(Table(unique_table_name(stem))
                      .column("k", Type::int64)
                      .column("tag", Type::text)
                      .column("n", Type::int64, default_value(0), not_null)
                      .column("x", Type::float64)
                      .column("flag", Type::boolean)
                      .column("note", Type::text)
                      .column("day", Type::date)
                      .column("at", Type::timestamp)
                      .column("blob", Type::bytes)
                      .unique_key({"k", "tag"}));
  }

  // Rows with keys drawn from a small space (so the second pass updates), and every other column
  // sometimes NULL.
  static std::vector<Row> random_rows(std::mt19937_64& random, std::size_t count) {
    auto maybe = [&](Value v) { return random() % 5 == 0 ? Value() : std::move(v); };
    const std::vector<std::string> notes{"", "plain", "it's \"quoted\"; DROP TABLE x; --", "naïve ☃",
                                         std::string(3000, 'L')};
    std::vector<Row> rows;
    for (std::size_t i = 0; i < count; ++i) {
      const auto day = static_cast<std::int64_t>(random() % 40'000) - 10'000;
      rows.push_back(Row{
          Value(static_cast<std::int64_t>(random() % 300)),
          Value(std::string(random() % 2 == 0 ? "A" : "a")),
          Value(static_cast<std::int64_t>(random() % 1000) - 500),
          maybe(Value(static_cast<double>(random() % 100'000) / 64.0)),
          maybe(Value(random() % 2 == 0)),
          maybe(Value(notes[random() % notes.size()])),
          maybe(Value(Date::from_days_since_epoch(day))),
          maybe(Value(Timestamp{day * 86'400'000'000 + static_cast<std::int64_t>(random() % 86'400'000'000)})),
          maybe(Value(Bytes{std::vector<std::uint8_t>{0, 255, static_cast<std::uint8_t>(random() % 256), 0}})),
      });
    }
    return rows;
  }

  static Upsert upsert_of(const std::shared_ptr<const Table>& t, std::vector<Row> rows) {
    Upsert s = insert_into(t);
    for (auto& row : rows) s.row(std::move(row));
    std::vector<Assignment> set = add_proposed({"n"});
    for (const char* name : {"x", "flag", "note", "day", "at", "blob"}) set.push_back({name, proposed(name)});
    s.on_conflict({"k", "tag"}).do_update(std::move(set));
    return s;
  }
};

TEST_P(BatchForms, BatchStoresWhatOneRowAtATimeStores) {
  auto batched = every_type_table("forms_batch");
  auto single = every_type_table("forms_single");
  std::mt19937_64 random(20261202);
  for (int pass = 0; pass < 3; ++pass) {
    const std::vector<Row> rows = random_rows(random, 700);
    const BatchResult r = db().execute_batch(upsert_of(batched, rows), {.max_rows_per_statement = 250});
    EXPECT_GE(r.statements, 2u);
    // One row at a time, in input order: the meaning a batch must keep.
    for (const Row& row : rows) db().execute(upsert_of(single, {row}));
  }
  const auto expected = all_rows(*single);
  const auto actual = all_rows(*batched);
  ASSERT_EQ(actual.size(), expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i) {
    EXPECT_EQ(row_text(actual[i]), row_text(expected[i])) << "row " << i;
  }
}

// A failing row (a counter overflow) fails its whole statement: none of the statement's other
// rows is applied, as with one multi-row statement.
TEST_P(BatchForms, AFailingRowLeavesItsStatementUnapplied) {
  auto t = every_type_table("forms_atomic");
  db().execute(upsert_of(t, {Row{std::int64_t{2}, "a", std::numeric_limits<std::int64_t>::max(), nullptr, nullptr,
                                 nullptr, nullptr, nullptr, nullptr}}));
  std::vector<Row> rows;
  for (std::int64_t k = 1; k <= 3; ++k) {
    rows.push_back(Row{k, "a", std::int64_t{1}, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr});
  }
  try {
    db().execute_batch(upsert_of(t, rows));
    FAIL() << "the overflow of key 2 was not reported";
  } catch (const Error& e) {
    EXPECT_EQ(category_name(e.category()), "overflow") << e.what();
  }
  EXPECT_EQ(count_rows(*t), 1) << "rows 1 and 3 were applied although their statement failed";
  EXPECT_FALSE(db().in_transaction());
  // The connection is usable afterwards, and the same statement without the bad row goes through.
  rows.erase(rows.begin() + 1);
  db().execute_batch(upsert_of(t, rows));
  EXPECT_EQ(count_rows(*t), 3);
}

INSTANTIATE_TEST_SUITE_P(Engines, BatchForms, ::testing::ValuesIn(all_engines()), EngineName());

}  // namespace
}  // namespace upsert::testing
