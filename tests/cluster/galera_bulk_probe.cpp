// The mechanism behind the Galera data loss, shown with libmariadb alone (no library code): a
// transaction on node 1 that a write committed through node 2 brute-force aborts. Its next
// statement, sent as an ordinary prepared statement, fails with 1213; sent with array binding
// (COM_STMT_BULK_EXECUTE), it is answered OK while nothing of the transaction survives, and the
// session is out of its transaction. The library therefore never uses array binding on a Galera
// node and checks SERVER_STATUS_IN_TRANS after each statement of a transaction (docs/galera.md).
// If the bulk case starts failing with an error, MariaDB fixed this and the exclusion may go.

#include <mysql.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <string>
#include <thread>

#include "cluster/cluster.hpp"

namespace upsert::testing {
namespace {

struct Handle {
  MYSQL* m = mysql_init(nullptr);
  explicit Handle(const std::string& url) {
    const ServerUrl u = parse_server_url(url);
    if (mysql_real_connect(m, u.host.c_str(), u.user.c_str(), u.password.c_str(), u.database.c_str(),
                           static_cast<unsigned>(std::stoul(u.port)), nullptr, 0) == nullptr) {
      throw std::runtime_error(std::string("cannot connect to ") + url + ": " + mysql_error(m));
    }
  }
  ~Handle() { mysql_close(m); }
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  void sql(const std::string& text) {
    if (mysql_query(m, text.c_str()) != 0) throw std::runtime_error(text + ": " + mysql_error(m));
    if (MYSQL_RES* r = mysql_store_result(m)) mysql_free_result(r);
  }
  long long scalar(const std::string& text) {
    sql_keep(text);
    MYSQL_RES* r = mysql_store_result(m);
    MYSQL_ROW row = mysql_fetch_row(r);
    const long long v = row != nullptr && row[0] != nullptr ? std::stoll(row[0]) : 0;
    mysql_free_result(r);
    return v;
  }
  void sql_keep(const std::string& text) {
    if (mysql_query(m, text.c_str()) != 0) throw std::runtime_error(text + ": " + mysql_error(m));
  }
  bool in_transaction() {
    unsigned int status = 0;
    mariadb_get_infov(m, MARIADB_CONNECTION_SERVER_STATUS, &status);
    return (status & SERVER_STATUS_IN_TRANS) != 0;
  }
};

// Two writers, on nodes 1 and 2, each run `rounds` autocommit upserts adding 1 to keys 1..4 in one
// statement: with array binding when `bulk`, else as one multi-row INSERT. Returns the increments
// the server acknowledged (OK answers x 4) minus those stored; errors (1213) are not counted, as
// a caller would retry them.
long long lost_increments(bool bulk, const std::string& table, int rounds) {
  const auto urls = galera_urls();
  std::atomic<long long> acknowledged{0};
  std::atomic<int> errors{0};
  auto writer = [&](const std::string& url) {
    Handle h(url);
    const std::string text =
        bulk ? "INSERT INTO " + table + " (k, n) VALUES (?, 1) ON DUPLICATE KEY UPDATE n = n + 1"
             : "INSERT INTO " + table +
                   " (k, n) VALUES (?, 1), (?, 1), (?, 1), (?, 1) ON DUPLICATE KEY UPDATE n = n + 1";
    MYSQL_STMT* stmt = mysql_stmt_init(h.m);
    if (mysql_stmt_prepare(stmt, text.c_str(), static_cast<unsigned long>(text.size())) != 0) {
      ADD_FAILURE() << mysql_stmt_error(stmt);
      return;
    }
    long long keys[4] = {1, 2, 3, 4};
    MYSQL_BIND binds[4]{};
    for (int i = 0; i < 4; ++i) {
      binds[i].buffer_type = MYSQL_TYPE_LONGLONG;
      binds[i].buffer = bulk ? static_cast<void*>(keys) : static_cast<void*>(&keys[i]);
    }
    if (bulk) {
      unsigned int rows = 4;
      mysql_stmt_attr_set(stmt, STMT_ATTR_ARRAY_SIZE, &rows);
    }
    mysql_stmt_bind_param(stmt, binds);
    for (int r = 0; r < rounds; ++r) {
      if (mysql_stmt_execute(stmt) == 0) {
        acknowledged += 4;
      } else {
        ++errors;
      }
    }
    mysql_stmt_close(stmt);
  };
  std::thread one(writer, urls[0]), two(writer, urls[1]);
  one.join();
  two.join();
  Handle check(urls[2]);
  check.sql("SET SESSION wsrep_sync_wait = 1");
  const long long stored = check.scalar("SELECT COALESCE(SUM(n), 0) FROM " + table);
  std::printf("%s: %lld increments acknowledged, %lld stored, %d statements failed with an error\n",
              bulk ? "array binding" : "multi-row INSERT", acknowledged.load(), stored, errors.load());
  return acknowledged - stored;
}

class GaleraBulkProbe : public ::testing::Test {
 protected:
  void SetUp() override {
    Handle h(galera_urls()[0]);
    h.sql("DROP TABLE IF EXISTS " + table_);
    h.sql("CREATE TABLE " + table_ + " (k BIGINT PRIMARY KEY, n BIGINT NOT NULL)");
  }
  std::string table_ = unique_table_name("galera_probe");
};

TEST_F(GaleraBulkProbe, MultiRowInsertReportsEveryAbort) {
  EXPECT_EQ(lost_increments(false, table_, 300), 0);
}

TEST_F(GaleraBulkProbe, ArrayBindingAcknowledgesAbortedWork) {
  EXPECT_GT(lost_increments(true, table_, 300), 0)
      << "no acknowledged increment was lost: if this holds on rerun, MariaDB now reports Galera's aborts to "
         "COM_STMT_BULK_EXECUTE and array binding may be allowed on Galera again (src/drivers/mysql/connection.cpp, "
         "run_bulk)";
}

}  // namespace
}  // namespace upsert::testing
