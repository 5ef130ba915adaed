#pragma once
// The engines the driver tests run on. SQLite runs in-process on a fresh file; PostgreSQL and
// MariaDB are real servers started by scripts/test-servers.sh, found through environment
// variables. A missing server FAILS the test: CI must never pass by skipping.

#include <gtest/gtest.h>

#include <unistd.h>
#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <vector>

#include "upsert/upsert.hpp"

namespace upsert::testing {

enum class Engine { sqlite, postgres, mariadb };

inline std::string engine_name(Engine e) {
  switch (e) {
    case Engine::sqlite: return "sqlite";
    case Engine::postgres: return "postgres";
    case Engine::mariadb: return "mariadb";
  }
  return "unknown";
}

inline const std::vector<Engine>& all_engines() {
  static const std::vector<Engine> engines{Engine::sqlite, Engine::postgres, Engine::mariadb};
  return engines;
}

// A fresh SQLite file per call, removed by the OS temp cleaner; unique across processes.
inline std::string fresh_sqlite_path() {
  static std::atomic<int> counter{0};
  auto dir = std::filesystem::temp_directory_path() / "upsert-tests";
  std::filesystem::create_directories(dir);
  // Appended piece by piece: "t" + std::to_string(...) makes GCC 12 at -O3 warn (-Wrestrict), a
  // false positive that -Werror turns into a failed Release build.
  std::string name = "t";
  name += std::to_string(::getpid());
  name += '_';
  name += std::to_string(counter++);
  name += ".db";
  auto path = dir / name;
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(path.string() + suffix);
  return path.string();
}

// The URL of a server from the environment; an ASSERT-style failure when it is not set.
inline std::string server_url(const char* variable) {
  const char* url = std::getenv(variable);
  if (url == nullptr || *url == '\0') {
    throw std::runtime_error(std::string(variable) +
                             " is not set: run the tests through scripts/test.sh, which starts PostgreSQL and "
                             "MariaDB (scripts/test-servers.sh start, then source the env.sh it writes)");
  }
  return url;
}

// A URL for `engine`. For SQLite every call with a new `sqlite_path` gives a separate database;
// pass the same path to share one file between connections.
inline std::string engine_url(Engine engine, const std::string& sqlite_path = {}) {
  switch (engine) {
    case Engine::sqlite: return "sqlite:" + (sqlite_path.empty() ? fresh_sqlite_path() : sqlite_path);
    case Engine::postgres: return server_url("UPSERT_TEST_POSTGRES_URL");
    case Engine::mariadb: return server_url("UPSERT_TEST_MARIADB_URL");
  }
  return {};
}

// The parts of a server URL of the form scripts/test-servers.sh writes,
// scheme://user:password@host:port/database[?query], for tests that need a variant of it (another
// password, port or parameter). Parts are kept as written, percent-encoding included.
struct ServerUrl {
  std::string scheme, user, password, host, port, database, query;

  // user:password@host:port/database, without the scheme and the query.
  std::string authority_and_path() const {
    return user + (password.empty() ? "" : ":" + password) + "@" + host + ":" + port + "/" + database;
  }
  std::string str() const { return scheme + "://" + authority_and_path() + (query.empty() ? "" : "?" + query); }
};

inline ServerUrl parse_server_url(const std::string& url) {
  auto fail = [&] {
    return std::runtime_error("test server URL \"" + url +
                              "\" is not scheme://user[:password]@host:port/database[?query]");
  };
  ServerUrl u;
  const auto scheme_end = url.find("://");
  if (scheme_end == std::string::npos) throw fail();
  u.scheme = url.substr(0, scheme_end);
  std::string rest = url.substr(scheme_end + 3);
  if (auto q = rest.find('?'); q != std::string::npos) {
    u.query = rest.substr(q + 1);
    rest.resize(q);
  }
  const auto at = rest.rfind('@');
  const auto slash = rest.find('/', at == std::string::npos ? 0 : at);
  if (at == std::string::npos || slash == std::string::npos) throw fail();
  const std::string login = rest.substr(0, at), host_port = rest.substr(at + 1, slash - at - 1);
  u.database = rest.substr(slash + 1);
  const auto colon = login.find(':');
  u.user = login.substr(0, colon);
  if (colon != std::string::npos) u.password = login.substr(colon + 1);
  const auto port_colon = host_port.rfind(':');
  if (port_colon == std::string::npos || u.user.empty() || u.database.empty()) throw fail();
  u.host = host_port.substr(0, port_colon);
  u.port = host_port.substr(port_colon + 1);
  if (u.host.empty() || u.port.empty()) throw fail();
  return u;
}

// The parts of the URL of a server engine (PostgreSQL or MariaDB) from the environment.
inline ServerUrl server_url_parts(Engine engine) {
  return parse_server_url(engine_url(engine));
}

// `url` with `parameter` (name=value) added to its query.
inline std::string with_parameter(const std::string& url, const std::string& parameter) {
  return url + (url.find('?') == std::string::npos ? "?" : "&") + parameter;
}

// The shell command running `scripts/test-servers.sh <command>` on the servers under test (their
// DIR from UPSERT_TEST_SERVERS_DIR, their ports from the URLs): the script otherwise assumes its
// default DIR and ports and would act on, or wait for, some other instance.
inline std::string test_servers_command(const std::string& source_dir, const std::string& command) {
  std::string line = "UPSERT_PG_PORT=" + server_url_parts(Engine::postgres).port;
  if (const char* mariadb = std::getenv("UPSERT_TEST_MARIADB_URL"); mariadb != nullptr && *mariadb != '\0') {
    line += " UPSERT_MARIADB_PORT=" + server_url_parts(Engine::mariadb).port;
  }
  line += " bash '" + source_dir + "/scripts/test-servers.sh' " + command;
  if (const char* dir = std::getenv("UPSERT_TEST_SERVERS_DIR"); dir != nullptr && *dir != '\0') {
    line += std::string(" '") + dir + "'";
  }
  return line;
}

// A table name unique to the running test and engine, so tests sharing a server never collide.
inline std::string unique_table_name(const std::string& stem) {
  static std::atomic<int> counter{0};
  return stem + "_" + std::to_string(::getpid() % 100000) + "_" + std::to_string(counter++);
}

// Drops a table if it exists (test set-up and clean-up).
inline void drop_table(Connection& c, const std::string& name) {
  c.execute_script("DROP TABLE IF EXISTS " + quote_identifier(name, c.dialect()));
}

// Runs `sql` and returns the first column of the first row as int64 (e.g. SELECT SUM(...)).
// The upsert::Error that `work` throws; fails the test when it throws nothing.
template <class F>
Error error_of(F&& work) {
  try {
    work();
  } catch (const Error& e) {
    return e;
  }
  ADD_FAILURE() << "expected an upsert::Error, got none";
  return Error(ErrorCategory::internal, "no error was thrown");
}

inline std::int64_t query_int(Connection& c, const std::string& sql) {
  auto rows = c.query(Sql{sql, {}}, {Type::int64});
  if (rows.empty() || rows[0].empty() || rows[0][0].is_null()) return 0;
  return rows[0][0].as<std::int64_t>();
}

// Runs `statement` once, with no retry (the connection's retry policy is the default again after).
inline ExecResult execute_once(Connection& c, const Upsert& statement) {
  struct DefaultPolicyAfter {
    Connection& c;
    ~DefaultPolicyAfter() { c.set_retry_policy({}); }
  } restore{c};
  c.set_retry_policy({.max_attempts = 1});
  return c.execute(statement);
}

// For parameterised suites: test names say the engine.
struct EngineName {
  std::string operator()(const ::testing::TestParamInfo<Engine>& param_info) const {
    return engine_name(param_info.param);
  }
};

}  // namespace upsert::testing
