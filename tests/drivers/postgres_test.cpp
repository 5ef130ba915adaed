// PostgreSQL-specific driver tests on the real server of scripts/test-servers.sh: URL forms, type
// round trips, RETURNING with the inserted flag, the prepared-statement cache, SQLSTATE mapping,
// deadlocks, killed sessions, a server restart and 16 concurrent writers. What every engine must
// do alike lives in the shared conformance suite.

#include <fmt/format.h>

#include <cfloat>
#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <latch>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "drivers/engines.hpp"
#include "drivers/postgres/error.hpp"

namespace upsert::testing {
namespace {

using namespace std::chrono_literals;

std::string pg_url() {
  return engine_url(Engine::postgres);
}

// A table created for one test and dropped at its end, through a connection of its own (the
// test's connections may be dead by then).
class ScopedTable {
 public:
  explicit ScopedTable(Table table)
      : admin_(connect(pg_url())), table_(std::make_shared<const Table>(std::move(table))) {
    drop_table(admin_, table_->name());
    admin_.create_table(*table_);
  }
  ~ScopedTable() {
    try {
      drop_table(admin_, table_->name());
    } catch (const std::exception&) {
      // Best effort: a failed drop must not hide the test's own result.
    }
  }
  ScopedTable(const ScopedTable&) = delete;
  ScopedTable& operator=(const ScopedTable&) = delete;

  const std::shared_ptr<const Table>& table() const { return table_; }
  std::string quoted() const { return quote_identifier(table_->name(), Dialect::postgresql); }
  Connection& admin() { return admin_; }

 private:
  Connection admin_;
  std::shared_ptr<const Table> table_;
};

// (k) -> n: the counter table of most tests.
Table counter_table(const std::string& stem) {
  return Table(unique_table_name(stem))
      .column("k", Type::int64)
      .column("n", Type::int64, default_value(0), not_null)
      .primary_key({"k"});
}

// n = n + delta for key k, inserting (k, delta) when k is new.
Upsert increment(const std::shared_ptr<const Table>& table, std::int64_t key, std::int64_t delta) {
  return insert_into(table).row({key, delta}).on_conflict({"k"}).do_update(add_proposed({"n"}));
}

// The counter of key k, or nullopt when the row does not exist.
std::optional<std::int64_t> counter(Connection& c, const ScopedTable& t, std::int64_t key) {
  auto rows = c.query(Sql{"SELECT n FROM " + t.quoted() + " WHERE k = $1", {key}}, {Type::int64});
  if (rows.empty()) return std::nullopt;
  return rows[0][0].as<std::int64_t>();
}

std::int64_t backend_pid(Connection& c) {
  return query_int(c, "SELECT pg_backend_pid()");
}

// Ends another session the way an administrator would; waits (up to 5 s) until it is gone.
void terminate_backend(Connection& admin, std::int64_t pid) {
  auto rows = admin.query(Sql{"SELECT pg_terminate_backend(CAST($1 AS integer), 5000)", {pid}}, {Type::boolean});
  ASSERT_EQ(rows.size(), 1u);
  ASSERT_TRUE(rows[0][0].as<bool>()) << "pg_terminate_backend(" << pid << ") failed";
}

// Runs `f`, which must throw upsert::Error; returns it.
template <class F>
Error thrown_error(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e;
  }
  ADD_FAILURE() << "expected an upsert::Error, got none";
  return Error(ErrorCategory::internal, "no error thrown");
}

bool contains(const std::string& text, const std::string& fragment) {
  return text.find(fragment) != std::string::npos;
}

// ---------------------------------------------------------------------------------------------
// URLs

TEST(PostgresUrl, TcpUrlConnects) {
  Connection c = connect(pg_url());
  EXPECT_EQ(c.dialect(), Dialect::postgresql);
  EXPECT_EQ(c.server_version().substr(0, 3), "15.");
  // Over TCP the server sees a client address.
  EXPECT_FALSE(c.query(Sql{"SELECT inet_client_addr() IS NULL", {}}, {Type::boolean})[0][0].as<bool>());
}

TEST(PostgresUrl, PostgresSchemeIsAnAlias) {
  std::string url = pg_url();
  ASSERT_EQ(url.rfind("postgresql://", 0), 0u) << url;
  url.replace(0, std::string("postgresql://").size(), "postgres://");
  Connection c = connect(url);
  EXPECT_EQ(query_int(c, "SELECT 41 + 1"), 42);
}

TEST(PostgresUrl, UnixSocketThroughHostParameter) {
  const std::string socket_dir = server_url("UPSERT_TEST_POSTGRES_SOCKET_DIR");
  // host= in the query overrides the URL's host, so the same user, port and database are used.
  Connection c = connect(pg_url() + "?host=" + socket_dir);
  // Over a unix socket there is no client address.
  EXPECT_TRUE(c.query(Sql{"SELECT inet_client_addr() IS NULL", {}}, {Type::boolean})[0][0].as<bool>());
}

TEST(PostgresUrl, UnreachablePortIsConnectionErrorWithoutThePassword) {
  Error e = thrown_error([] { connect("postgresql://upsert:s3cret@127.0.0.1:1/upsert_test"); });
  EXPECT_EQ(category_name(e.category()), "connection") << e.what();
  EXPECT_EQ(e.engine_code(), "08001");
  EXPECT_TRUE(contains(e.what(), "cannot connect to PostgreSQL at postgresql://upsert:***@127.0.0.1:1")) << e.what();
  EXPECT_TRUE(contains(e.what(), "Check the URL")) << e.what();
  EXPECT_FALSE(contains(e.what(), "s3cret")) << e.what();
}

TEST(PostgresUrl, MessagesMaskPasswords) {
  using detail::postgres::redact_url;
  EXPECT_EQ(redact_url("postgresql://u:p%40ss@h:5432/db?password=x&sslmode=require"),
            "postgresql://u:***@h:5432/db?password=***&sslmode=require");
  EXPECT_EQ(redact_url("postgresql://u@h:5432/db"), "postgresql://u@h:5432/db");
  EXPECT_EQ(redact_url("postgres:///db?host=/tmp&password=x"), "postgres:///db?host=/tmp&password=***");
}

TEST(PostgresUrl, MissingDatabaseIsConnectionErrorWithTheServersReason) {
  std::string url = pg_url();
  url = url.substr(0, url.rfind('/') + 1) + "no_such_database_here";
  Error e = thrown_error([&] { connect(url); });
  EXPECT_EQ(category_name(e.category()), "connection") << e.what();
  EXPECT_TRUE(contains(e.what(), "no_such_database_here")) << e.what();
}

TEST(PostgresUrl, UnknownParameterIsInvalidArgument) {
  Error e = thrown_error([] { connect("postgresql://upsert@127.0.0.1:54329/upsert_test?no_such_option=1"); });
  EXPECT_EQ(category_name(e.category()), "invalid_argument") << e.what();
  EXPECT_TRUE(contains(e.what(), "no_such_option")) << e.what();
}

// ---------------------------------------------------------------------------------------------
// Types

Table all_types_table() {
  return Table(unique_table_name("pg_types"))
      .column("id", Type::int64)
      .column("i", Type::int64)
      .column("f", Type::float64)
      .column("t", Type::text)
      .column("b", Type::boolean)
      .column("d", Type::date)
      .column("ts", Type::timestamp)
      .column("by", Type::bytes)
      .primary_key({"id"});
}

const std::vector<std::string> value_columns{"i", "f", "t", "b", "d", "ts", "by"};

// One row per case; the id comes first.
std::vector<Row> type_cases() {
  return {
      {1, std::numeric_limits<std::int64_t>::min(), -1.5, "Grüße, 世界 🎉", true, Date{1, 1, 1},
       Timestamp::from_parts(Date{1969, 12, 31}, 23, 59, 59, 999999), Bytes{{0, 1, 0, 255, 0}}},
      {2, std::numeric_limits<std::int64_t>::max(), 0.1, "", false, Date{9999, 12, 31},
       Timestamp::from_parts(Date{2026, 11, 26}, 13, 0, 0, 123456), Bytes{}},
      {3, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr},
      {4, -42, 1e300, "quote ' backslash \\ newline \n tab \t", true, Date{2024, 2, 29},
       Timestamp::from_parts(Date{2000, 1, 1}, 0, 0, 0, 1), Bytes{{0}}},
      {5, 0, -2.2250738585072014e-308, "$1 is not a placeholder in a value", false, Date{1970, 1, 1},
       Timestamp::from_parts(Date{1, 1, 1}, 0, 0, 0, 0), Bytes{{0x5c, 0x78, 0x00, 0x27}}},
  };
}

Upsert set_all_columns(const std::shared_ptr<const Table>& table, const Row& row) {
  std::vector<Assignment> assignments;
  for (const auto& name : value_columns) assignments.push_back({name, proposed(name)});
  return insert_into(table)
      .row(row)
      .on_conflict({"id"})
      .do_update(assignments)
      .returning({"id", "i", "f", "t", "b", "d", "ts", "by"});
}

std::vector<Row> select_all_types(Connection& c, const ScopedTable& t) {
  return c.query(
      Sql{"SELECT id, i, f, t, b, d, ts, by FROM " + t.quoted() + " ORDER BY id", {}},
      {Type::int64, Type::int64, Type::float64, Type::text, Type::boolean, Type::date, Type::timestamp, Type::bytes});
}

TEST(PostgresTypes, EveryTypeRoundTripsThroughInsertUpdateAndSelect) {
  ScopedTable t(all_types_table());
  Connection c = connect(pg_url());
  const std::vector<Row> cases = type_cases();

  // Insert path: RETURNING gives back exactly what was bound.
  for (const Row& row : cases) {
    ExecResult r = c.execute(set_all_columns(t.table(), row));
    ASSERT_EQ(r.rows.size(), 1u);
    EXPECT_EQ(r.rows[0], row) << "row id " << row[0].to_string();
  }
  EXPECT_EQ(select_all_types(c, t), cases);

  // Update path: every row takes the values of the next case, so each type is bound again in
  // DO UPDATE (including NULL over a value and a value over NULL).
  std::vector<Row> shifted;
  for (std::size_t i = 0; i < cases.size(); ++i) {
    Row row = cases[(i + 1) % cases.size()];
    row[0] = cases[i][0];
    shifted.push_back(row);
    ExecResult r = c.execute(set_all_columns(t.table(), row));
    ASSERT_EQ(r.rows.size(), 1u);
    EXPECT_EQ(r.rows[0], row);
  }
  EXPECT_EQ(select_all_types(c, t), shifted);
}

TEST(PostgresTypes, DoublesRoundTripExactly) {
  ScopedTable t(
      Table(unique_table_name("pg_doubles")).column("id", Type::int64).column("f", Type::float64).primary_key({"id"}));
  Connection c = connect(pg_url());
  const std::vector<double> values{0.1,
                                   1.0 / 3.0,
                                   -0.0,
                                   DBL_MAX,
                                   -DBL_MAX,
                                   DBL_MIN,
                                   5e-324,
                                   123456789.123456789,
                                   std::numeric_limits<double>::infinity(),
                                   -std::numeric_limits<double>::infinity(),
                                   std::nan("")};
  for (std::size_t i = 0; i < values.size(); ++i) {
    c.execute(insert_into(t.table()).row({static_cast<std::int64_t>(i), values[i]}).on_conflict({"id"}).do_nothing());
  }
  auto rows = c.query(Sql{"SELECT f FROM " + t.quoted() + " ORDER BY id", {}}, {Type::float64});
  ASSERT_EQ(rows.size(), values.size());
  for (std::size_t i = 0; i < values.size(); ++i) {
    const double got = rows[i][0].as<double>();
    if (std::isnan(values[i])) {
      EXPECT_TRUE(std::isnan(got));
    } else {
      EXPECT_EQ(got, values[i]) << fmt::format("{} came back as {}", values[i], got);
      EXPECT_EQ(std::signbit(got), std::signbit(values[i])) << values[i];
    }
  }
}

TEST(PostgresTypes, IntegerBoundIntoDoubleColumn) {
  ScopedTable t(Table(unique_table_name("pg_int_double"))
                    .column("id", Type::int64)
                    .column("f", Type::float64)
                    .primary_key({"id"}));
  Connection c = connect(pg_url());
  c.execute(insert_into(t.table()).row({1, 7}).on_conflict({"id"}).do_update({{"f", col("f") + proposed("f")}}));
  c.execute(insert_into(t.table()).row({1, 0.5}).on_conflict({"id"}).do_update({{"f", col("f") + proposed("f")}}));
  EXPECT_EQ(c.query(Sql{"SELECT f FROM " + t.quoted(), {}}, {Type::float64})[0][0].as<double>(), 7.5);
}

TEST(PostgresTypes, TextWithNulByteIsDataError) {
  Connection c = connect(pg_url());
  Error e = thrown_error([&] { c.execute_sql(Sql{"SELECT $1", {std::string("a\0b", 3)}}); });
  EXPECT_EQ(category_name(e.category()), "data") << e.what();
  EXPECT_TRUE(contains(e.what(), "NUL")) << e.what();
  // The connection is still usable: nothing was sent.
  EXPECT_EQ(query_int(c, "SELECT 1"), 1);
}

TEST(PostgresTypes, ColumnsBeyondResultTypesComeBackAsText) {
  Connection c = connect(pg_url());
  auto rows = c.query(Sql{"SELECT CAST(7 AS bigint), 2.50::numeric, DATE '2026-11-26', 'x'::bytea", {}}, {Type::int64});
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0], (Row{7, "2.50", "2026-11-26", "\\x78"}));
}

TEST(PostgresTypes, TimestamptzReadsAsUtcTimestamp) {
  Connection c = connect(pg_url());
  auto rows = c.query(Sql{"SELECT TIMESTAMPTZ '2026-11-26 14:30:00.25+01:00'", {}}, {Type::timestamp});
  EXPECT_EQ(rows[0][0], Value(Timestamp::from_parts(Date{2026, 11, 26}, 13, 30, 0, 250000)));
}

TEST(PostgresTypes, ValueThatDoesNotParseIsDataErrorNamingTheColumn) {
  Connection c = connect(pg_url());
  Error e = thrown_error([&] { c.query(Sql{"SELECT 'abc' AS word", {}}, {Type::int64}); });
  EXPECT_EQ(category_name(e.category()), "data") << e.what();
  EXPECT_TRUE(contains(e.what(), "\"word\"")) << e.what();
  Error bc = thrown_error([&] { c.query(Sql{"SELECT DATE '0044-03-15 BC'", {}}, {Type::date}); });
  EXPECT_EQ(category_name(bc.category()), "data") << bc.what();
}

// ---------------------------------------------------------------------------------------------
// RETURNING

TEST(PostgresReturning, InsertedFlagIsTrueOnInsertThenFalseOnUpdate) {
  ScopedTable t(counter_table("pg_returning"));
  Connection c = connect(pg_url());
  auto upsert = [&] {
    Upsert s = increment(t.table(), 1, 5);
    s.returning({"n"}).returning_inserted_flag();
    return c.execute(s);
  };
  ExecResult first = upsert();
  EXPECT_EQ(first.affected_rows, 1);
  EXPECT_EQ(first.rows, (std::vector<Row>{{5, true}}));
  ExecResult second = upsert();
  EXPECT_EQ(second.affected_rows, 1);
  EXPECT_EQ(second.rows, (std::vector<Row>{{10, false}}));
}

TEST(PostgresReturning, FlagPerRowInOneStatementAndNothingForDoNothing) {
  ScopedTable t(counter_table("pg_returning_rows"));
  Connection c = connect(pg_url());
  c.execute(increment(t.table(), 2, 1));

  Upsert two = insert_into(t.table()).row({1, 1}).row({2, 1}).on_conflict({"k"}).do_update(add_proposed({"n"}));
  two.returning({"k", "n"}).returning_inserted_flag();
  ExecResult r = c.execute(two);
  EXPECT_EQ(r.affected_rows, 2);
  std::sort(r.rows.begin(), r.rows.end());
  EXPECT_EQ(r.rows, (std::vector<Row>{{1, 1, true}, {2, 2, false}}));

  Upsert keep = insert_into(t.table()).row({2, 100}).row({3, 7}).on_conflict({"k"}).do_nothing();
  keep.returning({"k", "n"}).returning_inserted_flag();
  ExecResult kept = c.execute(keep);
  EXPECT_EQ(kept.affected_rows, 1);
  EXPECT_EQ(kept.rows, (std::vector<Row>{{3, 7, true}}));
}

// ---------------------------------------------------------------------------------------------
// Prepared statements

TEST(PostgresPrepared, CacheStaysCorrectOverAThousandExecutionsWithVaryingNulls) {
  ScopedTable t(Table(unique_table_name("pg_prepared"))
                    .column("k", Type::int64)
                    .column("a", Type::int64)
                    .column("s", Type::text)
                    .primary_key({"k"}));
  Connection c = connect(pg_url());
  std::map<std::int64_t, std::pair<Value, Value>> expected;
  for (int i = 0; i < 1000; ++i) {
    const std::int64_t key = i % 50;
    const Value a = i % 3 == 0 ? Value() : Value(i);
    const Value s = i % 5 == 0 ? Value() : Value(fmt::format("s{}", i));
    Upsert u = insert_into(t.table())
                   .row({key, a, s})
                   .on_conflict({"k"})
                   .do_update({{"a", proposed("a")}, {"s", proposed("s")}});
    u.returning({"a", "s"});
    ExecResult r = c.execute(u);
    ASSERT_EQ(r.rows, (std::vector<Row>{{a, s}})) << "execution " << i;
    expected[key] = {a, s};
  }
  // Four NULL patterns, four statements: the cache reuses them (plus this query itself).
  EXPECT_EQ(query_int(c, "SELECT COUNT(*) FROM pg_prepared_statements"), 5);

  auto rows =
      c.query(Sql{"SELECT k, a, s FROM " + t.quoted() + " ORDER BY k", {}}, {Type::int64, Type::int64, Type::text});
  ASSERT_EQ(rows.size(), expected.size());
  for (const auto& row : rows) {
    const auto& [a, s] = expected.at(row[0].as<std::int64_t>());
    EXPECT_EQ(row[1], a) << "key " << row[0].to_string();
    EXPECT_EQ(row[2], s) << "key " << row[0].to_string();
  }
}

TEST(PostgresPrepared, ManyDistinctStatementsStayBoundedAndCorrect) {
  Connection c = connect(pg_url());
  for (int round = 0; round < 2; ++round) {
    for (int i = 0; i < 300; ++i) {
      auto rows = c.query(Sql{fmt::format("SELECT $1 + {}", i), {1000}}, {Type::int64});
      ASSERT_EQ(rows[0][0].as<std::int64_t>(), 1000 + i) << "statement " << i << " round " << round;
    }
  }
  EXPECT_LE(query_int(c, "SELECT COUNT(*) FROM pg_prepared_statements"), 256);
}

TEST(PostgresPrepared, StatementsDeallocatedBehindTheDriversBackArePreparedAgain) {
  ScopedTable t(counter_table("pg_deallocated"));
  Connection c = connect(pg_url());
  c.execute(increment(t.table(), 1, 1));
  c.execute_script("DEALLOCATE ALL");
  c.execute(increment(t.table(), 1, 1));
  EXPECT_EQ(c.stats().retries, 1u);
  EXPECT_EQ(counter(c, t, 1), 2);
}

// ---------------------------------------------------------------------------------------------
// Error mapping

TEST(PostgresErrors, SqlstateCategories) {
  using detail::postgres::category_for_sqlstate;
  const std::vector<std::pair<std::string, ErrorCategory>> cases{
      {"40001", ErrorCategory::retryable},   {"40P01", ErrorCategory::retryable},
      {"55P03", ErrorCategory::retryable},   {"23505", ErrorCategory::constraint},
      {"23502", ErrorCategory::constraint},  {"22003", ErrorCategory::overflow},
      {"22P02", ErrorCategory::data},        {"22001", ErrorCategory::data},
      {"42P01", ErrorCategory::syntax},      {"42601", ErrorCategory::syntax},
      {"08006", ErrorCategory::connection},  {"57P01", ErrorCategory::connection},
      {"57P02", ErrorCategory::connection},  {"57P03", ErrorCategory::connection},
      {"0A000", ErrorCategory::unsupported}, {"25P02", ErrorCategory::invalid_argument},
      {"XX000", ErrorCategory::internal},    {"", ErrorCategory::internal},
  };
  for (const auto& [sqlstate, category] : cases) {
    EXPECT_EQ(category_name(category_for_sqlstate(sqlstate)), category_name(category)) << sqlstate;
  }
}

TEST(PostgresErrors, UniqueViolationOnAnotherKeyIsConstraint) {
  ScopedTable t(Table(unique_table_name("pg_two_keys"))
                    .column("id", Type::int64)
                    .column("email", Type::text, not_null)
                    .column("n", Type::int64, default_value(0), not_null)
                    .primary_key({"id"})
                    .unique_key({"email"}));
  Connection c = connect(pg_url());
  auto upsert = [&](std::int64_t id) {
    return insert_into(t.table()).row({id, "a@example.com", 1}).on_conflict({"id"}).do_update(add_proposed({"n"}));
  };
  c.execute(upsert(1));
  Error e = thrown_error([&] { c.execute(upsert(2)); });
  EXPECT_EQ(category_name(e.category()), "constraint") << e.what();
  EXPECT_EQ(e.engine_code(), "23505");
  EXPECT_TRUE(contains(e.sql(), "ON CONFLICT")) << e.sql();
  EXPECT_TRUE(contains(e.what(), "email")) << e.what();
  EXPECT_EQ(c.stats().retries, 0u) << "a constraint violation must not be retried";
}

TEST(PostgresErrors, BigintOverflowIsOverflowAndLeavesTheRow) {
  ScopedTable t(counter_table("pg_overflow"));
  Connection c = connect(pg_url());
  const std::int64_t near_max = std::numeric_limits<std::int64_t>::max() - 1;
  c.execute(increment(t.table(), 1, near_max));
  Error e = thrown_error([&] { c.execute(increment(t.table(), 1, 5)); });
  EXPECT_EQ(category_name(e.category()), "overflow") << e.what();
  EXPECT_EQ(e.engine_code(), "22003");
  EXPECT_EQ(counter(c, t, 1), near_max);
}

TEST(PostgresErrors, MissingTableIsSyntaxWithTheSql) {
  Connection c = connect(pg_url());
  const std::string sql = "SELECT * FROM no_such_table_here WHERE x = $1";
  Error e = thrown_error([&] { c.execute_sql(Sql{sql, {1}}); });
  EXPECT_EQ(category_name(e.category()), "syntax") << e.what();
  EXPECT_EQ(e.engine_code(), "42P01");
  EXPECT_EQ(e.sql(), sql);
  EXPECT_TRUE(contains(e.what(), "no_such_table_here")) << e.what();
}

TEST(PostgresErrors, BadTextForATypeIsData) {
  Connection c = connect(pg_url());
  Error e = thrown_error([&] { c.execute_sql(Sql{"SELECT CAST($1 AS integer)", {"twelve"}}); });
  EXPECT_EQ(category_name(e.category()), "data") << e.what();
  EXPECT_EQ(e.engine_code(), "22P02");
}

TEST(PostgresErrors, AbortedTransactionSaysToRollBackAndCommitReportsTheCause) {
  ScopedTable t(counter_table("pg_aborted"));
  Connection c = connect(pg_url());
  c.begin();
  EXPECT_TRUE(c.in_transaction());
  c.execute(increment(t.table(), 1, 1));
  Error first = thrown_error([&] { c.execute_sql(Sql{"SELECT * FROM no_such_table_here", {}}); });
  EXPECT_EQ(first.engine_code(), "42P01");
  Error refused = thrown_error([&] { c.execute(increment(t.table(), 2, 1)); });
  EXPECT_EQ(refused.engine_code(), "25P02");
  EXPECT_TRUE(contains(refused.what(), "rollback()")) << refused.what();
  Error commit = thrown_error([&] { c.commit(); });
  EXPECT_EQ(category_name(commit.category()), "syntax") << commit.what();
  EXPECT_TRUE(contains(commit.what(), "rolled the transaction back")) << commit.what();
  EXPECT_TRUE(contains(commit.what(), "no_such_table_here")) << commit.what();
  EXPECT_FALSE(c.in_transaction());
  EXPECT_EQ(counter(c, t, 1), std::nullopt) << "the aborted transaction's upsert must not persist";
  c.execute(increment(t.table(), 1, 1));
  EXPECT_EQ(counter(c, t, 1), 1);
}

TEST(PostgresErrors, TransactionMisuseIsInvalidArgument) {
  Connection c = connect(pg_url());
  EXPECT_EQ(category_name(thrown_error([&] { c.commit(); }).category()), "invalid_argument");
  c.begin();
  EXPECT_EQ(category_name(thrown_error([&] { c.begin(); }).category()), "invalid_argument");
  c.rollback();
  EXPECT_FALSE(c.in_transaction());
  c.rollback();  // harmless outside a transaction
}

// Two transactions take row locks in opposite orders: the server picks one to fail with 40P01.
TEST(PostgresErrors, DeadlockIsRetryableWith40P01) {
  ScopedTable t(counter_table("pg_deadlock"));
  t.admin().execute(increment(t.table(), 1, 0));
  t.admin().execute(increment(t.table(), 2, 0));

  std::latch both_hold_one_row(2);
  std::mutex mutex;
  std::vector<Error> errors;
  int commits = 0;
  auto worker = [&](std::int64_t first, std::int64_t second) {
    Connection c = connect(pg_url());
    c.begin();
    try {
      c.execute(increment(t.table(), first, 1));
      both_hold_one_row.arrive_and_wait();
      c.execute(increment(t.table(), second, 1));
      c.commit();
      std::lock_guard lock(mutex);
      ++commits;
    } catch (const Error& e) {
      c.rollback();
      std::lock_guard lock(mutex);
      errors.push_back(e);
    }
  };
  std::thread a(worker, 1, 2);
  std::thread b(worker, 2, 1);
  a.join();
  b.join();

  ASSERT_EQ(errors.size(), 1u);
  EXPECT_EQ(commits, 1);
  EXPECT_EQ(category_name(errors[0].category()), "retryable") << errors[0].what();
  EXPECT_EQ(errors[0].engine_code(), "40P01");
  // Only the surviving transaction's two increments are in the table.
  EXPECT_EQ(counter(t.admin(), t, 1), 1);
  EXPECT_EQ(counter(t.admin(), t, 2), 1);
}

// ---------------------------------------------------------------------------------------------
// Lost connections

TEST(PostgresConnectionLoss, TerminatedSessionIsConnectionErrorAndReconnectRecovers) {
  ScopedTable t(counter_table("pg_terminated"));
  Connection c = connect(pg_url());
  c.execute(increment(t.table(), 1, 1));

  terminate_backend(t.admin(), backend_pid(c));
  // The driver finds the dead session before sending anything: safe to retry.
  Error e = thrown_error([&] { c.driver().execute(increment(t.table(), 1, 1), {}); });
  EXPECT_EQ(category_name(e.category()), "connection") << e.what();
  EXPECT_EQ(e.engine_code(), "57P01");
  EXPECT_TRUE(contains(e.what(), "administrator command")) << e.what();
  c.driver().reconnect();
  c.execute(increment(t.table(), 1, 1));
  EXPECT_EQ(counter(c, t, 1), 2);

  // Connection::execute does the reconnect itself.
  terminate_backend(t.admin(), backend_pid(c));
  c.execute(increment(t.table(), 1, 1));
  EXPECT_EQ(counter(c, t, 1), 3);
  EXPECT_EQ(c.stats().reconnects, 1u);
}

TEST(PostgresConnectionLoss, LossInsideTransactionLosesTheTransactionAndTransactionRetriesIt) {
  ScopedTable t(counter_table("pg_terminated_tx"));
  Connection c = connect(pg_url());

  c.begin();
  c.execute(increment(t.table(), 1, 1));
  terminate_backend(t.admin(), backend_pid(c));
  Error e = thrown_error([&] { c.execute(increment(t.table(), 2, 1)); });
  EXPECT_EQ(category_name(e.category()), "connection") << e.what();
  EXPECT_TRUE(contains(e.what(), "run the whole transaction again")) << e.what();
  EXPECT_TRUE(c.in_transaction()) << "the caller still has to end the transaction it began";
  c.rollback();
  EXPECT_FALSE(c.in_transaction());
  EXPECT_EQ(counter(t.admin(), t, 1), std::nullopt);

  // COMMIT on a session found dead: nothing was committed, so `connection`, not outcome_unknown.
  c.driver().reconnect();
  c.begin();
  c.execute(increment(t.table(), 1, 1));
  terminate_backend(t.admin(), backend_pid(c));
  Error commit = thrown_error([&] { c.commit(); });
  EXPECT_EQ(category_name(commit.category()), "connection") << commit.what();
  EXPECT_FALSE(c.in_transaction());
  EXPECT_EQ(counter(t.admin(), t, 1), std::nullopt);

  // Connection::transaction reconnects and runs the whole work again: each increment lands once.
  int attempts = 0;
  c.transaction([&](Connection& tx) {
    ++attempts;
    tx.execute(increment(t.table(), 1, 1));
    if (attempts == 1) terminate_backend(t.admin(), backend_pid(tx));
    tx.execute(increment(t.table(), 2, 1));
  });
  EXPECT_GE(attempts, 2);
  EXPECT_EQ(counter(t.admin(), t, 1), 1);
  EXPECT_EQ(counter(t.admin(), t, 2), 1);
}

// Waits until `pid` sleeps in pg_sleep (not merely parsing it), then ends its session.
void terminate_when_active(std::int64_t pid) {
  Connection admin = connect(pg_url());
  const Sql active{"SELECT COUNT(*) FROM pg_stat_activity WHERE pid = CAST($1 AS integer) AND wait_event = 'PgSleep'",
                   {pid}};
  for (int i = 0; i < 1000 && admin.query(active, {Type::int64})[0][0].as<std::int64_t>() == 0; ++i) {
    std::this_thread::sleep_for(5ms);
  }
  terminate_backend(admin, pid);
}

TEST(PostgresConnectionLoss, SessionEndedWhileAStatementRunsIsOutcomeUnknownAndNotRetried) {
  Connection c = connect(pg_url());
  std::thread killer(terminate_when_active, backend_pid(c));
  Error e = thrown_error([&] { c.execute_sql(Sql{"SELECT pg_sleep(30)", {}}); });
  killer.join();
  // Sent in autocommit: for all the client can know, it committed.
  EXPECT_EQ(category_name(e.category()), "outcome_unknown") << e.what();
  // libpq keeps the server's reason in the text but reports the closed socket: connection_failure.
  EXPECT_EQ(e.engine_code(), "08006") << e.what();
  EXPECT_TRUE(contains(e.what(), "administrator command")) << e.what();
  EXPECT_EQ(c.stats().retries, 0u) << "a statement that may have been applied must not be retried";

  // Inside a transaction the same loss rolled everything back: `connection`, safe to run again.
  c.driver().reconnect();
  c.begin();
  std::thread tx_killer(terminate_when_active, backend_pid(c));
  Error in_tx = thrown_error([&] { c.execute_sql(Sql{"SELECT pg_sleep(30)", {}}); });
  tx_killer.join();
  EXPECT_EQ(category_name(in_tx.category()), "connection") << in_tx.what();
  c.rollback();
}

// Restarts the shared server: kept short, and the only test that does it.
TEST(PostgresRestart, ConnectionRecoversAfterServerRestart) {
  const auto repo = std::filesystem::path(__FILE__).parent_path().parent_path().parent_path();
  const char* dir = std::getenv("UPSERT_TEST_SERVERS_DIR");
  const std::string restart = fmt::format("bash '{}' restart-postgres {}", (repo / "scripts/test-servers.sh").string(),
                                          dir != nullptr ? fmt::format("'{}'", dir) : "");

  ScopedTable t(counter_table("pg_restart"));
  Connection c = connect(pg_url());
  c.set_retry_policy(RetryPolicy{.max_attempts = 30, .first_backoff = 10ms, .max_backoff = 1000ms});
  c.execute(increment(t.table(), 1, 1));

  ASSERT_EQ(std::system(restart.c_str()), 0) << restart;

  c.execute(increment(t.table(), 1, 1));
  EXPECT_GE(c.stats().reconnects, 1u);
  EXPECT_EQ(counter(c, t, 1), 2);
}

// ---------------------------------------------------------------------------------------------
// Concurrency

TEST(PostgresConcurrency, SixteenWritersGiveExactSums) {
  constexpr int writers = 16;
  constexpr int increments = 5000;
  constexpr std::int64_t hot_keys = 4;
  ScopedTable t(counter_table("pg_concurrency"));

  std::mutex mutex;
  std::map<std::int64_t, std::int64_t> expected;
  std::vector<std::string> failures;
  auto writer = [&](int w) {
    std::map<std::int64_t, std::int64_t> mine;
    try {
      Connection c = connect(pg_url());
      for (int i = 0; i < increments; ++i) {
        // Even steps hit the 4 hot keys every writer shares; odd steps the writer's own 50 keys.
        const std::int64_t key = i % 2 == 0 ? (i / 2) % hot_keys : 1000 + w * 100 + (i / 2) % 50;
        const std::int64_t delta = 1 + i % 3;
        c.execute(increment(t.table(), key, delta));
        mine[key] += delta;
      }
    } catch (const std::exception& e) {
      std::lock_guard lock(mutex);
      failures.push_back(fmt::format("writer {}: {}", w, e.what()));
    }
    std::lock_guard lock(mutex);
    for (const auto& [key, sum] : mine) expected[key] += sum;
  };
  std::vector<std::thread> threads;
  for (int w = 0; w < writers; ++w) threads.emplace_back(writer, w);
  for (auto& thread : threads) thread.join();

  EXPECT_TRUE(failures.empty()) << fmt::format("{} writers failed, first: {}", failures.size(),
                                               failures.empty() ? "" : failures.front());
  auto rows = t.admin().query(Sql{"SELECT k, n FROM " + t.quoted() + " ORDER BY k", {}}, {Type::int64, Type::int64});
  std::map<std::int64_t, std::int64_t> actual;
  for (const auto& row : rows) actual[row[0].as<std::int64_t>()] = row[1].as<std::int64_t>();
  EXPECT_EQ(actual, expected);
  EXPECT_EQ(actual.size(), static_cast<std::size_t>(hot_keys + writers * 50));
}

}  // namespace
}  // namespace upsert::testing
