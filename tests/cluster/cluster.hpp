#pragma once
// What the cluster tests share: the URLs of the Galera nodes and of the Spider set (written by
// scripts/cluster-servers.sh), its commands (kill or restart a node), and reading a node's status.
// A missing cluster FAILS the test: CI must never pass by skipping.

#include <gtest/gtest.h>

#include <cstdlib>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "support/engines.hpp"
#include "upsert/upsert.hpp"

namespace upsert::testing {

// The comma-separated list in `variable`, which scripts/cluster-servers.sh exports.
inline std::vector<std::string> url_list(const char* variable) {
  const char* value = std::getenv(variable);
  if (value == nullptr || *value == '\0') {
    throw std::runtime_error(std::string(variable) +
                             " is not set: run the tests through scripts/test.sh, which starts the Galera cluster "
                             "and the Spider set (scripts/cluster-servers.sh start, then source the env.sh it writes)");
  }
  std::vector<std::string> urls;
  std::stringstream in(value);
  for (std::string url; std::getline(in, url, ',');) urls.push_back(url);
  return urls;
}

// One URL per Galera node.
inline std::vector<std::string> galera_urls() {
  return url_list("UPSERT_TEST_GALERA_URLS");
}

// The Spider front.
inline std::string spider_url() {
  return url_list("UPSERT_TEST_SPIDER_URL").at(0);
}

// One URL per Spider backend.
inline std::vector<std::string> spider_backend_urls() {
  return url_list("UPSERT_TEST_SPIDER_BACKEND_URLS");
}

// Runs `scripts/cluster-servers.sh <command>` on the cluster under test; throws when it fails.
inline void cluster_command(const std::string& command) {
  std::string line = "bash '" UPSERT_SOURCE_DIR "/scripts/cluster-servers.sh' " + command;
  if (const char* dir = std::getenv("UPSERT_TEST_CLUSTER_DIR"); dir != nullptr && *dir != '\0') {
    line += std::string(" '") + dir + "'";
  }
  line += " >&2";
  if (std::system(line.c_str()) != 0) throw std::runtime_error("failed: " + line);
}

// A global status counter of the server behind `c` (e.g. wsrep_local_cert_failures).
inline std::int64_t global_status(Connection& c, const std::string& name) {
  auto rows =
      c.query(Sql{"SELECT VARIABLE_VALUE FROM information_schema.GLOBAL_STATUS WHERE VARIABLE_NAME = ?", {Value(name)}},
              {Type::int64});
  return rows.empty() ? 0 : rows[0][0].as<std::int64_t>();
}

// The sum over every Galera node of the conflicts Galera resolved by aborting a transaction: local
// certification failures and brute-force aborts.
inline std::int64_t galera_aborts() {
  std::int64_t total = 0;
  for (const auto& url : galera_urls()) {
    Connection c = connect(url);
    total += global_status(c, "WSREP_LOCAL_CERT_FAILURES") + global_status(c, "WSREP_LOCAL_BF_ABORTS");
  }
  return total;
}

}  // namespace upsert::testing
