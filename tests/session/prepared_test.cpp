// Prepared upserts (Connection::prepare) on every engine: the same results as execute() for every
// shape (update constants, WHERE, RETURNING with the inserted flag), the same checks of values,
// transactions, a reconnect, and a session the server ended. prepared_alloc.cpp counts allocations.

#include <chrono>
#include <functional>
#include <thread>

#include "support/engine_fixture.hpp"

namespace upsert::testing {
namespace {

class Prepared : public EngineTest {
 protected:
  std::shared_ptr<const Table> counters(const std::string& stem) {
    return create(Table(unique_table_name(stem))
                      .column("k", Type::int64)
                      .column("tag", Type::text)
                      .column("n", Type::int64, default_value(0), not_null)
                      .column("hi", Type::float64)
                      .primary_key({"k", "tag"}));
  }
  // The counting upsert prepared on db(): n adds up.
  PreparedUpsert prepare_sum(const std::shared_ptr<const Table>& t) {
    Upsert shape = insert_into(t);
    shape.on_conflict({"k", "tag"}).do_update({{"n", col("n") + proposed("n")}});
    return db().prepare(shape);
  }
  // The same rows through execute() into `plain` and through a prepared `shape` into `prepared`.
  void expect_same(const std::shared_ptr<const Table>& plain, const std::shared_ptr<const Table>& prepared,
                   const std::function<Upsert(std::shared_ptr<const Table>)>& shape) {
    PreparedUpsert p = db().prepare(shape(prepared));
    for (int i = 0; i < 300; ++i) {
      const Row row{i % 7, i % 2 == 0 ? "a" : "bé", i, i * 0.25};
      Upsert one = shape(plain);
      one.row(row);
      const ExecResult a = db().execute(one);
      const ExecResult b = p.execute(row);
      ASSERT_EQ(a.rows, b.rows) << "call " << i;
    }
    EXPECT_EQ(all_rows(*plain), all_rows(*prepared));
  }
};

TEST_P(Prepared, RunsEveryShapeAsExecuteDoes) {
  auto sum = [](std::shared_ptr<const Table> t) {
    Upsert s = insert_into(std::move(t));
    s.on_conflict({"k", "tag"})
        .do_update({{"n", col("n") + proposed("n")}, {"hi", greatest({col("hi"), proposed("hi")})}});
    return s;
  };
  expect_same(counters("prep_a"), counters("prep_b"), sum);
  // Constants in the update and a WHERE: the parameters after the row's values.
  auto constants = [](std::shared_ptr<const Table> t) {
    Upsert s = insert_into(std::move(t));
    s.on_conflict({"k", "tag"}).do_update({{"n", col("n") + proposed("n") * val(3) - val(1)}}, col("n") < val(20000));
    return s;
  };
  expect_same(counters("prep_c"), counters("prep_d"), constants);
  // RETURNING with the inserted flag (SQLite looks keys up, MySQL/MariaDB read outcomes).
  auto returning = [](std::shared_ptr<const Table> t) {
    Upsert s = insert_into(std::move(t));
    s.on_conflict({"k", "tag"})
        .do_update({{"n", col("n") + proposed("n")}})
        .returning({"k", "tag", "n"})
        .returning_inserted_flag();
    return s;
  };
  expect_same(counters("prep_e"), counters("prep_f"), returning);
  auto nothing = [](std::shared_ptr<const Table> t) {
    Upsert s = insert_into(std::move(t));
    s.on_conflict({"k", "tag"}).do_nothing();
    return s;
  };
  expect_same(counters("prep_g"), counters("prep_h"), nothing);
}

TEST_P(Prepared, ChecksValuesAsExecuteDoesAndNamesTheFix) {
  auto t = counters("prep_checks");
  PreparedUpsert p = prepare_sum(t);
  EXPECT_EQ(p.width(), 4u);
  const Error count = error_of([&] { p.execute(Row{1, "a", 1}); });
  EXPECT_EQ(count.category(), ErrorCategory::invalid_argument);
  EXPECT_NE(std::string(count.what()).find("takes 4 values"), std::string::npos) << count.what();
  const Error type = error_of([&] { p.execute(Row{1, "a", "one", 0.5}); });
  EXPECT_EQ(type.category(), ErrorCategory::invalid_argument);
  EXPECT_NE(std::string(type.what()).find("\"n\""), std::string::npos) << type.what();
  const Error null_key = error_of([&] { p.execute(Row{Value(), "a", 1, 0.5}); });
  EXPECT_EQ(null_key.category(), ErrorCategory::invalid_argument) << null_key.what();
  const Error null_n = error_of([&] { p.execute(Row{1, "a", Value(), 0.5}); });
  EXPECT_EQ(null_n.category(), ErrorCategory::invalid_argument) << null_n.what();
  EXPECT_EQ(count_rows(*t), 0);
  // A bad shape fails when it is prepared, not at its first call.
  Upsert no_action = insert_into(t);
  EXPECT_EQ(error_of([&] { db().prepare(no_action); }).category(), ErrorCategory::invalid_argument);
}

TEST_P(Prepared, JoinsTransactionsAndSurvivesAReconnect) {
  auto t = counters("prep_tx");
  PreparedUpsert p = prepare_sum(t);
  p.execute(Row{1, "a", 1, 0.0});
  db().begin();
  p.execute(Row{1, "a", 10, 0.0});
  db().rollback();
  db().begin();
  p.execute(Row{1, "a", 100, 0.0});
  db().commit();
  db().reconnect();  // the driver's prepared statements are gone; the next call prepares again
  p.execute(Row{1, "a", 1000, 0.0});
  EXPECT_EQ(all_rows(*t), (std::vector<Row>{{1, "a", 1101, 0.0}}));
}

// execute() keeps the SQL of the one-row shapes it ran (8 of them) and sends a known shape without
// rendering it: what it stores must be what rendering every call stores. Ten shapes (more than are
// kept) differ only in a constant and a WHERE, the statements are built anew each call (equal, not
// identical, expressions), and one statement object is reused with its update changed.
TEST_P(Prepared, ExecuteOfAShapeItRanStoresWhatRenderingEachCallWould) {
  auto kept = counters("shape_kept");
  auto rendered = counters("shape_rendered");
  auto shape = [](std::shared_ptr<const Table> t, int s) {
    Upsert u = insert_into(std::move(t));
    u.on_conflict({"k", "tag"})
        .do_update({{"n", col("n") + proposed("n") + val(s)}, {"hi", greatest({col("hi"), proposed("hi")})}},
                   col("n") < val(500 * (s + 1)));
    return u;
  };
  auto by_rendering = [&](const Upsert& u) { db().execute_sql(render(u, db().dialect(), db().render_options())); };
  for (int i = 0; i < 400; ++i) {
    const int s = (i * 7) % 10;
    const Row row{i % 5, i % 2 == 0 ? "a" : "bé", i, i % 3 == 0 ? Value() : Value(i * 0.5)};
    db().execute(shape(kept, s).row(row));
    by_rendering(shape(rendered, s).row(row));
  }
  Upsert reused = insert_into(kept);
  Upsert reference = insert_into(rendered);
  for (int i = 0; i < 40; ++i) {
    const Row row{i % 3, "z", 1, 0.0};
    auto update = [&](Upsert& u) -> Upsert& {
      return u.clear_rows().row(row).do_update({{"n", col("n") + proposed("n") * val(i % 4 + 1)}});
    };
    db().execute(update(reused));
    by_rendering(update(reference));
  }
  EXPECT_EQ(all_rows(*kept), all_rows(*rendered));
}

// The same statement object with another RETURNING list returns the new list.
TEST_P(Prepared, ExecuteNoticesAChangedReturningList) {
  auto t = counters("shape_returning");
  Upsert u = insert_into(t);
  u.on_conflict({"k", "tag"}).do_update({{"n", col("n") + proposed("n")}}).row(Row{1, "a", 5, 0.5});
  u.returning({"n"});
  EXPECT_EQ(db().execute(u).rows, (std::vector<Row>{{5}}));
  u.returning({"k", "n"});
  EXPECT_EQ(db().execute(u).rows, (std::vector<Row>{{1, 10}}));
  u.returning({});
  EXPECT_EQ(db().execute(u).rows, (std::vector<Row>{}));
  EXPECT_EQ(all_rows(*t), (std::vector<Row>{{1, "a", 15, 0.5}}));
}

INSTANTIATE_TEST_SUITE_P(Engines, Prepared, ::testing::ValuesIn(all_engines()), EngineName());

// MySQL/MariaDB refuse an upsert whose row could hit another unique key unless the render options
// allow it: a shape kept while allowed must not outlive set_render_options() taking it back.
class PreparedOnMariadb : public Prepared {};

TEST_P(PreparedOnMariadb, ShapesKeptUnderOtherRenderOptionsAreForgotten) {
  auto t = create(Table(unique_table_name("shape_options"))
                      .column("id", Type::int64)
                      .column("email", Type::text)
                      .column("n", Type::int64, default_value(0), not_null)
                      .primary_key({"id"})
                      .unique_key({"email"}));
  Upsert u = insert_into(t);
  u.on_conflict({"id"}).do_update({{"n", col("n") + proposed("n")}}).row(Row{1, "a@x", 1});
  RenderOptions options = db().render_options();
  EXPECT_EQ(error_of([&] { db().execute(u); }).category(), ErrorCategory::unsupported);
  options.allow_any_unique_key = true;
  db().set_render_options(options);
  db().execute(u);
  db().execute(u);
  options.allow_any_unique_key = false;
  db().set_render_options(options);
  const Error refused = error_of([&] { db().execute(u); });
  EXPECT_EQ(refused.category(), ErrorCategory::unsupported) << refused.what();
  EXPECT_EQ(all_rows(*t), (std::vector<Row>{{1, "a@x", 2}}));
}

INSTANTIATE_TEST_SUITE_P(Mariadb, PreparedOnMariadb, ::testing::Values(Engine::mariadb), EngineName());

// The servers only: SQLite has no session a server could end.
class PreparedOnServers : public Prepared {};

TEST_P(PreparedOnServers, ASessionTheServerEndedWhileIdleIsRetriedOnANewOne) {
  auto t = counters("prep_killed");
  PreparedUpsert p = prepare_sum(t);
  p.execute(Row{1, "a", 1, 0.0});
  const bool pg = GetParam() == Engine::postgres;
  const std::int64_t id = query_int(db(), pg ? "SELECT pg_backend_pid()" : "SELECT CONNECTION_ID()");
  Connection killer = open_another();
  killer.execute_script(pg ? fmt::format("SELECT pg_terminate_backend({})", id) : fmt::format("KILL {}", id));
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  if (pg) {
    // PostgreSQL's driver checks a session idle for over 2 ms before sending: nothing was sent, so
    // the call runs again on a new session.
    p.execute(Row{1, "a", 1, 0.0});
    EXPECT_GE(db().stats().reconnects, 1u);
  } else {
    // MariaDB's client finds out only after sending: the outcome is unknown and said so, as
    // execute() says it; the next call reconnects.
    EXPECT_EQ(error_of([&] { p.execute(Row{1, "a", 1, 0.0}); }).category(), ErrorCategory::outcome_unknown);
    db().reconnect();
    p.execute(Row{1, "a", 1, 0.0});
  }
  EXPECT_EQ(all_rows(*t), (std::vector<Row>{{1, "a", 2, 0.0}}));
}

INSTANTIATE_TEST_SUITE_P(Servers, PreparedOnServers, ::testing::Values(Engine::postgres, Engine::mariadb),
                         EngineName());

}  // namespace
}  // namespace upsert::testing
