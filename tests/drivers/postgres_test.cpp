// PostgreSQL-specific driver tests on the real server of scripts/test-servers.sh: URL forms, type
// round trips, RETURNING with the inserted flag, the prepared-statement cache, the batch path
// (unnest over binary arrays: tricky text, every type, 10,000 rows, errors), SQLSTATE mapping,
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

#include "drivers/postgres/error.hpp"
#include "drivers/postgres/url.hpp"
#include "render/fixtures.hpp"
#include "support/engines.hpp"

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
  Error e = error_of([] { connect("postgresql://upsert:s3cret@127.0.0.1:1/upsert_test"); });
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

TEST(PostgresUrl, ASyntaxErrorAboutAPercentEncodedByteStaysValidUtf8) {
  // libpq names the parameter it cannot read percent-decoded: "%de" becomes the lone byte 0xDE.
  // Found by fuzz_url: the message carried that byte, invalid UTF-8 in a terminal or a JSON log.
  Error e = error_of([] { detail::postgres::check_url_syntax("postgresql://h/db?sslmo%de=disable"); });
  EXPECT_EQ(category_name(e.category()), "invalid_argument") << e.what();
  EXPECT_TRUE(contains(e.what(), "sslmo\\xDE")) << e.what();
  EXPECT_FALSE(contains(e.what(), "\xde")) << e.what();
}

TEST(PostgresUrl, AHostListConnectsToTheFirstServerThatAnswers) {
  // libpq's own host lists: host1:port1,host2:port2, tried in order.
  const ServerUrl server = server_url_parts(Engine::postgres);
  Connection c = connect("postgresql://" + server.user + ":" + server.password + "@127.0.0.1:1," + server.host + ":" +
                         server.port + "/" + server.database);
  EXPECT_EQ(query_int(c, "SELECT 41 + 1"), 42);
  EXPECT_EQ(detail::postgres::redact_url("postgresql://u:secret@h1:5432,h2:5433/db"),
            "postgresql://u:***@h1:5432,h2:5433/db");
  Error e = error_of([] { connect("postgresql://upsert:s3cret@127.0.0.1:1,127.0.0.1:2/upsert_test"); });
  EXPECT_EQ(category_name(e.category()), "connection") << e.what();
  EXPECT_FALSE(contains(e.what(), "s3cret")) << e.what();
}

TEST(PostgresUrl, MissingDatabaseIsConnectionErrorWithTheServersReason) {
  std::string url = pg_url();
  url = url.substr(0, url.rfind('/') + 1) + "no_such_database_here";
  Error e = error_of([&] { connect(url); });
  EXPECT_EQ(category_name(e.category()), "connection") << e.what();
  EXPECT_TRUE(contains(e.what(), "no_such_database_here")) << e.what();
}

TEST(PostgresUrl, UnknownParameterIsInvalidArgument) {
  // The test server's own URL, so that nothing but the parameter can be wrong.
  Error e = error_of([] { connect(with_parameter(pg_url(), "no_such_option=1")); });
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
  Error e = error_of([&] { c.execute_sql(Sql{"SELECT $1", {std::string("a\0b", 3)}}); });
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
  Error e = error_of([&] { c.query(Sql{"SELECT 'abc' AS word", {}}, {Type::int64}); });
  EXPECT_EQ(category_name(e.category()), "data") << e.what();
  EXPECT_TRUE(contains(e.what(), "\"word\"")) << e.what();
  Error bc = error_of([&] { c.query(Sql{"SELECT DATE '0044-03-15 BC'", {}}, {Type::date}); });
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

// Found by the differential property test, which drops and creates one table name with new column
// types: the cached SELECT (and any RETURNING upsert) failed on every later call with 0A000
// "cached plan must not change result type", until the connection was closed.
TEST(PostgresPrepared, StatementsWhoseTableChangedItsColumnTypesArePreparedAgain) {
  Connection c = connect(pg_url());
  const std::string name = unique_table_name("pg_replanned");
  const std::string select = fmt::format("SELECT v FROM {}", name);
  c.execute_script(
      fmt::format("DROP TABLE IF EXISTS {0}; CREATE TABLE {0} (v bigint); INSERT INTO {0} VALUES (1)", name));
  EXPECT_EQ(c.query(Sql{select, {}}, {Type::int64}), (std::vector<Row>{{1}}));
  c.execute_script(fmt::format("ALTER TABLE {0} ALTER COLUMN v TYPE text; UPDATE {0} SET v = 'one'", name));
  EXPECT_EQ(c.query(Sql{select, {}}, {Type::text}), (std::vector<Row>{{"one"}}));
  // Inside a transaction the failed statement aborted it: the error stands, and the next
  // transaction prepares afresh.
  c.execute_script(fmt::format("ALTER TABLE {} ALTER COLUMN v TYPE varchar(10)", name));
  c.begin();
  EXPECT_THROW(c.query(Sql{select, {}}, {Type::text}), Error);
  c.rollback();
  EXPECT_EQ(c.query(Sql{select, {}}, {Type::text}), (std::vector<Row>{{"one"}}));
  c.execute_script("DROP TABLE " + name);
}

// Found by the differential property test (seed 5000000, case 141): a NULL is bound without a type,
// so PostgreSQL took its type from the table when the statement was prepared; after the table was
// dropped and created again with another type in that column, the cached statement failed with 42804
// ("column v is of type bigint but expression is of type boolean") on every call. Prepared afresh now.
TEST(PostgresPrepared, AnUpsertWhoseTableWasCreatedAgainWithOtherTypesIsPreparedAgain) {
  Connection c = connect(pg_url());
  const std::string name = unique_table_name("pg_retyped");
  auto upsert = [&](Type v_type) {
    auto t = std::make_shared<const Table>(
        Table(name).column("k", Type::int64).column("v", v_type).column("n", Type::int64).primary_key({"k"}));
    c.execute_script("DROP TABLE IF EXISTS " + name);
    c.create_table(*t);
    c.execute(insert_into(t).row({1, Value(), 1}).on_conflict({"k"}).do_update({{"n", col("n") + proposed("n")}}));
  };
  upsert(Type::boolean);
  upsert(Type::int64);
  EXPECT_EQ(query_int(c, "SELECT n FROM " + name + " WHERE k = 1"), 1);
  // Inside a transaction the failed statement aborted it: the error stands, and the next
  // transaction prepares afresh.
  upsert(Type::boolean);
  c.execute_script("DROP TABLE " + name + "; CREATE TABLE " + name + " (k bigint PRIMARY KEY, v date, n bigint)");
  auto t = std::make_shared<const Table>(
      Table(name).column("k", Type::int64).column("v", Type::date).column("n", Type::int64).primary_key({"k"}));
  c.begin();
  EXPECT_THROW(
      c.execute(insert_into(t).row({1, Value(), 1}).on_conflict({"k"}).do_update({{"n", col("n") + proposed("n")}})),
      Error);
  c.rollback();
  c.execute(insert_into(t).row({1, Value(), 1}).on_conflict({"k"}).do_update({{"n", col("n") + proposed("n")}}));
  EXPECT_EQ(query_int(c, "SELECT n FROM " + name + " WHERE k = 1"), 1);
  c.execute_script("DROP TABLE " + name);
}

// Found by the differential property test: NULL - NULL (and -NULL) rendered bare, and PostgreSQL
// refused the statement (42725 "operator is not unique: unknown - unknown") where SQLite and MariaDB
// compute NULL; CASE WHEN ... THEN NULL END - n failed too (42883: text - bigint). Untyped operands
// of arithmetic now carry the expression's type.
TEST(PostgresExpressions, ArithmeticOnNullLiteralsRuns) {
  ScopedTable t(counter_table("pg_null_arithmetic"));
  Connection c = connect(pg_url());
  auto upsert = [&] {
    return insert_into(t.table()).row({1, 5}).on_conflict({"k"}).do_update(
        {{"n", coalesce({null() - null(), -null(), null() * null() / val(2),
                         case_when({{is_null(col("n")), null()}}) - col("n"), col("n") + 1})}});
  };
  c.execute(upsert());
  c.execute(upsert());
  EXPECT_EQ(counter(c, t, 1), 6);
  // An untyped value assigned whole: CASE WHEN ... THEN NULL END is text to PostgreSQL (42804
  // "column is of type boolean but expression is of type text").
  ScopedTable flags(
      Table(unique_table_name("pg_untyped")).column("k", Type::int64).column("on", Type::boolean).primary_key({"k"}));
  auto flag = [&] {
    return insert_into(flags.table())
        .row({1, true})
        .on_conflict({"k"})
        .do_update({{"on", case_when({{is_not_null(col("on")), null()}})}});
  };
  c.execute(flag());
  c.execute(flag());
  EXPECT_EQ(c.query(Sql{"SELECT \"on\" FROM " + flags.quoted(), {}}, {Type::boolean}), (std::vector<Row>{{Value()}}));
  // Among typed GREATEST operands: "LEAST types bigint and text cannot be matched" (42804).
  c.execute(insert_into(t.table()).row({1, 5}).on_conflict({"k"}).do_update(
      {{"n", greatest({col("n") + 1, case_when({{is_null(col("n")), null()}})})}}));
  EXPECT_EQ(counter(c, t, 1), 7);
  // Nested among typed values: "CASE types text and boolean cannot be matched" (42804).
  c.execute(insert_into(flags.table())
                .row({1, true})
                .on_conflict({"k"})
                .do_update({{"on", coalesce({case_when({{is_null(col("on")), null()}}), val(false)})}}));
  EXPECT_EQ(c.query(Sql{"SELECT \"on\" FROM " + flags.quoted(), {}}, {Type::boolean}), (std::vector<Row>{{false}}));
  EXPECT_NE(render(upsert(), Dialect::postgresql).text.find("CAST(NULL AS BIGINT) - CAST(NULL AS BIGINT)"),
            std::string::npos);
}

// ---------------------------------------------------------------------------------------------
// Batches: execute_batch runs each planned statement as INSERT ... SELECT * FROM unnest(...) with
// one binary array per column. Array literals are where escaping bugs hide, so every awkward text
// and every type goes through that path and is read back exactly.

// Text that an array literal would have to quote or escape, or that looks like something else.
const std::vector<std::string> tricky_texts{"",
                                            " ",
                                            "  padded  ",
                                            "NULL",
                                            "null",
                                            "\"NULL\"",
                                            "\\N",
                                            "\"",
                                            "\"\"",
                                            "\\",
                                            "\\\\",
                                            "a\\\"b",
                                            ",",
                                            "a,b",
                                            "{",
                                            "}",
                                            "{}",
                                            "{a,b}",
                                            "{\"x\",NULL}",
                                            "}{",
                                            "[1:2]={1,2}",
                                            "(",
                                            ")",
                                            "'",
                                            "''",
                                            "$1",
                                            "\\x00",
                                            "ARRAY[1]",
                                            "tab\there",
                                            "line\nbreak",
                                            "cr\rlf\n",
                                            "Grüße, 世界 🎉",
                                            "ünïcödé \"quoted\" {braced}, and, commas"};

Table tricky_text_table() {
  return Table(unique_table_name("pg_batch_text"))
      .column("k", Type::text)
      .column("v", Type::text)
      .column("n", Type::int64, default_value(0), not_null)
      .primary_key({"k"});
}

// Every row of a (k text, v text, n) table, keyed by k (a map: the server's collation orders text
// its own way).
std::map<std::string, std::pair<Value, std::int64_t>> text_rows(Connection& c, const ScopedTable& t) {
  std::map<std::string, std::pair<Value, std::int64_t>> out;
  for (const Row& row : c.query(Sql{"SELECT k, v, n FROM " + t.quoted(), {}}, {Type::text, Type::text, Type::int64})) {
    out[row[0].as<std::string>()] = {row[1], row[2].as<std::int64_t>()};
  }
  return out;
}

TEST(PostgresBatch, TrickyTextIsStoredExactlyAsKeysAndValues) {
  ScopedTable t(tricky_text_table());
  Connection c = connect(pg_url());
  const std::size_t n = tricky_texts.size();
  // Key i carries text i as its key and text i+1 as its value; every third value is a real NULL,
  // so the string "NULL" and SQL NULL sit in the same array.
  auto value_of = [&](std::size_t i, std::size_t shift) {
    return (i + shift) % 3 == 0 ? Value() : Value(tricky_texts[(i + shift + 1) % n]);
  };
  auto batch = [&](std::size_t shift) {
    Upsert s = insert_into(t.table());
    for (std::size_t i = 0; i < n; ++i) s.row({tricky_texts[i], value_of(i, shift), 1});
    s.on_conflict({"k"}).do_update({{"v", proposed("v")}, {"n", col("n") + proposed("n")}});
    s.returning({"k", "v"});
    return s;
  };
  for (std::size_t shift : {std::size_t{0}, std::size_t{1}}) {
    BatchResult r = c.execute_batch(batch(shift));
    EXPECT_EQ(r.statements, 1u);
    ASSERT_EQ(r.rows.size(), n);
    for (std::size_t i = 0; i < n; ++i) {
      EXPECT_EQ(r.rows[i], (Row{tricky_texts[i], value_of(i, shift)})) << "row " << i << " shift " << shift;
    }
    auto stored = text_rows(c, t);
    ASSERT_EQ(stored.size(), n);
    for (std::size_t i = 0; i < n; ++i) {
      const auto& [v, count] = stored.at(tricky_texts[i]);
      EXPECT_EQ(v, value_of(i, shift)) << "key " << Value(tricky_texts[i]).to_string();
      EXPECT_EQ(count, static_cast<std::int64_t>(shift) + 1);
    }
  }
  // The string "NULL" is text, the NULL is NULL: the server agrees.
  std::int64_t nulls = 0;
  for (std::size_t i = 0; i < n; ++i) nulls += value_of(i, 1).is_null() ? 1 : 0;
  EXPECT_EQ(query_int(c, "SELECT COUNT(*) FROM " + t.quoted() + " WHERE v IS NULL"), nulls);
  EXPECT_EQ(query_int(c, "SELECT COUNT(*) FROM " + t.quoted() + " WHERE k = 'NULL' AND k IS NOT NULL"), 1);
}

// The upsert that sets every column of the all-types table from the proposed row, for many rows.
Upsert set_all_columns_batch(const std::shared_ptr<const Table>& table, const std::vector<Row>& rows) {
  Upsert s = set_all_columns(table, rows.front());
  s.clear_rows().rows(rows);
  return s;
}

TEST(PostgresBatch, EveryTypeRoundTripsExactlyThroughTheBatchPath) {
  ScopedTable t(all_types_table());
  Connection c = connect(pg_url());
  const std::vector<Row> cases = type_cases();

  BatchResult inserted = c.execute_batch(set_all_columns_batch(t.table(), cases));
  EXPECT_EQ(inserted.rows, cases) << "RETURNING gives back exactly what was bound";
  EXPECT_EQ(select_all_types(c, t), cases);

  // Update path: each row takes the next case's values (NULL over values and values over NULL).
  std::vector<Row> shifted;
  for (std::size_t i = 0; i < cases.size(); ++i) {
    Row row = cases[(i + 1) % cases.size()];
    row[0] = cases[i][0];
    shifted.push_back(row);
  }
  BatchResult updated = c.execute_batch(set_all_columns_batch(t.table(), shifted));
  EXPECT_EQ(updated.rows, shifted);
  EXPECT_EQ(select_all_types(c, t), shifted);

  // The batch path and the single-statement path store the same thing.
  ScopedTable single(all_types_table());
  for (const Row& row : shifted) c.execute(set_all_columns(single.table(), row));
  EXPECT_EQ(select_all_types(c, single), select_all_types(c, t));
}

TEST(PostgresBatch, DoublesAndIntegersInDoubleColumnsRoundTripExactly) {
  ScopedTable t(Table(unique_table_name("pg_batch_doubles"))
                    .column("id", Type::int64)
                    .column("f", Type::float64)
                    .primary_key({"id"}));
  Connection c = connect(pg_url());
  const std::vector<Value> values{0.1,
                                  -0.0,
                                  DBL_MAX,
                                  -DBL_MAX,
                                  DBL_MIN,
                                  5e-324,
                                  std::numeric_limits<double>::infinity(),
                                  -std::numeric_limits<double>::infinity(),
                                  std::nan(""),
                                  nullptr,
                                  7,                            // an int64 in a double column
                                  (std::int64_t{1} << 53) + 1,  // rounds as the server's int8 -> float8 cast
                                  std::numeric_limits<std::int64_t>::min()};
  Upsert s = insert_into(t.table());
  for (std::size_t i = 0; i < values.size(); ++i) s.row({static_cast<std::int64_t>(i), values[i]});
  c.execute_batch(s.on_conflict({"id"}).do_nothing());

  auto rows = c.query(Sql{"SELECT f, f::text, CAST($1 AS bigint)::float8 FROM " + t.quoted() + " ORDER BY id",
                          {(std::int64_t{1} << 53) + 1}},
                      {Type::float64, Type::text, Type::float64});
  ASSERT_EQ(rows.size(), values.size());
  for (std::size_t i = 0; i < values.size(); ++i) {
    const Value& sent = values[i];
    const Value& got = rows[i][0];
    if (sent.is_null()) {
      EXPECT_TRUE(got.is_null()) << i;
      continue;
    }
    const double expected =
        sent.get_if<double>() != nullptr ? sent.as<double>() : static_cast<double>(sent.as<std::int64_t>());
    if (std::isnan(expected)) {
      EXPECT_TRUE(std::isnan(got.as<double>())) << i;
    } else {
      EXPECT_EQ(got.as<double>(), expected) << "row " << i << " came back as " << rows[i][1].to_string();
      EXPECT_EQ(std::signbit(got.as<double>()), std::signbit(expected)) << i;
    }
  }
  EXPECT_EQ(rows[11][0], rows[11][2]) << "the client-side conversion must match the server's cast";
}

TEST(PostgresBatch, ReturningMapsToInputRowsWithTheInsertedFlag) {
  ScopedTable t(counter_table("pg_batch_returning"));
  Connection c = connect(pg_url());
  c.execute_batch(
      insert_into(t.table()).rows({{10, 100}, {30, 300}}).on_conflict({"k"}).do_update(add_proposed({"n"})));

  // Unsorted, with repeated keys: the batch merges 20+20 and 10+10 and sorts by key.
  Upsert s = insert_into(t.table()).rows({{20, 1}, {10, 2}, {40, 3}, {20, 4}, {30, 5}, {10, 6}});
  s.on_conflict({"k"}).do_update(add_proposed({"n"}));
  s.returning({"n"}).returning_inserted_flag();
  BatchResult r = c.execute_batch(s);
  EXPECT_EQ(r.merged_rows, 4u);
  const std::vector<Row> expected{{5, true}, {108, false}, {3, true}, {5, true}, {305, false}, {108, false}};
  EXPECT_EQ(r.rows, expected);

  // DO NOTHING returns nothing for rows a conflict skipped.
  Upsert keep = insert_into(t.table()).rows({{30, 1}, {50, 7}}).on_conflict({"k"}).do_nothing();
  keep.returning({"k", "n"}).returning_inserted_flag();
  BatchResult kept = c.execute_batch(keep);
  EXPECT_EQ(kept.rows, (std::vector<Row>{{}, {50, 7, true}}));
}

Table ab_hourly_table(const std::string& stem) {
  return ab_table(unique_table_name(stem));
}

// Row i of an A/B key space: 4 versions (one of them awkward text) x 30 days x 24 hours per test.
Row ab_row(std::int64_t i) {
  static const char* versions[] = {"A", "B", "control", "v \"2\", {x}\\"};
  return {i / 2880, versions[(i / 720) % 4], Date::from_days_since_epoch(20'000 + (i / 24) % 30), i % 24, 1 + i % 7,
          i % 3};
}

// Every row of an A/B table, keyed by its key columns.
std::map<Row, Row> ab_rows(Connection& c, const ScopedTable& t) {
  std::map<Row, Row> out;
  auto rows = c.query(Sql{"SELECT ab_test_id, version, date, hour, participants, conversions FROM " + t.quoted(), {}},
                      {Type::int64, Type::text, Type::date, Type::int64, Type::int64, Type::int64});
  for (Row& row : rows) out[Row(row.begin(), row.begin() + 4)] = row;
  return out;
}

TEST(PostgresBatch, TenThousandRowsAreStoredExactly) {
  ScopedTable t(ab_hourly_table("pg_batch_10k"));
  Connection c = connect(pg_url());
  auto ab_upsert = [&](std::int64_t first, std::int64_t count) {
    Upsert s = insert_into(t.table());
    // Reversed, so the batch stage has to sort.
    for (std::int64_t i = first + count - 1; i >= first; --i) s.row(ab_row(i));
    s.on_conflict({"ab_test_id", "version", "date", "hour"}).do_update(add_proposed({"participants", "conversions"}));
    return s;
  };

  // 10,000 rows in the default statements of 1,000 rows.
  BatchResult first = c.execute_batch(ab_upsert(0, 10'000));
  EXPECT_EQ(first.statements, 10u);
  EXPECT_EQ(first.affected_rows, 10'000);
  std::map<Row, Row> expected;
  for (std::int64_t i = 0; i < 10'000; ++i) {
    Row row = ab_row(i);
    expected[Row(row.begin(), row.begin() + 4)] = row;
  }
  EXPECT_EQ(ab_rows(c, t), expected);

  // 12,000 rows (10,000 updates, 2,000 inserts) in ONE statement: 72,000 values, more than the
  // 65,535 parameters a VALUES statement could carry; with arrays the row cap alone decides.
  Upsert again = ab_upsert(0, 12'000);
  again.returning({"participants"}).returning_inserted_flag();
  BatchResult second = c.execute_batch(again, {.max_rows_per_statement = 12'000});
  EXPECT_EQ(second.statements, 1u);
  EXPECT_EQ(second.affected_rows, 12'000);
  ASSERT_EQ(second.rows.size(), 12'000u);
  std::size_t inserted = 0;
  for (std::int64_t i = 0; i < 12'000; ++i) {
    Row row = ab_row(i);
    const Row key(row.begin(), row.begin() + 4);
    if (i < 10'000) {
      row[4] = 2 * row[4].as<std::int64_t>();
      row[5] = 2 * row[5].as<std::int64_t>();
    }
    expected[key] = row;
    // Input row j of `again` is ab_row(11,999 - j).
    const Row& returned = second.rows[static_cast<std::size_t>(11'999 - i)];
    ASSERT_EQ(returned.size(), 2u);
    EXPECT_EQ(returned[0], row[4]) << i;
    EXPECT_EQ(returned[1].as<bool>(), i >= 10'000) << i;
    inserted += returned[1].as<bool>() ? 1 : 0;
  }
  EXPECT_EQ(inserted, 2'000u);
  EXPECT_EQ(ab_rows(c, t), expected);
}

TEST(PostgresBatch, OnePreparedStatementServesEveryRowCount) {
  ScopedTable t(ab_hourly_table("pg_batch_prepared"));
  Connection c = connect(pg_url());
  std::int64_t next = 0;
  for (std::int64_t rows : {1, 7, 999, 1000, 2500, 3}) {
    Upsert s = insert_into(t.table());
    for (std::int64_t i = 0; i < rows; ++i) s.row(ab_row(next++));
    s.on_conflict({"ab_test_id", "version", "date", "hour"}).do_update(add_proposed({"participants", "conversions"}));
    c.execute_batch(s);
  }
  EXPECT_EQ(query_int(c, "SELECT COUNT(*) FROM " + t.quoted()), next);
  EXPECT_EQ(query_int(c, "SELECT COUNT(*) FROM pg_prepared_statements WHERE statement LIKE 'INSERT INTO%unnest(%'"), 1);
}

TEST(PostgresBatch, BoundValuesInTheUpdateFollowTheArrays) {
  ScopedTable t(counter_table("pg_batch_bound"));
  Connection c = connect(pg_url());
  c.execute_batch(insert_into(t.table()).rows({{1, 10}, {2, 200}}).on_conflict({"k"}).do_nothing());
  // n = n + 2 * proposed n, only where n < 100: key 1 updates, key 2 does not, key 3 is inserted.
  Upsert s = insert_into(t.table()).rows({{1, 5}, {2, 5}, {3, 5}});
  s.on_conflict({"k"}).do_update({{"n", col("n") + val(2) * proposed("n")}}, col("n") < val(100));
  s.returning({"n"});
  BatchResult r = c.execute_batch(s);
  EXPECT_EQ(r.rows, (std::vector<Row>{{20}, {}, {5}}));
  EXPECT_EQ(counter(c, t, 1), 20);
  EXPECT_EQ(counter(c, t, 2), 200);
  EXPECT_EQ(counter(c, t, 3), 5);
}

TEST(PostgresBatch, OverflowInTheMiddleIsOverflowAndTheStatementLeavesNothing) {
  ScopedTable t(counter_table("pg_batch_overflow"));
  Connection c = connect(pg_url());
  const std::int64_t near_max = std::numeric_limits<std::int64_t>::max() - 1;
  c.execute(increment(t.table(), 500, near_max));
  Upsert s = insert_into(t.table());
  for (std::int64_t k = 0; k < 1000; ++k) s.row({k, 2});  // key 500: near_max + 2 overflows
  s.on_conflict({"k"}).do_update(add_proposed({"n"}));
  Error e = error_of([&] { c.execute_batch(s); });
  EXPECT_EQ(category_name(e.category()), "overflow") << e.what();
  EXPECT_EQ(e.engine_code(), "22003");
  EXPECT_TRUE(contains(e.sql(), "unnest(")) << e.sql();
  EXPECT_EQ(c.stats().retries, 0u);
  EXPECT_EQ(query_int(c, "SELECT COUNT(*) FROM " + t.quoted()), 1) << "the statement is atomic";
  EXPECT_EQ(counter(c, t, 500), near_max);
}

TEST(PostgresBatch, UniqueViolationOnAnotherKeyIsConstraint) {
  ScopedTable t(Table(unique_table_name("pg_batch_two_keys"))
                    .column("id", Type::int64)
                    .column("email", Type::text, not_null)
                    .column("n", Type::int64, default_value(0), not_null)
                    .primary_key({"id"})
                    .unique_key({"email"}));
  Connection c = connect(pg_url());
  Upsert s = insert_into(t.table()).rows({{1, "a@example.com", 1}, {2, "a@example.com", 1}});
  Error e = error_of([&] { c.execute_batch(s.on_conflict({"id"}).do_update(add_proposed({"n"}))); });
  EXPECT_EQ(category_name(e.category()), "constraint") << e.what();
  EXPECT_EQ(e.engine_code(), "23505");
  EXPECT_EQ(query_int(c, "SELECT COUNT(*) FROM " + t.quoted()), 0);
}

TEST(PostgresBatch, TextPostgresqlCannotStoreIsDataError) {
  ScopedTable t(tricky_text_table());
  Connection c = connect(pg_url());
  // A NUL byte is refused before anything is sent, naming the column and the row's key.
  Upsert nul = insert_into(t.table()).rows({{"fine", "ok", 1}, {"bad", std::string("a\0b", 3), 1}});
  Error e = error_of([&] { c.execute_batch(nul.on_conflict({"k"}).do_update(add_proposed({"n"}))); });
  EXPECT_EQ(category_name(e.category()), "data") << e.what();
  EXPECT_TRUE(contains(e.what(), "NUL")) << e.what();
  EXPECT_TRUE(contains(e.what(), "\"v\"")) << e.what();
  EXPECT_TRUE(contains(e.what(), "\"bad\"")) << e.what();
  // Bytes that are not UTF-8: the server refuses them (22021).
  Upsert latin1 = insert_into(t.table()).rows({{"fine", "ok", 1}, {"bad", "caf\xe9", 1}});
  Error bad = error_of([&] { c.execute_batch(latin1.on_conflict({"k"}).do_update(add_proposed({"n"}))); });
  EXPECT_EQ(category_name(bad.category()), "data") << bad.what();
  EXPECT_EQ(bad.engine_code(), "22021");
  EXPECT_EQ(query_int(c, "SELECT COUNT(*) FROM " + t.quoted()), 0);
  // The connection still works.
  c.execute_batch(insert_into(t.table()).rows({{"fine", "ok", 1}}).on_conflict({"k"}).do_nothing());
  EXPECT_EQ(query_int(c, "SELECT COUNT(*) FROM " + t.quoted()), 1);
}

TEST(PostgresBatch, PartialKeyAndNullsNotDistinctKeyTargets) {
  ScopedTable partial(Table(unique_table_name("pg_batch_partial"))
                          .column("user_id", Type::int64)
                          .column("active", Type::boolean)
                          .column("seats", Type::int64, default_value(0), not_null)
                          .partial_unique_key({"user_id"}, col("active") == true, "live"));
  Connection c = connect(pg_url());
  auto seats = [&](std::vector<Row> rows) {
    return insert_into(partial.table())
        .rows(std::move(rows))
        .on_conflict_key("live")
        .do_update(add_proposed({"seats"}));
  };
  c.execute_batch(seats({{1, true, 2}, {2, true, 3}}));
  c.execute_batch(seats({{1, true, 5}, {3, true, 1}}));
  EXPECT_EQ(query_int(c, "SELECT SUM(seats) FROM " + partial.quoted() + " WHERE user_id = 1"), 7);
  EXPECT_EQ(query_int(c, "SELECT COUNT(*) FROM " + partial.quoted()), 3);

  ScopedTable labels(Table(unique_table_name("pg_batch_nnd"))
                         .column("name", Type::text)
                         .column("scope", Type::text)
                         .column("uses", Type::int64, default_value(0), not_null)
                         .unique_key_nulls_not_distinct({"name", "scope"}));
  auto uses = [&](std::vector<Row> rows) {
    return insert_into(labels.table()).rows(std::move(rows)).do_update(add_proposed({"uses"}));
  };
  c.execute_batch(uses({{"red", nullptr, 1}, {"red", "team", 1}}));
  c.execute_batch(uses({{"red", nullptr, 2}, {"blue", nullptr, 1}}));
  EXPECT_EQ(query_int(c, "SELECT COUNT(*) FROM " + labels.quoted()), 3);
  EXPECT_EQ(query_int(c, "SELECT uses FROM " + labels.quoted() + " WHERE name = 'red' AND scope IS NULL"), 3);
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
  Error e = error_of([&] { c.execute(upsert(2)); });
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
  Error e = error_of([&] { c.execute(increment(t.table(), 1, 5)); });
  EXPECT_EQ(category_name(e.category()), "overflow") << e.what();
  EXPECT_EQ(e.engine_code(), "22003");
  EXPECT_EQ(counter(c, t, 1), near_max);
}

TEST(PostgresErrors, MissingTableIsSyntaxWithTheSql) {
  Connection c = connect(pg_url());
  const std::string sql = "SELECT * FROM no_such_table_here WHERE x = $1";
  Error e = error_of([&] { c.execute_sql(Sql{sql, {1}}); });
  EXPECT_EQ(category_name(e.category()), "syntax") << e.what();
  EXPECT_EQ(e.engine_code(), "42P01");
  EXPECT_EQ(e.sql(), sql);
  EXPECT_TRUE(contains(e.what(), "no_such_table_here")) << e.what();
}

TEST(PostgresErrors, BadTextForATypeIsData) {
  Connection c = connect(pg_url());
  Error e = error_of([&] { c.execute_sql(Sql{"SELECT CAST($1 AS integer)", {"twelve"}}); });
  EXPECT_EQ(category_name(e.category()), "data") << e.what();
  EXPECT_EQ(e.engine_code(), "22P02");
}

TEST(PostgresErrors, AbortedTransactionSaysToRollBackAndCommitReportsTheCause) {
  ScopedTable t(counter_table("pg_aborted"));
  Connection c = connect(pg_url());
  c.begin();
  EXPECT_TRUE(c.in_transaction());
  c.execute(increment(t.table(), 1, 1));
  Error first = error_of([&] { c.execute_sql(Sql{"SELECT * FROM no_such_table_here", {}}); });
  EXPECT_EQ(first.engine_code(), "42P01");
  Error refused = error_of([&] { c.execute(increment(t.table(), 2, 1)); });
  EXPECT_EQ(refused.engine_code(), "25P02");
  EXPECT_TRUE(contains(refused.what(), "rollback()")) << refused.what();
  Error commit = error_of([&] { c.commit(); });
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
  EXPECT_EQ(category_name(error_of([&] { c.commit(); }).category()), "invalid_argument");
  c.begin();
  EXPECT_EQ(category_name(error_of([&] { c.begin(); }).category()), "invalid_argument");
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
  Error e = error_of([&] { execute_once(c, increment(t.table(), 1, 1)); });
  EXPECT_EQ(category_name(e.category()), "connection") << e.what();
  EXPECT_EQ(e.engine_code(), "57P01");
  EXPECT_EQ(e.sqlstate(), "57P01");
  EXPECT_TRUE(e.retryable()) << "nothing was sent, so it can run again on a new session";
  EXPECT_TRUE(contains(e.what(), "administrator command")) << e.what();
  c.reconnect();
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
  Error e = error_of([&] { c.execute(increment(t.table(), 2, 1)); });
  EXPECT_EQ(category_name(e.category()), "connection") << e.what();
  EXPECT_TRUE(contains(e.what(), "run the whole transaction again")) << e.what();
  EXPECT_TRUE(c.in_transaction()) << "the caller still has to end the transaction it began";
  c.rollback();
  EXPECT_FALSE(c.in_transaction());
  EXPECT_EQ(counter(t.admin(), t, 1), std::nullopt);

  // COMMIT on a session found dead: nothing was committed, so `connection`, not outcome_unknown.
  c.reconnect();
  c.begin();
  c.execute(increment(t.table(), 1, 1));
  terminate_backend(t.admin(), backend_pid(c));
  Error commit = error_of([&] { c.commit(); });
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
  Error e = error_of([&] { c.execute_sql(Sql{"SELECT pg_sleep(30)", {}}); });
  killer.join();
  // Sent in autocommit: for all the client can know, it committed.
  EXPECT_EQ(category_name(e.category()), "outcome_unknown") << e.what();
  // libpq keeps the server's reason in the text but reports the closed socket: connection_failure.
  EXPECT_EQ(e.engine_code(), "08006") << e.what();
  EXPECT_FALSE(e.retryable()) << "it may have committed: not simply run again";
  EXPECT_TRUE(contains(e.what(), "administrator command")) << e.what();
  EXPECT_EQ(c.stats().retries, 0u) << "a statement that may have been applied must not be retried";

  // Inside a transaction the same loss rolled everything back: `connection`, safe to run again.
  c.reconnect();
  c.begin();
  std::thread tx_killer(terminate_when_active, backend_pid(c));
  Error in_tx = error_of([&] { c.execute_sql(Sql{"SELECT pg_sleep(30)", {}}); });
  tx_killer.join();
  EXPECT_EQ(category_name(in_tx.category()), "connection") << in_tx.what();
  c.rollback();
}

// Restarts the shared server: kept short, and the only test that does it.
TEST(PostgresRestart, ConnectionRecoversAfterServerRestart) {
  // UPSERT_SOURCE_DIR, not __FILE__: ccache (base_dir) compiles with relative paths.
  const std::string restart = test_servers_command(UPSERT_SOURCE_DIR, "restart-postgres");

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
