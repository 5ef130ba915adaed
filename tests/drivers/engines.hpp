#pragma once
// The engines the driver tests run on. SQLite runs in-process on a fresh file; PostgreSQL and
// MariaDB are real servers started by scripts/test-servers.sh, found through environment
// variables. A missing server FAILS the test: CI must never pass by skipping.

#include <gtest/gtest.h>

#include <unistd.h>
#include <atomic>
#include <cstdlib>
#include <filesystem>
#include <string>

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
  auto path = dir / ("t" + std::to_string(::getpid()) + "_" + std::to_string(counter++) + ".db");
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
inline std::int64_t query_int(Connection& c, const std::string& sql) {
  auto rows = c.query(Sql{sql, {}}, {Type::int64});
  if (rows.empty() || rows[0].empty() || rows[0][0].is_null()) return 0;
  return rows[0][0].as<std::int64_t>();
}

// For parameterised suites: test names say the engine.
struct EngineName {
  std::string operator()(const ::testing::TestParamInfo<Engine>& param_info) const {
    return engine_name(param_info.param);
  }
};

}  // namespace upsert::testing
