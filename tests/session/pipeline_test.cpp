// PostgreSQL sends the statements of one batch round in pipeline mode (a sync after each, so each
// is its own transaction outside a caller's transaction): what that means when a statement in the
// middle fails, inside and outside a transaction, and when the session dies in the middle of the
// pipeline. Every batch here is 5 statements of 100 rows (max_rows_per_statement = 100).

#include <atomic>
#include <chrono>
#include <thread>

#include "session/session.hpp"
#include "statement/rows.hpp"
#include "support/engine_fixture.hpp"

namespace upsert::testing {
namespace {

class Pipeline : public EngineTest {
 protected:
  // k, n; n must stay under 1,000,000 (a CHECK), so one row can make its statement fail.
  std::shared_ptr<const Table> checked(const std::string& stem) {
    auto t = create(Table(unique_table_name(stem))
                        .column("k", Type::int64)
                        .column("n", Type::int64, default_value(0), not_null)
                        .primary_key({"k"}));
    db().execute_script(
        fmt::format("ALTER TABLE {} ADD CHECK (n < 1000000)", quote_identifier(t->name(), db().dialect())));
    return t;
  }
  // Keys 0..499, n = 1 each, but key `bad` (if any) gets 5,000,000, which the CHECK refuses.
  static Upsert batch(const std::shared_ptr<const Table>& t, std::int64_t bad = -1) {
    Upsert s = insert_into(t);
    for (std::int64_t k = 0; k < 500; ++k) s.row({k, k == bad ? 5'000'000 : 1});
    s.do_update(add_proposed({"n"}));
    return s;
  }
  static constexpr BatchOptions hundred{.max_rows_per_statement = 100};
};

TEST_P(Pipeline, StoresEveryStatementOnceAndCountsThem) {
  auto t = checked("pipe_ok");
  const BatchResult first = db().execute_batch(batch(t), hundred);
  const BatchResult second = db().execute_batch(batch(t), hundred);
  EXPECT_EQ(first.statements, 5u);
  EXPECT_EQ(second.statements, 5u);
  EXPECT_EQ(first.affected_rows + second.affected_rows, 1000);
  EXPECT_EQ(query_int(db(), "SELECT SUM(n) FROM " + t->name()), 1000);
  EXPECT_EQ(query_int(db(), "SELECT COUNT(*) FROM " + t->name() + " WHERE n = 2"), 500);
}

// Outside a transaction each statement is atomic on its own: the third fails, the others were sent
// without waiting for it and are applied once; the error names the cause. (One statement at a
// time, the fourth and fifth would not have run: the README says which rows a failed batch left.)
TEST_P(Pipeline, AFailedStatementIsReportedAndTheOthersAreAppliedOnce) {
  auto t = checked("pipe_fail");
  const Error e = error_of([&] { db().execute_batch(batch(t, 250), hundred); });
  EXPECT_EQ(e.category(), ErrorCategory::constraint) << e.what();
  // Statement 3 holds keys 200..299: none of them; every other key once.
  EXPECT_EQ(query_int(db(), "SELECT COUNT(*) FROM " + t->name() + " WHERE k BETWEEN 200 AND 299"), 0);
  EXPECT_EQ(query_int(db(), "SELECT COUNT(*) FROM " + t->name()), 400);
  EXPECT_EQ(query_int(db(), "SELECT SUM(n) FROM " + t->name()), 400);
  // The session is usable afterwards (out of pipeline mode).
  db().execute_batch(batch(t), hundred);
  EXPECT_EQ(query_int(db(), "SELECT SUM(n) FROM " + t->name()), 900);
}

// In one transaction the first error ends the batch and the transaction applies nothing.
TEST_P(Pipeline, InOneTransactionAFailedStatementAppliesNothing) {
  auto t = checked("pipe_tx");
  BatchOptions options = hundred;
  options.one_transaction = true;
  const Error e = error_of([&] { db().execute_batch(batch(t, 250), options); });
  EXPECT_EQ(e.category(), ErrorCategory::constraint) << e.what();
  EXPECT_EQ(count_rows(*t), 0);
  db().begin();
  EXPECT_EQ(error_of([&] { db().execute_batch(batch(t, 450), hundred); }).category(), ErrorCategory::constraint);
  db().rollback();
  EXPECT_EQ(count_rows(*t), 0);
  db().begin();
  db().execute_batch(batch(t), hundred);
  db().commit();
  EXPECT_EQ(query_int(db(), "SELECT SUM(n) FROM " + t->name()), 500);
}

// A statement that meets a transient error (here a lock timeout: another session holds a row of
// statement 2 for 300 ms) runs again on its own after the others, and every row is applied once.
TEST_P(Pipeline, AStatementThatMeetsALockTimeoutRunsAgainAlone) {
  auto t = checked("pipe_retry");
  db().execute_batch(batch(t), hundred);
  Connection holder = open_another();
  holder.begin();
  holder.execute_script("UPDATE " + t->name() + " SET n = n + 1000 WHERE k = 150");
  db().execute_script("SET lock_timeout = '50ms'");
  std::thread release([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    holder.commit();
  });
  const std::uint64_t retries = db().stats().retries;
  db().execute_batch(batch(t), hundred);
  release.join();
  EXPECT_GE(db().stats().retries, retries + 1);
  EXPECT_EQ(query_int(db(), "SELECT SUM(n) FROM " + t->name()), 2000);
  EXPECT_EQ(query_int(db(), "SELECT n FROM " + t->name() + " WHERE k = 150"), 1002);
}

// The session dies while the pipeline runs (a trigger ends its own backend at key 250, in
// statement 3): statements 1 and 2 committed, 3 died with the session, 4 and 5 never ran. The
// batch reports outcome_unknown (the library cannot know how far the server got), and nothing
// was applied twice; after reconnect() the connection works.
TEST_P(Pipeline, ASessionLostInThePipelineIsOutcomeUnknownAndNothingIsAppliedTwice) {
  auto t = checked("pipe_lost");
  const std::string function = t->name() + "_die";
  db().execute_script(fmt::format(
      "CREATE FUNCTION {0}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
      "IF NEW.k = 250 AND NEW.n = 7 THEN PERFORM pg_terminate_backend(pg_backend_pid()); PERFORM pg_sleep(5); END IF; "
      "RETURN NEW; END $$; "
      "CREATE TRIGGER {0} BEFORE INSERT ON {1} FOR EACH ROW EXECUTE FUNCTION {0}()",
      function, t->name()));
  Upsert dying = batch(t);
  detail::StatementRows::rows(dying)[250][1] = Value(std::int64_t{7});
  const Error e = error_of([&] { db().execute_batch(dying, hundred); });
  EXPECT_EQ(e.category(), ErrorCategory::outcome_unknown) << e.what();
  db().reconnect();
  EXPECT_EQ(query_int(db(), "SELECT COUNT(*) FROM " + t->name()), 200);
  EXPECT_EQ(query_int(db(), "SELECT MAX(k) FROM " + t->name()), 199);
  EXPECT_EQ(query_int(db(), "SELECT SUM(n) FROM " + t->name()), 200);
  db().execute_script("DROP FUNCTION " + function + "() CASCADE");
}

// BatchOptions::take_turns_across_processes: each statement first takes the table's advisory
// lock in its own transaction. While another session holds it, the batch waits and writes
// nothing; once it is released, every row is written once (one statement or several).
TEST_P(Pipeline, TurnsAcrossProcessesWaitForTheTablesAdvisoryLock) {
  auto t = checked("pipe_turns");
  const std::int64_t key = detail::advisory_lock_key("upsert.batch_turn:" + t->name());
  Connection holder = open_another();
  holder.execute_sql(Sql{"SELECT pg_advisory_lock($1)", {key}});
  BatchOptions options = hundred;
  options.take_turns_across_processes = true;
  std::atomic<bool> done{false};
  std::thread writer([&] {
    Connection c = open_another();
    c.execute_batch(batch(t), options);                                            // five statements
    c.execute_batch(batch(t), BatchOptions{.take_turns_across_processes = true});  // one
    done = true;
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  EXPECT_FALSE(done.load());
  EXPECT_EQ(count_rows(*t), 0);
  holder.execute_sql(Sql{"SELECT pg_advisory_unlock($1)", {key}});
  writer.join();
  EXPECT_TRUE(done.load());
  EXPECT_EQ(query_int(db(), "SELECT SUM(n) FROM " + t->name()), 1000);
  EXPECT_EQ(query_int(db(), "SELECT COUNT(*) FROM " + t->name() + " WHERE n = 2"), 500);
  // A failed statement under the lock: reported, the lock released with its transaction.
  EXPECT_EQ(error_of([&] { db().execute_batch(batch(t, 250), options); }).category(), ErrorCategory::constraint);
  EXPECT_EQ(query_int(db(), "SELECT SUM(n) FROM " + t->name()), 1400);
  EXPECT_EQ(query_int(holder, fmt::format("SELECT CASE WHEN pg_try_advisory_lock({}) THEN 1 ELSE 0 END", key)), 1);
}

INSTANTIATE_TEST_SUITE_P(Postgres, Pipeline, ::testing::Values(Engine::postgres), EngineName());

}  // namespace
}  // namespace upsert::testing
