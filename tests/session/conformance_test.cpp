// The same upserts on every engine, with PostgreSQL's results expected everywhere (DESIGN.md,
// "Semantics every dialect must keep").

#include <limits>

#include "support/engine_fixture.hpp"

namespace upsert::testing {
namespace {

class Conformance : public EngineTest {
 protected:
  // k: the key; n: a counter; m: a nullable value; note: free text.
  std::shared_ptr<const Table> counters() {
    return create(Table(unique_table_name("counters"))
                      .column("k", Type::int64)
                      .column("n", Type::int64, default_value(0), not_null)
                      .column("m", Type::int64)
                      .column("note", Type::text)
                      .unique_key({"k"}));
  }
  // One row (k, n, m, note), with `assignments` on conflict.
  static Upsert upsert_row(const std::shared_ptr<const Table>& t, Row row, std::vector<Assignment> assignments,
                           std::optional<Expr> where = {}) {
    Upsert s = insert_into(t);
    s.row(std::move(row)).on_conflict({"k"}).do_update(std::move(assignments), std::move(where));
    return s;
  }
};

TEST_P(Conformance, InsertThenUpdateAddsToTheCounter) {
  auto t = counters();
  db().execute(upsert_row(t, {1, 5, nullptr, "a"}, add_proposed({"n"})));
  EXPECT_EQ(all_rows(*t), (std::vector<Row>{{1, 5, nullptr, "a"}}));
  db().execute(upsert_row(t, {1, 3, nullptr, "b"}, add_proposed({"n"})));
  EXPECT_EQ(all_rows(*t), (std::vector<Row>{{1, 8, nullptr, "a"}}));
}

TEST_P(Conformance, DoNothingKeepsTheExistingRow) {
  auto t = counters();
  Upsert first = insert_into(t);
  first.row({1, 5, nullptr, "first"}).on_conflict({"k"}).do_nothing();
  db().execute(first);
  Upsert second = insert_into(t);
  second.row({1, 9, 9, "second"}).on_conflict({"k"}).do_nothing();
  db().execute(second);
  EXPECT_EQ(all_rows(*t), (std::vector<Row>{{1, 5, nullptr, "first"}}));
}

TEST_P(Conformance, ConditionalUpdateAppliesOnlyWhereTheConditionHolds) {
  auto t = counters();
  auto keep_larger = [&](std::int64_t n, const char* note) {
    return upsert_row(t, {1, n, nullptr, note}, {{"n", proposed("n")}, {"note", proposed("note")}},
                      proposed("n") > col("n"));
  };
  db().execute(keep_larger(5, "five"));
  db().execute(keep_larger(3, "three"));
  EXPECT_EQ(all_rows(*t), (std::vector<Row>{{1, 5, nullptr, "five"}}));
  db().execute(keep_larger(9, "nine"));
  EXPECT_EQ(all_rows(*t), (std::vector<Row>{{1, 9, nullptr, "nine"}}));
}

TEST_P(Conformance, ReturningReportsValuesAndInsertedFlags) {
  auto t = counters();
  auto add = [&](std::int64_t n) {
    Upsert s = upsert_row(t, {1, n, nullptr, "x"}, add_proposed({"n"}));
    s.returning({"k", "n"}).returning_inserted_flag();
    return s;
  };
  ExecResult inserted = db().execute(add(5));
  EXPECT_EQ(inserted.rows, (std::vector<Row>{{1, 5, true}}));
  ExecResult updated = db().execute(add(3));
  EXPECT_EQ(updated.rows, (std::vector<Row>{{1, 8, false}}));
}

TEST_P(Conformance, ReturningNothingWhenTheConditionSkipsTheUpdate) {
  auto t = counters();
  db().execute(upsert_row(t, {1, 5, nullptr, "x"}, add_proposed({"n"})));
  Upsert skipped = upsert_row(t, {1, 1, nullptr, "x"}, add_proposed({"n"}), col("n") > 100);
  skipped.returning({"k", "n"}).returning_inserted_flag();
  EXPECT_TRUE(db().execute(skipped).rows.empty());
  EXPECT_EQ(all_rows(*t), (std::vector<Row>{{1, 5, nullptr, "x"}}));
}

TEST_P(Conformance, EveryAssignmentReadsTheOldRow) {
  auto t = counters();
  db().execute(upsert_row(t, {1, 1, 0, "x"}, add_proposed({"n"})));
  // m takes the OLD n although n is assigned first: PostgreSQL semantics, which MySQL-family
  // engines only give when the renderer reorders the assignments.
  db().execute(upsert_row(t, {1, 10, 0, "x"}, {{"n", col("n") + proposed("n")}, {"m", col("n")}}));
  EXPECT_EQ(all_rows(*t), (std::vector<Row>{{1, 11, 1, "x"}}));
  db().execute(upsert_row(t, {1, 100, 0, "x"}, {{"m", col("n") * 2}, {"n", col("n") + proposed("n")}}));
  EXPECT_EQ(all_rows(*t), (std::vector<Row>{{1, 111, 22, "x"}}));
}

TEST_P(Conformance, ConditionReadsTheOldRowToo) {
  auto t = counters();
  db().execute(upsert_row(t, {1, 1, 1, "v1"}, add_proposed({"n"})));
  // A versioned write: take the proposed row only when its version (m) is newer. The condition
  // reads m, which is also assigned; every assignment must see the old m.
  auto versioned = [&](std::int64_t version, const char* note) {
    return upsert_row(t, {1, 0, version, note}, {{"m", proposed("m")}, {"note", proposed("note")}},
                      proposed("m") > col("m"));
  };
  db().execute(versioned(3, "v3"));
  db().execute(versioned(2, "v2"));
  EXPECT_EQ(all_rows(*t), (std::vector<Row>{{1, 1, 3, "v3"}}));
}

TEST_P(Conformance, MultiRowStatementInsertsAndUpdates) {
  auto t = counters();
  db().execute(upsert_row(t, {2, 10, nullptr, "b"}, add_proposed({"n"})));
  Upsert s = insert_into(t);
  s.rows({{1, 1, nullptr, "a"}, {2, 2, nullptr, "b"}, {3, 3, nullptr, "c"}})
      .on_conflict({"k"})
      .do_update(add_proposed({"n"}));
  db().execute(s);
  EXPECT_EQ(all_rows(*t), (std::vector<Row>{{1, 1, nullptr, "a"}, {2, 12, nullptr, "b"}, {3, 3, nullptr, "c"}}));
}

TEST_P(Conformance, NullKeyIsRejectedBeforeReachingTheEngine) {
  auto t = counters();
  try {
    db().execute(upsert_row(t, {nullptr, 1, nullptr, "x"}, add_proposed({"n"})));
    FAIL() << "a NULL key was accepted";
  } catch (const Error& e) {
    EXPECT_EQ(e.category(), ErrorCategory::invalid_argument) << e.what();
    EXPECT_NE(std::string(e.what()).find("NULL in key column \"k\""), std::string::npos) << e.what();
    EXPECT_TRUE(e.sql().empty()) << "the statement reached the engine: " << e.sql();
  }
  EXPECT_EQ(count_rows(*t), 0);
}

TEST_P(Conformance, InjectionAttemptsInValuesAreStoredVerbatim) {
  auto t = counters();
  const std::vector<std::string> hostile{"x'); DROP TABLE " + t->name() + "; --", "Robert\"; DELETE FROM x; --",
                                         "back\\slash \\' quote", "$1 ? ?1 :1 @p1", "unicode: é ü 漢字 🙂"};
  for (std::size_t i = 0; i < hostile.size(); ++i) {
    db().execute(upsert_row(t, {static_cast<std::int64_t>(i), 1, nullptr, hostile[i]}, add_proposed({"n"})));
  }
  auto rows = all_rows(*t);
  ASSERT_EQ(rows.size(), hostile.size());
  for (std::size_t i = 0; i < hostile.size(); ++i) {
    EXPECT_EQ(rows[i][3], Value(hostile[i])) << row_text(rows[i]);
  }
}

TEST_P(Conformance, TextWithANulByteIsStoredWholeOrRefusedNeverCut) {
  auto t = counters();
  const std::string with_nul("before\0after", 12);
  try {
    db().execute(upsert_row(t, {1, 1, nullptr, with_nul}, add_proposed({"n"})));
  } catch (const Error& e) {
    // PostgreSQL text cannot hold NUL: a data error is right, a silently shortened value is not.
    EXPECT_EQ(GetParam(), Engine::postgres) << e.what();
    EXPECT_EQ(e.category(), ErrorCategory::data) << e.what();
    EXPECT_EQ(count_rows(*t), 0);
    return;
  }
  EXPECT_EQ(all_rows(*t), (std::vector<Row>{{1, 1, nullptr, with_nul}}));
}

TEST_P(Conformance, InjectionAttemptsInIdentifiersAreRefused) {
  for (const char* name : {"t; DROP TABLE x", "t\"", "t`", "t]", "t'", "", "t x"}) {
    EXPECT_THROW(Table(name).column("k", Type::int64), Error) << name;
    EXPECT_THROW(Table("t").column(name, Type::int64), Error) << name;
  }
}

TEST_P(Conformance, BigintOverflowIsAPermanentErrorAndTheRowIsUnchanged) {
  auto t = counters();
  const std::int64_t near_max = std::numeric_limits<std::int64_t>::max() - 1;
  db().execute(upsert_row(t, {1, near_max, nullptr, "x"}, add_proposed({"n"})));
  const auto retries_before = db().stats().retries;
  try {
    db().execute(upsert_row(t, {1, 5, nullptr, "x"}, add_proposed({"n"})));
    FAIL() << "the overflow was not reported";
  } catch (const Error& e) {
    EXPECT_EQ(category_name(e.category()), category_name(ErrorCategory::overflow)) << e.what();
    EXPECT_FALSE(e.retryable());
    EXPECT_FALSE(e.sql().empty()) << "an engine error carries its SQL";
  }
  EXPECT_EQ(db().stats().retries, retries_before) << "a permanent error was retried";
  EXPECT_EQ(all_rows(*t), (std::vector<Row>{{1, near_max, nullptr, "x"}}));
}

TEST_P(Conformance, GreatestAndLeastIgnoreNullsAsOnPostgres) {
  auto t = counters();
  auto keep_max = [&](std::int64_t k, Value m) {
    return upsert_row(t, {k, 0, std::move(m), "x"}, {{"m", greatest({col("m"), proposed("m")})}});
  };
  auto keep_min = [&](std::int64_t k, Value m) {
    return upsert_row(t, {k, 0, std::move(m), "x"}, {{"m", least({col("m"), proposed("m")})}});
  };
  db().execute(keep_max(1, nullptr));  // stored NULL
  db().execute(keep_max(1, 5));        // GREATEST(NULL, 5) = 5
  db().execute(keep_max(1, nullptr));  // GREATEST(5, NULL) = 5
  db().execute(keep_max(1, 3));        // 5
  db().execute(keep_min(2, 7));
  db().execute(keep_min(2, nullptr));  // LEAST(7, NULL) = 7
  db().execute(keep_min(2, 4));        // 4
  EXPECT_EQ(all_rows(*t), (std::vector<Row>{{1, 0, 5, "x"}, {2, 0, 4, "x"}}));
}

TEST_P(Conformance, ArithmeticCaseAndCoalesceMatchPostgres) {
  auto t = counters();
  db().execute(upsert_row(t, {1, -7, nullptr, "x"}, add_proposed({"n"})));
  // Integer division truncates toward zero: -7 / 2 = -3 (MySQL needs DIV, Oracle TRUNC).
  db().execute(upsert_row(t, {1, 0, nullptr, "x"}, {{"n", col("n") / 2}, {"m", coalesce({col("m"), val(40)}) + 2}}));
  EXPECT_EQ(all_rows(*t), (std::vector<Row>{{1, -3, 42, "x"}}));
  db().execute(upsert_row(t, {1, 10, nullptr, "x"},
                          {{"n", case_when({{col("n") < 0, -col("n") * proposed("n")}}, col("n"))},
                           {"note", case_when({{is_null(proposed("m")), val("no m")}}, val("m"))}}));
  EXPECT_EQ(all_rows(*t), (std::vector<Row>{{1, 30, 42, "no m"}}));
}

TEST_P(Conformance, EveryTypeRoundTrips) {
  auto t = create(Table(unique_table_name("types"))
                      .column("k", Type::text)
                      .column("i", Type::int64)
                      .column("d", Type::float64)
                      .column("b", Type::boolean)
                      .column("day", Type::date)
                      .column("at", Type::timestamp)
                      .column("raw", Type::bytes)
                      .unique_key({"k"}));
  const std::vector<Row> rows{
      {"max", std::numeric_limits<std::int64_t>::max(), 1.5e300, true, Date(9999, 12, 31),
       Timestamp::parse("2026-11-26 13:05:09.123456"), Bytes{{0, 1, 2, 255}}},
      {"min", std::numeric_limits<std::int64_t>::min(), -0.125, false, Date(1, 1, 1),
       Timestamp::parse("1970-01-01 00:00:00"), Bytes{{}}},
      {"nulls", nullptr, nullptr, nullptr, nullptr, nullptr, nullptr},
  };
  for (const auto& row : rows) {
    Upsert s = insert_into(t);
    s.row(row).on_conflict({"k"}).do_update(aggregate_assignments({{"i", Aggregate::last}}));
    db().execute(s);
  }
  auto stored = all_rows(*t);
  ASSERT_EQ(stored.size(), 3u);
  EXPECT_EQ(stored[0], rows[0]) << row_text(stored[0]);
  EXPECT_EQ(stored[1], rows[1]) << row_text(stored[1]);
  EXPECT_EQ(stored[2], rows[2]) << row_text(stored[2]);
}

TEST_P(Conformance, TransactionsCommitAndRollBack) {
  auto t = counters();
  db().begin();
  db().execute(upsert_row(t, {1, 1, nullptr, "x"}, add_proposed({"n"})));
  db().rollback();
  EXPECT_EQ(count_rows(*t), 0);
  db().transaction([&](Connection& c) {
    c.execute(upsert_row(t, {1, 1, nullptr, "x"}, add_proposed({"n"})));
    c.execute(upsert_row(t, {1, 2, nullptr, "x"}, add_proposed({"n"})));
  });
  EXPECT_EQ(all_rows(*t), (std::vector<Row>{{1, 3, nullptr, "x"}}));
}

TEST_P(Conformance, CreateTableIsIdempotent) {
  auto t = counters();
  EXPECT_NO_THROW(db().create_table(*t));
  EXPECT_EQ(count_rows(*t), 0);
}

INSTANTIATE_TEST_SUITE_P(Engines, Conformance, ::testing::ValuesIn(all_engines()), EngineName());

}  // namespace
}  // namespace upsert::testing
