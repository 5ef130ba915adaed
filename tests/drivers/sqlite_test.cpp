// What only the SQLite driver does: its URL forms, WAL and the other settings made on open, type
// round trips, the prepared-statement cache, inserted flags worked out by a key lookup,
// BEGIN IMMEDIATE, the error mapping, and many threads and processes writing one file.

#include <sqlite3.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <limits>
#include <map>
#include <thread>

#include "drivers/sqlite/connection.hpp"
#include "drivers/sqlite/error.hpp"
#include "render/fixtures.hpp"
#include "session/engines.hpp"
#include "session/session.hpp"
#include "support/engines.hpp"

namespace upsert::testing {
namespace {

using detail::SqliteDriver;

constexpr std::int64_t int64_max = std::numeric_limits<std::int64_t>::max();
constexpr std::int64_t int64_min = std::numeric_limits<std::int64_t>::min();

std::string show(const Row& row) {
  std::string out = "(";
  for (std::size_t i = 0; i < row.size(); ++i) out += (i > 0 ? ", " : "") + row[i].to_string();
  return out + ")";
}

// Runs `f`, which must throw upsert::Error of `category`; returns the error for further checks.
template <class F>
Error expect_error(F&& f, ErrorCategory category) {
  try {
    f();
  } catch (const Error& e) {
    EXPECT_EQ(category_name(e.category()), category_name(category)) << "message: " << e.what();
    return e;
  }
  ADD_FAILURE() << "expected an upsert::Error of category " << category_name(category) << ", got none";
  return Error(ErrorCategory::internal, "no error");
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

SqliteDriver& sqlite_driver(Connection& c) {
  return dynamic_cast<SqliteDriver&>(detail::ConnectionAccess::driver(c));
}

// A counter table: key k, count n.
std::shared_ptr<const Table> counter_table() {
  return std::make_shared<const Table>(Table(unique_table_name("counts"))
                                           .column("k", Type::int64)
                                           .column("n", Type::int64, default_value(0), not_null)
                                           .unique_key({"k"}));
}

// INSERT (k, n) ON CONFLICT (k) DO UPDATE SET n = n + proposed n.
Upsert increment(const std::shared_ptr<const Table>& t, std::int64_t k, std::int64_t n) {
  Upsert s = insert_into(t);
  s.row({k, n}).on_conflict({"k"}).do_update(add_proposed({"n"}));
  return s;
}

std::int64_t count_of(Connection& c, const Table& t, std::int64_t k) {
  auto rows = c.query(Sql{"SELECT n FROM " + quote_identifier(t.name(), Dialect::sqlite) + " WHERE k = ?1", {k}},
                      {Type::int64});
  return rows.empty() ? -1 : rows[0][0].as<std::int64_t>();
}

std::string pragma_text(Connection& c, const std::string& pragma) {
  auto rows = c.query(Sql{"PRAGMA " + pragma, {}}, {Type::text});
  return rows.empty() ? "" : rows[0][0].as<std::string>();
}

// ---------------------------------------------------------------------------------------------
// URLs and opening

TEST(SqliteUrl, ParsesPathsMemoryAndBusyTimeout) {
  auto relative = detail::parse_sqlite_url("sqlite:data/ab.db");
  EXPECT_EQ(relative.path, "data/ab.db");
  EXPECT_EQ(relative.busy_timeout_ms, 30'000);
  EXPECT_FALSE(relative.in_memory());

  auto absolute = detail::parse_sqlite_url("sqlite:/var/tmp/ab.db?busy_timeout_ms=250");
  EXPECT_EQ(absolute.path, "/var/tmp/ab.db");
  EXPECT_EQ(absolute.busy_timeout_ms, 250);

  auto memory = detail::parse_sqlite_url("sqlite::memory:?busy_timeout_ms=0");
  EXPECT_TRUE(memory.in_memory());
  EXPECT_EQ(memory.busy_timeout_ms, 0);
}

TEST(SqliteUrl, RejectsMalformedUrlsNamingTheAcceptedForms) {
  for (const char* url : {"sqlite:", "sqlite:?busy_timeout_ms=5", "sqlite://tmp/x.db", "sqlite:x.db?busy_timeout_ms=",
                          "sqlite:x.db?busy_timeout_ms=-1", "sqlite:x.db?busy_timeout_ms=10s",
                          "sqlite:x.db?cache=shared", "sqlite:x.db?", "sqlite:x.db?busy_timeout_ms=5&mode=ro"}) {
    SCOPED_TRACE(url);
    Error e = expect_error([&] { connect(url); }, ErrorCategory::invalid_argument);
    EXPECT_TRUE(contains(e.what(), "sqlite:PATH")) << e.what();
    EXPECT_TRUE(contains(e.what(), url)) << e.what();
  }
  // The factory itself checks the scheme too.
  expect_error([] { detail::open_sqlite("postgresql://localhost/x"); }, ErrorCategory::invalid_argument);
}

TEST(SqliteOpen, FileIsWalWithTheBusyTimeoutSynchronousNormalAndForeignKeys) {
  const std::string path = fresh_sqlite_path();
  Connection c = connect("sqlite:" + path);
  EXPECT_EQ(c.dialect(), Dialect::sqlite);
  EXPECT_EQ(pragma_text(c, "journal_mode"), "wal");
  EXPECT_EQ(query_int(c, "PRAGMA busy_timeout"), 30'000);
  EXPECT_EQ(query_int(c, "PRAGMA synchronous"), 1);  // NORMAL
  EXPECT_EQ(query_int(c, "PRAGMA foreign_keys"), 1);
  auto t = counter_table();
  c.create_table(*t);
  c.execute(increment(t, 1, 1));
  EXPECT_TRUE(std::filesystem::exists(path + "-wal")) << "a write in WAL mode goes to the -wal file";

  Connection quick = connect("sqlite:" + path + "?busy_timeout_ms=1234");
  EXPECT_EQ(query_int(quick, "PRAGMA busy_timeout"), 1234);
  EXPECT_EQ(sqlite_driver(quick).url().busy_timeout_ms, 1234);
}

// The driver checkpoints the WAL itself, after giving the write turn back (SQLite's automatic
// checkpoint would run inside the committing statement, holding the turn over its fsync): many
// small commits must still keep the WAL near SQLite's 1,000-page checkpoint size.
TEST(SqliteOpen, ManyCommitsKeepTheWalSmallByCheckpointingIt) {
  const std::string path = fresh_sqlite_path();
  Connection c = connect("sqlite:" + path);
  auto t = counter_table();
  c.create_table(*t);
  const auto page_size = static_cast<std::uintmax_t>(query_int(c, "PRAGMA page_size"));
  constexpr int commits = 4'000;  // at least one page each: 4,000 pages of WAL without checkpoints
  for (int k = 0; k < commits; ++k) c.execute(increment(t, k, 1));
  const std::uintmax_t wal_pages = std::filesystem::file_size(path + "-wal") / page_size;
  EXPECT_LT(wal_pages, 2'000u) << "the WAL grew past the checkpoint size: nothing checkpointed it";
  EXPECT_GT(std::filesystem::file_size(path) / page_size, 5u) << "the rows were copied into the database file";
  EXPECT_EQ(count_of(c, *t, commits - 1), 1);
}

TEST(SqliteOpen, MemoryDatabaseIsPrivateToItsConnection) {
  Connection a = connect("sqlite::memory:");
  Connection b = connect("sqlite::memory:");
  EXPECT_EQ(pragma_text(a, "journal_mode"), "memory");
  auto t = counter_table();
  a.create_table(*t);
  a.execute(increment(t, 1, 5));
  EXPECT_EQ(count_of(a, *t, 1), 5);
  expect_error([&] { count_of(b, *t, 1); }, ErrorCategory::syntax);  // no such table in b
}

TEST(SqliteOpen, RelativePathIsTheFileBesideTheWorkingDirectory) {
  const std::filesystem::path absolute = fresh_sqlite_path();
  const auto relative = std::filesystem::relative(absolute);
  ASSERT_TRUE(relative.is_relative());
  auto t = counter_table();
  {
    Connection c = connect("sqlite:" + relative.string());
    c.create_table(*t);
    c.execute(increment(t, 3, 7));
    EXPECT_EQ(sqlite_driver(c).url().path, std::filesystem::absolute(relative).string());
  }
  Connection again = connect("sqlite:" + absolute.string());
  EXPECT_EQ(count_of(again, *t, 3), 7);
}

TEST(SqliteOpen, UnopenableFileIsAConnectionErrorNamingThePath) {
  const std::string missing_dir = "/nonexistent-upsert-dir/sub/x.db";
  Error e = expect_error([&] { connect("sqlite:" + missing_dir); }, ErrorCategory::connection);
  EXPECT_TRUE(contains(e.engine_code(), "SQLITE_CANTOPEN")) << e.engine_code();
  EXPECT_TRUE(contains(e.what(), missing_dir)) << e.what();

  const std::string not_a_database = fresh_sqlite_path();
  std::ofstream(not_a_database) << "this is a text file, not a database, and it is long enough to have a header";
  Error n = expect_error([&] { connect("sqlite:" + not_a_database); }, ErrorCategory::connection);
  EXPECT_EQ(n.engine_code(), "SQLITE_NOTADB");
  EXPECT_TRUE(contains(n.what(), not_a_database)) << n.what();
}

TEST(SqliteOpen, ServerVersionAndReconnectToTheSameFile) {
  Connection c = connect("sqlite:" + fresh_sqlite_path());
  EXPECT_EQ(c.server_version(), std::string("SQLite ") + sqlite3_libversion());
  EXPECT_TRUE(contains(c.server_version(), "SQLite 3.")) << c.server_version();
  auto t = counter_table();
  c.create_table(*t);
  c.execute(increment(t, 1, 4));
  c.reconnect();
  EXPECT_EQ(pragma_text(c, "journal_mode"), "wal");
  c.execute(increment(t, 1, 4));
  EXPECT_EQ(count_of(c, *t, 1), 8);
}

// ---------------------------------------------------------------------------------------------
// DDL and types

TEST(SqliteDdl, CreateTableMakesAStrictTableAndIsIdempotent) {
  Connection c = connect("sqlite:" + fresh_sqlite_path());
  Table ab = ab_table(unique_table_name("ab_hourly"));
  c.create_table(ab);
  c.create_table(ab);
  auto strict = c.query(Sql{"SELECT strict FROM pragma_table_list WHERE name = ?1", {ab.name()}}, {Type::int64});
  ASSERT_EQ(strict.size(), 1u);
  EXPECT_EQ(strict[0][0].as<std::int64_t>(), 1) << "the table should be STRICT";

  Upsert s = insert_into(ab);
  s.row({7, "B", Date{2026, 11, 26}, 13, 1, 0})
      .on_conflict({"ab_test_id", "version", "date", "hour"})
      .do_update(add_proposed({"participants", "conversions"}))
      .returning({"participants", "conversions"});
  EXPECT_EQ(c.execute(s).rows, (std::vector<Row>{{1, 0}}));
  EXPECT_EQ(c.execute(s).rows, (std::vector<Row>{{2, 0}}));
}

TEST(SqliteDdl, IdentityPrimaryKeyNumbersItself) {
  Connection c = connect("sqlite:" + fresh_sqlite_path());
  auto t = std::make_shared<const Table>(Table(unique_table_name("users"))
                                             .column("id", Type::int64, identity)
                                             .column("email", Type::text, not_null)
                                             .column("visits", Type::int64, default_value(0), not_null)
                                             .primary_key({"id"})
                                             .unique_key({"email"}));
  c.create_table(*t);
  auto visit = [&](const std::string& email) {
    Upsert s = insert_into(t);
    s.columns({"email", "visits"})
        .row({email, 1})
        .on_conflict({"email"})
        .do_update(add_proposed({"visits"}))
        .returning({"id", "visits"});
    return c.execute(s).rows;
  };
  EXPECT_EQ(visit("a@example.org"), (std::vector<Row>{{1, 1}}));
  EXPECT_EQ(visit("b@example.org"), (std::vector<Row>{{2, 1}}));
  EXPECT_EQ(visit("a@example.org"), (std::vector<Row>{{1, 2}}));
}

std::shared_ptr<const Table> all_types_table() {
  return std::make_shared<const Table>(Table(unique_table_name("types"))
                                           .column("k", Type::int64)
                                           .column("i", Type::int64)
                                           .column("f", Type::float64)
                                           .column("t", Type::text)
                                           .column("b", Type::boolean)
                                           .column("d", Type::date)
                                           .column("ts", Type::timestamp)
                                           .column("y", Type::bytes)
                                           .unique_key({"k"}));
}

std::vector<Row> all_types_rows() {
  using namespace std::string_literals;
  return {
      {1, 42, 2.5, "plain", true, Date{2026, 11, 26}, Timestamp::from_parts(Date{2026, 11, 26}, 13, 5, 9, 123456),
       Bytes{{1, 2, 3}}},
      {2, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr},
      {3, int64_min, -1e308, "", false, Date{1, 1, 1}, Timestamp::from_parts(Date{9999, 12, 31}, 23, 59, 59, 999999),
       Bytes{}},
      {4, int64_max, 0.1, "Zoë 🙂 'quoted'; DROP TABLE x; --\0after nul"s, true, Date{2024, 2, 29},
       Timestamp::from_parts(Date{1970, 1, 1}, 0, 0, 0), Bytes{{0, 255, 0, 127}}},
  };
}

TEST(SqliteTypes, EveryTypeRoundTripsThroughAnUpsertReturningAndASelect) {
  Connection c = connect("sqlite:" + fresh_sqlite_path());
  auto t = all_types_table();
  c.create_table(*t);
  const std::vector<std::string> columns{"k", "i", "f", "t", "b", "d", "ts", "y"};
  const std::vector<Type> types{Type::int64,   Type::int64, Type::float64,   Type::text,
                                Type::boolean, Type::date,  Type::timestamp, Type::bytes};
  const auto rows = all_types_rows();
  for (const auto& row : rows) {
    Upsert s = insert_into(t);
    s.row(row).on_conflict({"k"}).do_nothing().returning(columns);
    auto returned = c.execute(s).rows;
    ASSERT_EQ(returned.size(), 1u);
    EXPECT_EQ(returned[0], row) << show(returned[0]) << " vs " << show(row);
  }
  auto selected = c.query(
      Sql{"SELECT k, i, f, t, b, d, ts, y FROM " + quote_identifier(t->name(), Dialect::sqlite) + " ORDER BY k", {}},
      types);
  ASSERT_EQ(selected.size(), rows.size());
  for (std::size_t r = 0; r < rows.size(); ++r) {
    EXPECT_EQ(selected[r], rows[r]) << show(selected[r]) << " vs " << show(rows[r]);
  }
  // Storage classes: dates and timestamps as text, booleans as integers, bytes as blobs.
  auto classes = c.query(Sql{"SELECT typeof(b), typeof(d), typeof(ts), typeof(y) FROM " +
                                 quote_identifier(t->name(), Dialect::sqlite) + " WHERE k = 1",
                             {}},
                         {});
  EXPECT_EQ(classes.at(0), (Row{"integer", "text", "text", "blob"}));
  // A bound timestamp compares with stored ones as time (fixed-width text).
  EXPECT_EQ(query_int(c, "SELECT COUNT(*) FROM " + quote_identifier(t->name(), Dialect::sqlite) +
                             " WHERE ts > '2026-11-26 13:05:09.123455'"),
            2);
}

TEST(SqliteTypes, ColumnsBeyondTheRequestedTypesComeBackAsTextAndMismatchesAreDataErrors) {
  Connection c = connect("sqlite::memory:");
  auto rows = c.query(Sql{"SELECT ?1, ?2, ?3, NULL, x'41'", {7, 2.5, "x"}}, {Type::int64});
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0], (Row{7, "2.5", "x", nullptr, "A"}));
  // Whole REALs convert to int64; others are refused.
  EXPECT_EQ(c.query(Sql{"SELECT 4.0", {}}, {Type::int64})[0][0], Value(4));
  Error e = expect_error([&] { c.query(Sql{"SELECT 'abc' AS word", {}}, {Type::int64}); }, ErrorCategory::data);
  EXPECT_TRUE(contains(e.what(), "word")) << e.what();
  expect_error([&] { c.query(Sql{"SELECT 4.5", {}}, {Type::int64}); }, ErrorCategory::data);
  expect_error([&] { c.query(Sql{"SELECT '2026-13-01'", {}}, {Type::date}); }, ErrorCategory::data);
  expect_error([&] { c.query(Sql{"SELECT 20261126", {}}, {Type::timestamp}); }, ErrorCategory::data);
  // SQLite would store NaN as NULL; infinities are kept.
  expect_error(
      [&] {
        c.query(Sql{"SELECT ?1", {std::numeric_limits<double>::quiet_NaN()}}, {Type::float64});
      },
      ErrorCategory::data);
  EXPECT_EQ(c.query(Sql{"SELECT ?1", {std::numeric_limits<double>::infinity()}}, {Type::float64})[0][0],
            Value(std::numeric_limits<double>::infinity()));
}

TEST(SqliteTypes, ExecuteSqlTakesOneStatementWithOneValuePerPlaceholder) {
  Connection c = connect("sqlite::memory:");
  expect_error([&] { c.execute_sql(Sql{"SELECT 1; SELECT 2", {}}); }, ErrorCategory::invalid_argument);
  expect_error([&] { c.execute_sql(Sql{"SELECT ?1, ?2", {1}}); }, ErrorCategory::invalid_argument);
  expect_error([&] { c.execute_sql(Sql{"   ", {}}); }, ErrorCategory::invalid_argument);
  EXPECT_EQ(c.query(Sql{"SELECT 1;  ", {}}, {Type::int64})[0][0], Value(1));
  // affected_rows counts rows a write changed, and nothing for DDL or reads.
  EXPECT_EQ(c.execute_sql(Sql{"CREATE TABLE w (a INTEGER)", {}}).affected_rows, 0);
  EXPECT_EQ(c.execute_sql(Sql{"INSERT INTO w VALUES (1), (2), (3)", {}}).affected_rows, 3);
  EXPECT_EQ(c.execute_sql(Sql{"UPDATE w SET a = a + 1 WHERE a > 5", {}}).affected_rows, 0);
  EXPECT_EQ(c.execute_sql(Sql{"SELECT * FROM w", {}}).affected_rows, 0);
  EXPECT_EQ(c.execute_sql(Sql{"DELETE FROM w WHERE a >= 2", {}}).affected_rows, 2);
}

// ---------------------------------------------------------------------------------------------
// The prepared-statement cache

TEST(SqliteCache, ARepeatedStatementIsPreparedOnceAndStaysRight) {
  Connection c = connect("sqlite:" + fresh_sqlite_path());
  auto t = counter_table();
  c.create_table(*t);
  SqliteDriver& driver = sqlite_driver(c);
  c.execute(increment(t, 0, 0));
  const int prepared = driver.prepared_statement_count();
  std::map<std::int64_t, std::int64_t> expected{{0, 0}};
  for (int i = 1; i <= 1000; ++i) {
    c.execute(increment(t, i % 10, i));
    expected[i % 10] += i;
  }
  EXPECT_EQ(driver.prepared_statement_count(), prepared) << "the same SQL text must reuse its statement";
  for (const auto& [k, n] : expected) EXPECT_EQ(count_of(c, *t, k), n) << "key " << k;

  // Many different statements do not grow the cache without bound.
  for (int i = 0; i < 200; ++i) c.query(Sql{"SELECT " + std::to_string(i), {}}, {Type::int64});
  EXPECT_LE(driver.prepared_statement_count(), 64);
  // And the statements still in use keep working after eviction.
  c.execute(increment(t, 0, 1));
  EXPECT_EQ(count_of(c, *t, 0), expected[0] + 1);

  // Re-opening forgets the cache.
  c.reconnect();
  EXPECT_LE(driver.prepared_statement_count(), 1);  // the journal-mode pragma of open()
  EXPECT_EQ(count_of(c, *t, 0), expected[0] + 1);
}

// ---------------------------------------------------------------------------------------------
// Inserted flags

TEST(SqliteInsertedFlag, SingleRowReportsInsertThenUpdate) {
  Connection c = connect("sqlite:" + fresh_sqlite_path());
  auto t = counter_table();
  c.create_table(*t);
  Upsert s = increment(t, 1, 10);
  s.returning({"n"}).returning_inserted_flag();
  EXPECT_EQ(c.execute(s).rows, (std::vector<Row>{{10, true}}));
  EXPECT_EQ(c.execute(s).rows, (std::vector<Row>{{20, false}}));
  EXPECT_FALSE(c.in_transaction()) << "the write transaction of the lookup is committed";

  // DO NOTHING on an existing key returns nothing, and a new key is inserted.
  Upsert keep = insert_into(t);
  keep.row({1, 99}).on_conflict({"k"}).do_nothing().returning({"k", "n"}).returning_inserted_flag();
  EXPECT_TRUE(c.execute(keep).rows.empty());
  Upsert fresh = insert_into(t);
  fresh.row({2, 5}).on_conflict({"k"}).do_nothing().returning({"k"}).returning_inserted_flag();
  EXPECT_EQ(c.execute(fresh).rows, (std::vector<Row>{{2, true}}));
}

TEST(SqliteInsertedFlag, WithoutReturningColumnsARowWithTheFlagAloneWhenWritten) {
  Connection c = connect("sqlite:" + fresh_sqlite_path());
  auto t = counter_table();
  c.create_table(*t);
  Upsert s = increment(t, 1, 1);
  s.returning_inserted_flag();
  EXPECT_EQ(c.execute(s).rows, (std::vector<Row>{{true}}));
  EXPECT_EQ(c.execute(s).rows, (std::vector<Row>{{false}}));
  // A WHERE that keeps the old row writes nothing, so there is no row to flag.
  Upsert capped = insert_into(t);
  capped.row({1, 1}).on_conflict({"k"}).do_update(add_proposed({"n"}), col("n") > 100).returning_inserted_flag();
  auto result = c.execute(capped);
  EXPECT_TRUE(result.rows.empty());
  EXPECT_EQ(result.affected_rows, 0);
  EXPECT_EQ(count_of(c, *t, 1), 2);
}

TEST(SqliteInsertedFlag, SeveralRowsAreMatchedToTheirFlagsByKey) {
  Connection c = connect("sqlite:" + fresh_sqlite_path());
  auto t = counter_table();
  c.create_table(*t);
  c.execute(increment(t, 2, 100));
  c.execute(increment(t, 4, 100));
  Upsert s = insert_into(t);
  for (std::int64_t k = 1; k <= 5; ++k) s.row({k, 1});
  s.on_conflict({"k"}).do_update(add_proposed({"n"})).returning({"n", "k"}).returning_inserted_flag();
  auto result = c.execute(s);
  ASSERT_EQ(result.rows.size(), 5u);
  EXPECT_EQ(result.affected_rows, 5);
  std::map<std::int64_t, Row> by_key;
  for (const auto& row : result.rows) by_key[row[1].as<std::int64_t>()] = row;
  for (std::int64_t k = 1; k <= 5; ++k) {
    const bool existed = k == 2 || k == 4;
    EXPECT_EQ(by_key[k], (Row{existed ? 101 : 1, k, !existed})) << "key " << k;
  }
}

TEST(SqliteInsertedFlag, ManyRowsAreLookedUpInSlices) {
  // More rows than one lookup statement may OR together (SQLite's expression depth is 1000).
  Connection c = connect("sqlite:" + fresh_sqlite_path());
  auto t = counter_table();
  c.create_table(*t);
  for (std::int64_t k = 0; k < 1200; k += 2) c.execute(increment(t, k, 1));
  Upsert s = insert_into(t);
  for (std::int64_t k = 0; k < 1200; ++k) s.row({k, 1});
  s.on_conflict({"k"}).do_update(add_proposed({"n"})).returning({"k", "n"}).returning_inserted_flag();
  auto rows = c.execute(s).rows;
  ASSERT_EQ(rows.size(), 1200u);
  for (const auto& row : rows) {
    const bool even = row[0].as<std::int64_t>() % 2 == 0;
    EXPECT_EQ(row[1], Value(even ? 2 : 1)) << show(row);
    EXPECT_EQ(row[2], Value(!even)) << show(row);
  }
}

TEST(SqliteInsertedFlag, AStatementAtTheParameterLimitRunsWithFlags) {
  Connection c = connect("sqlite:" + fresh_sqlite_path());
  auto t = counter_table();
  c.create_table(*t);
  const std::size_t limit = sqlite_driver(c).max_parameters();
  EXPECT_EQ(limit, max_parameters(Dialect::sqlite)) << "SQLite 3.40 allows at least the renderer's limit";
  const auto rows = static_cast<std::int64_t>(limit / 2);  // two parameters per row
  c.execute(increment(t, 0, 1));
  Upsert s = insert_into(t);
  for (std::int64_t k = 0; k < rows; ++k) s.row({k, 1});
  s.on_conflict({"k"}).do_update(add_proposed({"n"})).returning({"k", "n"}).returning_inserted_flag();
  auto result = c.execute(s);
  ASSERT_EQ(result.rows.size(), static_cast<std::size_t>(rows));
  for (const auto& row : result.rows) {
    const bool first = row[0].as<std::int64_t>() == 0;
    EXPECT_EQ(row[1], Value(first ? 2 : 1)) << show(row);
    EXPECT_EQ(row[2], Value(!first)) << show(row);
  }
  EXPECT_EQ(query_int(c, "SELECT sum(n) FROM " + quote_identifier(t->name(), Dialect::sqlite)), rows + 1);
}

TEST(SqliteBatch, ABatchBeyondOneStatementSumsExactly) {
  Connection c = connect("sqlite:" + fresh_sqlite_path());
  auto t = counter_table();
  c.create_table(*t);
  Upsert s = insert_into(t);
  // 25,000 distinct keys of two values: 50,000 parameters, more than one statement may carry.
  constexpr std::int64_t rows = 40'000;
  for (std::int64_t i = 0; i < rows; ++i) s.row({i % 25'000, 1});
  s.on_conflict({"k"}).do_update(add_proposed({"n"}));
  BatchResult result = c.execute_batch(s, BatchOptions{.max_rows_per_statement = 100'000});
  EXPECT_GE(result.statements, 2u);
  EXPECT_EQ(result.merged_rows, 25'000u);
  EXPECT_EQ(query_int(c, "SELECT sum(n) FROM " + quote_identifier(t->name(), Dialect::sqlite)), rows);
  EXPECT_EQ(count_of(c, *t, 0), 2);
  EXPECT_EQ(count_of(c, *t, 24'999), 1);
}

TEST(SqliteInsertedFlag, SeveralRowsWithoutTheKeyColumnsAreRefused) {
  Connection c = connect("sqlite:" + fresh_sqlite_path());
  auto t = counter_table();
  c.create_table(*t);
  Upsert no_key = insert_into(t);
  no_key.row({1, 1}).row({2, 1}).on_conflict({"k"}).do_update(add_proposed({"n"})).returning({"n"});
  no_key.returning_inserted_flag();
  Error e = expect_error([&] { c.execute(no_key); }, ErrorCategory::unsupported);
  EXPECT_TRUE(contains(e.what(), "add the key columns k to returning()")) << e.what();

  Upsert nothing_returned = insert_into(t);
  nothing_returned.row({1, 1}).row({2, 1}).on_conflict({"k"}).do_update(add_proposed({"n"}));
  nothing_returned.returning_inserted_flag();
  expect_error([&] { c.execute(nothing_returned); }, ErrorCategory::unsupported);
  EXPECT_EQ(query_int(c, "SELECT COUNT(*) FROM " + quote_identifier(t->name(), Dialect::sqlite)), 0)
      << "a refused statement writes nothing";
}

TEST(SqliteInsertedFlag, APartialKeyTargetIsRefusedRatherThanMisreported) {
  // A row outside the partial index's WHERE has the same key but never conflicts: a lookup by key
  // alone would call the insert an update.
  Connection c = connect("sqlite:" + fresh_sqlite_path());
  auto t = std::make_shared<const Table>(Table(unique_table_name("sessions"))
                                             .column("k", Type::int64)
                                             .column("active", Type::boolean, not_null)
                                             .column("n", Type::int64, default_value(0), not_null)
                                             .partial_unique_key({"k"}, col("active") == true));
  c.create_table(*t);
  Upsert s = insert_into(t);
  s.row({1, true, 1}).on_conflict({"k"}).do_update(add_proposed({"n"})).returning({"k"}).returning_inserted_flag();
  Error e = expect_error([&] { c.execute(s); }, ErrorCategory::unsupported);
  EXPECT_TRUE(contains(e.what(), "partial")) << e.what();
  // Without the flag the partial key works as the conflict target.
  s.returning_inserted_flag(false);
  c.execute(s);
  c.execute(s);
  EXPECT_EQ(count_of(c, *t, 1), 2);
}

TEST(SqliteInsertedFlag, RunsInsideTheCallersTransaction) {
  Connection c = connect("sqlite:" + fresh_sqlite_path());
  auto t = counter_table();
  c.create_table(*t);
  c.begin(true);
  Upsert s = increment(t, 1, 1);
  s.returning_inserted_flag();
  EXPECT_EQ(c.execute(s).rows, (std::vector<Row>{{true}}));
  EXPECT_EQ(c.execute(s).rows, (std::vector<Row>{{false}}));
  EXPECT_TRUE(c.in_transaction()) << "the caller's transaction stays open";
  c.rollback();
  EXPECT_EQ(count_of(c, *t, 1), -1) << "rolled back with the caller's transaction";
}

// ---------------------------------------------------------------------------------------------
// Transactions and locking

TEST(SqliteTransactions, BeginForWriteTakesTheWriteLockAtOnce) {
  const std::string path = fresh_sqlite_path();
  Connection a = connect("sqlite:" + path);
  Connection b = connect("sqlite:" + path + "?busy_timeout_ms=0");
  b.set_retry_policy(RetryPolicy{.max_attempts = 1});
  auto t = counter_table();
  a.create_table(*t);

  a.begin(true);  // BEGIN IMMEDIATE: holds the write lock before writing anything
  EXPECT_TRUE(a.in_transaction());
  Error busy = expect_error([&] { b.execute(increment(t, 1, 1)); }, ErrorCategory::retryable);
  EXPECT_EQ(busy.engine_code(), "SQLITE_BUSY");
  EXPECT_FALSE(busy.sql().empty());
  expect_error([&] { b.begin(true); }, ErrorCategory::retryable);
  EXPECT_FALSE(b.in_transaction());
  EXPECT_EQ(count_of(b, *t, 1), -1) << "readers still read beside the writer (WAL)";
  a.execute(increment(t, 1, 1));
  a.commit();
  EXPECT_FALSE(a.in_transaction());
  b.execute(increment(t, 1, 1));
  EXPECT_EQ(count_of(a, *t, 1), 2);

  a.begin(false);  // BEGIN (deferred): takes no lock until it writes
  b.execute(increment(t, 1, 1));
  a.commit();
  EXPECT_EQ(count_of(a, *t, 1), 3);
}

TEST(SqliteTransactions, ADeferredReadThenWriteFailsWhereImmediateWouldWait) {
  // Why begin(true) is BEGIN IMMEDIATE: a read transaction that later writes cannot take the write
  // lock once another connection has committed since its read, and no busy timeout helps.
  const std::string path = fresh_sqlite_path();
  Connection a = connect("sqlite:" + path + "?busy_timeout_ms=0");
  Connection b = connect("sqlite:" + path);
  auto t = counter_table();
  a.create_table(*t);
  a.execute(increment(t, 1, 1));
  a.begin(false);
  EXPECT_EQ(count_of(a, *t, 1), 1);  // starts the read snapshot
  b.execute(increment(t, 1, 1));
  Error e = expect_error([&] { a.execute(increment(t, 1, 1)); }, ErrorCategory::retryable);
  EXPECT_EQ(e.engine_code(), "SQLITE_BUSY_SNAPSHOT");
  a.rollback();
  EXPECT_EQ(count_of(a, *t, 1), 2);
}

TEST(SqliteTransactions, CommitRollbackAndMisuse) {
  Connection c = connect("sqlite:" + fresh_sqlite_path());
  auto t = counter_table();
  c.create_table(*t);
  c.begin(true);
  c.execute(increment(t, 1, 1));
  expect_error([&] { c.begin(true); }, ErrorCategory::invalid_argument);
  c.commit();
  c.begin(true);
  c.execute(increment(t, 1, 1));
  c.rollback();
  EXPECT_EQ(count_of(c, *t, 1), 1);
  expect_error([&] { c.commit(); }, ErrorCategory::invalid_argument);
  c.rollback();  // nothing open: harmless
  // Connection::transaction retries the whole body; here it runs once.
  int runs = 0;
  c.transaction([&](Connection& tx) {
    ++runs;
    tx.execute(increment(t, 1, 5));
  });
  EXPECT_EQ(runs, 1);
  EXPECT_EQ(count_of(c, *t, 1), 6);
}

// ---------------------------------------------------------------------------------------------
// Errors

TEST(SqliteErrors, BusyWithZeroTimeoutIsRetryableAndConnectionRetriesIt) {
  const std::string path = fresh_sqlite_path();
  Connection holder = connect("sqlite:" + path);
  Connection impatient = connect("sqlite:" + path + "?busy_timeout_ms=0");
  auto t = counter_table();
  holder.create_table(*t);
  holder.begin(true);
  // One attempt surfaces SQLITE_BUSY at once.
  Error e = expect_error([&] { execute_once(impatient, increment(t, 1, 1)); }, ErrorCategory::retryable);
  EXPECT_EQ(e.engine_code(), "SQLITE_BUSY");
  EXPECT_TRUE(e.retryable()) << "another connection held the lock";
  EXPECT_EQ(e.sqlstate(), "") << "SQLite has no SQLSTATE";
  EXPECT_TRUE(contains(e.what(), "busy_timeout_ms")) << e.what();
  // Connection retries with backoff until the lock is released.
  std::thread release([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    holder.commit();
  });
  impatient.execute(increment(t, 1, 1));
  release.join();
  EXPECT_GE(impatient.stats().retries, 1u);
  EXPECT_EQ(count_of(holder, *t, 1), 1);
}

TEST(SqliteErrors, ASecondUniqueKeyViolationIsAConstraintError) {
  Connection c = connect("sqlite:" + fresh_sqlite_path());
  auto t = std::make_shared<const Table>(Table(unique_table_name("people"))
                                             .column("id", Type::int64)
                                             .column("email", Type::text, not_null)
                                             .primary_key({"id"})
                                             .unique_key({"email"}));
  c.create_table(*t);
  Upsert first = insert_into(t);
  first.row({1, "a@example.org"}).on_conflict({"id"}).do_nothing();
  c.execute(first);
  Upsert clash = insert_into(t);
  clash.row({2, "a@example.org"}).on_conflict({"id"}).do_update({{"email", proposed("email")}});
  Error e = expect_error([&] { c.execute(clash); }, ErrorCategory::constraint);
  EXPECT_EQ(e.engine_code(), "SQLITE_CONSTRAINT_UNIQUE");
  EXPECT_TRUE(contains(e.what(), "UNIQUE constraint failed")) << e.what();
  EXPECT_TRUE(contains(e.sql(), "INSERT INTO")) << e.sql();
  EXPECT_EQ(c.stats().retries, 0u) << "a permanent error is not retried";
}

TEST(SqliteErrors, Int64OverflowIsAnOverflowAndTheRowIsUnchanged) {
  Connection c = connect("sqlite:" + fresh_sqlite_path());
  auto t = counter_table();
  c.create_table(*t);
  c.execute(increment(t, 1, int64_max - 1));
  Error e = expect_error([&] { c.execute(increment(t, 1, 5)); }, ErrorCategory::overflow);
  EXPECT_TRUE(contains(e.what(), "int64")) << e.what();
  EXPECT_EQ(count_of(c, *t, 1), int64_max - 1);
  EXPECT_EQ(c.stats().retries, 0u);
  // An aggregate that overflows says so too.
  c.execute(increment(t, 2, int64_max - 1));
  Error sum = expect_error([&] { query_int(c, "SELECT sum(n) FROM " + quote_identifier(t->name(), Dialect::sqlite)); },
                           ErrorCategory::overflow);
  EXPECT_EQ(sum.engine_code(), "SQLITE_ERROR");
}

// Issue 14, problem 3: a plain (not STRICT) table, as Django or a hand-written CREATE TABLE makes
// it, stored 9223372036854775807 + 1 as the REAL 9.22337203685478e+18 without an error, and the
// writer kept adding to it.
TEST(SqliteErrors, Int64OverflowOnATableThatIsNotStrictIsAnOverflowToo) {
  Connection c = connect("sqlite:" + fresh_sqlite_path());
  auto t = counter_table();
  const std::string name = quote_identifier(t->name(), Dialect::sqlite);
  c.execute_sql(Sql{"CREATE TABLE " + name + " (k INTEGER, n INTEGER NOT NULL DEFAULT 0, UNIQUE (k))", {}});
  c.execute(increment(t, 1, int64_max - 1));
  Error single = expect_error([&] { c.execute(increment(t, 1, 5)); }, ErrorCategory::overflow);
  EXPECT_TRUE(contains(single.what(), "int64")) << single.what();
  EXPECT_EQ(count_of(c, *t, 1), int64_max - 1);
  EXPECT_EQ(query_int(c, "SELECT count(*) FROM " + name + " WHERE typeof(n) <> 'integer'"), 0);

  // In a batch the whole statement is refused: the row that fits is not applied either.
  Upsert batch = insert_into(t);
  batch.row({2, 7}).row({1, 5}).on_conflict({"k"}).do_update(add_proposed({"n"}));
  expect_error([&] { c.execute_batch(batch); }, ErrorCategory::overflow);
  EXPECT_EQ(count_of(c, *t, 1), int64_max - 1);
  EXPECT_EQ(count_of(c, *t, 2), -1);

  // Below the limit, and downwards, sums stay exact integers.
  c.execute(increment(t, 1, 1));
  EXPECT_EQ(count_of(c, *t, 1), int64_max);
  c.execute(increment(t, 3, int64_min + 1));
  expect_error([&] { c.execute(increment(t, 3, -2)); }, ErrorCategory::overflow);
  EXPECT_EQ(count_of(c, *t, 3), int64_min + 1);

  // A row that already holds a REAL (stored by the old code) is not added to silently.
  c.execute_sql(Sql{"UPDATE " + name + " SET n = 9.22337203685478e+18 WHERE k = 1", {}});
  expect_error([&] { c.execute(increment(t, 1, 1)); }, ErrorCategory::overflow);
}

TEST(SqliteErrors, MissingTablesAndBadSqlAreSyntaxErrorsCarryingTheSql) {
  Connection c = connect("sqlite:" + fresh_sqlite_path());
  const std::string missing = "SELECT n FROM no_such_table_here";
  Error e = expect_error([&] { c.query(Sql{missing, {}}, {Type::int64}); }, ErrorCategory::syntax);
  EXPECT_EQ(e.sql(), missing);
  EXPECT_EQ(e.engine_code(), "SQLITE_ERROR");
  EXPECT_TRUE(contains(e.what(), "no such table")) << e.what();
  expect_error([&] { c.execute_script("CREATE TABLEX oops (a)"); }, ErrorCategory::syntax);
  // An upsert into a table that was never created names the fix.
  auto t = counter_table();
  Error u = expect_error([&] { c.execute(increment(t, 1, 1)); }, ErrorCategory::syntax);
  EXPECT_TRUE(contains(u.what(), "create_table")) << u.what();
}

TEST(SqliteErrors, MappingOfResultCodes) {
  using detail::sqlite_error_category;
  EXPECT_EQ(sqlite_error_category(SQLITE_BUSY_SNAPSHOT, ""), ErrorCategory::retryable);
  EXPECT_EQ(sqlite_error_category(SQLITE_LOCKED_SHAREDCACHE, ""), ErrorCategory::retryable);
  EXPECT_EQ(sqlite_error_category(SQLITE_CONSTRAINT_NOTNULL, ""), ErrorCategory::constraint);
  EXPECT_EQ(sqlite_error_category(SQLITE_CONSTRAINT_FOREIGNKEY, ""), ErrorCategory::constraint);
  EXPECT_EQ(sqlite_error_category(SQLITE_CONSTRAINT_DATATYPE, "cannot store TEXT value in INTEGER column t.n"),
            ErrorCategory::data);
  EXPECT_EQ(sqlite_error_category(SQLITE_CONSTRAINT_DATATYPE, "cannot store REAL value in INTEGER column t.n"),
            ErrorCategory::overflow);
  EXPECT_EQ(sqlite_error_category(SQLITE_TOOBIG, ""), ErrorCategory::data);
  EXPECT_EQ(sqlite_error_category(SQLITE_RANGE, ""), ErrorCategory::data);
  EXPECT_EQ(sqlite_error_category(SQLITE_IOERR_SHORT_READ, ""), ErrorCategory::connection);
  EXPECT_EQ(sqlite_error_category(SQLITE_CORRUPT, ""), ErrorCategory::connection);
  EXPECT_EQ(sqlite_error_category(SQLITE_CANTOPEN_ISDIR, ""), ErrorCategory::connection);
  Error full = detail::sqlite_error(SQLITE_FULL, "database or disk is full", "INSERT ...");
  EXPECT_EQ(full.category(), ErrorCategory::data);
  EXPECT_TRUE(contains(full.what(), "disk")) << full.what();
  EXPECT_EQ(full.engine_code(), "SQLITE_FULL");
  EXPECT_EQ(full.sql(), "INSERT ...");
  EXPECT_EQ(detail::sqlite_code_name(SQLITE_IOERR_SHMMAP), "SQLITE_IOERR_SHMMAP");
}

// ---------------------------------------------------------------------------------------------
// Many writers on one file

TEST(SqliteConcurrency, EightThreadsOnOneFileSumExactly) {
  constexpr int threads = 8;
  constexpr int per_thread = 5'000;
  constexpr int keys = 4;
  const std::string path = fresh_sqlite_path();
  auto t = counter_table();
  connect("sqlite:" + path).create_table(*t);
  std::vector<std::string> errors(threads);
  std::vector<std::uint64_t> retries(threads);
  std::vector<std::thread> workers;
  for (int w = 0; w < threads; ++w) {
    workers.emplace_back([&, w] {
      try {
        Connection c = connect("sqlite:" + path);
        for (int i = 0; i < per_thread; ++i) c.execute(increment(t, (w + i) % keys, 1));
        retries[static_cast<std::size_t>(w)] = c.stats().retries;
      } catch (const std::exception& e) {
        errors[static_cast<std::size_t>(w)] = e.what();
      }
    });
  }
  for (auto& worker : workers) worker.join();
  for (int w = 0; w < threads; ++w) EXPECT_EQ(errors[static_cast<std::size_t>(w)], "") << "thread " << w;
  Connection c = connect("sqlite:" + path);
  for (int k = 0; k < keys; ++k) EXPECT_EQ(count_of(c, *t, k), threads * per_thread / keys) << "key " << k;
  std::uint64_t all_retries = 0;
  for (auto r : retries) all_retries += r;
  RecordProperty("retries", std::to_string(all_retries));
}

TEST(SqliteConcurrency, ThreadsOpeningANewFileAtOnceAllGetWal) {
  // Switching a new file to WAL needs an exclusive lock: concurrent first opens must wait for it.
  constexpr int threads = 8;
  const std::string path = fresh_sqlite_path();
  auto t = counter_table();
  std::vector<std::string> errors(threads);
  std::vector<std::string> modes(threads);
  std::vector<std::thread> workers;
  for (int w = 0; w < threads; ++w) {
    workers.emplace_back([&, w] {
      try {
        Connection c = connect("sqlite:" + path);
        c.create_table(*t);
        for (int i = 0; i < 100; ++i) c.execute(increment(t, 0, 1));
        modes[static_cast<std::size_t>(w)] = pragma_text(c, "journal_mode");
      } catch (const std::exception& e) {
        errors[static_cast<std::size_t>(w)] = e.what();
      }
    });
  }
  for (auto& worker : workers) worker.join();
  for (int w = 0; w < threads; ++w) {
    EXPECT_EQ(errors[static_cast<std::size_t>(w)], "") << "thread " << w;
    EXPECT_EQ(modes[static_cast<std::size_t>(w)], "wal") << "thread " << w;
  }
  Connection c = connect("sqlite:" + path);
  EXPECT_EQ(count_of(c, *t, 0), threads * 100);
}

TEST(SqliteConcurrency, FourProcessesOnOneFileSumExactly) {
  constexpr int processes = 4;
  constexpr int per_process = 2'000;
  constexpr int keys = 4;
  const std::string path = fresh_sqlite_path();
  auto t = counter_table();
  // No connection to the file may be open across fork(): SQLite's lock bookkeeping is per process.
  connect("sqlite:" + path).create_table(*t);
  std::vector<pid_t> children;
  for (int p = 0; p < processes; ++p) {
    const pid_t pid = ::fork();
    ASSERT_GE(pid, 0) << "fork failed";
    if (pid == 0) {
      int code = 0;
      try {
        Connection c = connect("sqlite:" + path);
        for (int i = 0; i < per_process; ++i) c.execute(increment(t, (p + i) % keys, 1));
      } catch (...) {
        code = 1;
      }
      ::_exit(code);
    }
    children.push_back(pid);
  }
  for (pid_t pid : children) {
    int status = 0;
    ASSERT_EQ(::waitpid(pid, &status, 0), pid);
    EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "a writer process failed";
  }
  Connection c = connect("sqlite:" + path);
  for (int k = 0; k < keys; ++k) EXPECT_EQ(count_of(c, *t, k), processes * per_process / keys) << "key " << k;
}

// The write turn lets a free turn go to whoever asks first (the connection that just gave it back,
// often), which is what makes 8 writers on 2 cores fast; but a waiter must not starve behind a
// connection that gives the turn back and takes it again in a loop: after WriteTurn::patience it
// queues, and the next release hands the turn to it.
TEST(SqliteWriteTurn, AWaiterGetsTheTurnFromAConnectionThatKeepsRetakingIt) {
  detail::WriteTurn turn;
  std::atomic<bool> stop{false};
  ASSERT_TRUE(turn.take(std::chrono::milliseconds(100)));
  std::thread greedy([&] {
    turn.give_back();
    while (!stop) {
      if (turn.take(std::chrono::milliseconds(5000))) {
        std::this_thread::sleep_for(std::chrono::microseconds(200));  // a statement
        turn.give_back();
      }
    }
  });
  std::this_thread::sleep_for(std::chrono::milliseconds(5));
  const auto asked = std::chrono::steady_clock::now();
  const bool got = turn.take(std::chrono::milliseconds(5000));
  const auto waited = std::chrono::steady_clock::now() - asked;
  stop = true;
  if (got) turn.give_back();
  greedy.join();
  ASSERT_TRUE(got);
  // Patience is 50 ms; without the queue the waiter waited 3.6 s here (polling never found it free).
  EXPECT_LE(turn.timing().patience + turn.timing().quantum, std::chrono::milliseconds(100));
  EXPECT_LT(waited, std::chrono::milliseconds(500));
}

// While a waiter is queued, the thread that was just handed the turn may still give it back and
// take it again at once, for a quantum: a hand-over at every release woke a thread per statement
// (a context switch each, 25-30% of 8 writers' rows/s on 2 cores). After that the waiter gets it.
TEST(SqliteWriteTurn, AHolderKeepsRetakingTheTurnForAQuantumWhileAWaiterIsQueued) {
  using namespace std::chrono_literals;
  // Short patience and a long quantum, so a second waiter queues well inside the first's quantum.
  detail::WriteTurn turn(detail::WriteTurn::Timing{.patience = 5ms, .quantum = 300ms});
  ASSERT_TRUE(turn.take(100ms));  // this thread holds the turn first
  std::atomic<bool> x_has_it{false};
  std::atomic<bool> y_has_it{false};
  std::atomic<bool> y_asked{false};
  std::atomic<bool> y_served_during_x{false};
  int x_retakes = 0;
  std::chrono::steady_clock::duration x_longest_retake{};
  std::thread x([&] {
    if (!turn.take(5000ms)) return;
    x_has_it = true;
    while (!y_asked) std::this_thread::sleep_for(100us);
    std::this_thread::sleep_for(30ms);  // y is queued by now (patience 5 ms)
    for (int i = 0; i < 10; ++i) {      // ten statements, each giving the turn back and asking again
      turn.give_back();
      const auto asked = std::chrono::steady_clock::now();
      if (!turn.take(5000ms)) break;
      x_longest_retake = std::max(x_longest_retake, std::chrono::steady_clock::now() - asked);
      ++x_retakes;
      if (y_has_it) y_served_during_x = true;
    }
    turn.give_back();
  });
  std::this_thread::sleep_for(20ms);  // x queued
  std::this_thread::sleep_for(turn.timing().quantum);
  turn.give_back();  // held past the quantum: handed to x, the one queued waiter
  while (!x_has_it) std::this_thread::sleep_for(100us);
  std::thread y([&] {
    y_asked = true;
    if (turn.take(5000ms)) {
      y_has_it = true;
      turn.give_back();
    }
  });
  x.join();
  y.join();
  ASSERT_TRUE(x_has_it);
  EXPECT_TRUE(y_has_it);
  EXPECT_EQ(x_retakes, 10);
  // Each retake found the turn free: no wait for y's hand-over and back (handed over at every
  // release, y would take it at x's first release and x would wait for y's).
  EXPECT_FALSE(y_served_during_x);
  EXPECT_LT(x_longest_retake, std::chrono::steady_clock::duration(turn.timing().first_pause));
}

}  // namespace
}  // namespace upsert::testing
