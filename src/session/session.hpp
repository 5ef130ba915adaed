#pragma once
// The session layer's insides: what a Connection holds, and the library's own access to it.
// Connection (connection.cpp) runs statements with retries and transactions; execute_batch
// (batch_runner.cpp) runs a batch plan; both go through the strategy of the connection's engine
// (strategies/) to the driver (driver.hpp).

#include <memory>
#include <string>
#include <unordered_map>
#include <vector>

#include "session/driver.hpp"
#include "session/strategies/strategy.hpp"
#include "upsert/connection.hpp"

namespace upsert {

struct Connection::Impl {
  std::unique_ptr<detail::Driver> driver;
  std::unique_ptr<detail::UpsertStrategy> strategy;
  RenderOptions render_options;
  RetryPolicy retry_policy;
  ConnectionStats stats;
  std::vector<std::string> warnings;
  std::unordered_map<std::string, detail::TableCheck> checked_tables;  // by table name
  // The shapes execute() ran one-row upserts of, most recently used first (prepared.cpp).
  std::vector<PreparedUpsert> shapes;

  // What the strategy found about `table` when this connection first wrote to it (cached; its
  // warnings are added to `warnings` then).
  const detail::TableCheck& check_table(const Table& table);

  // Runs `attempt`, retrying it per the policy outside a transaction.
  template <class F>
  auto with_retry(F&& attempt) -> decltype(attempt()) {
    // Inside a caller's transaction a failed statement has aborted (or may have aborted) the
    // whole transaction, so only the caller can retry: surface the error.
    const bool may_retry = !driver->in_transaction();
    for (int n = 1;; ++n) {
      try {
        ++stats.statements;
        return attempt();
      } catch (const Error& e) {
        if (!may_retry || !prepare_retry(e, n)) throw;
      }
    }
  }

  // After failed attempt number `attempt`: true (having backed off, and re-opened a lost
  // connection) when the error is transient and attempts remain.
  bool prepare_retry(const Error& e, int attempt);
};

namespace detail {

// PostgreSQL's bigint advisory lock key for `name` (FNV-1a): DDL on a table, batch turns.
std::int64_t advisory_lock_key(const std::string& name);

// For the library itself (connect, tests): a Connection from a driver, and the driver behind one.
struct ConnectionAccess {
  // A connection over `driver`, with its engine's strategy.
  static Connection wrap(std::unique_ptr<Driver> driver);
  // The driver behind `connection`.
  static Driver& driver(Connection& connection) { return *connection.impl_->driver; }
  // The parameter limit `connection`'s batches are cut by.
  static std::size_t max_parameters(Connection& connection) {
    return connection.impl_->strategy->max_parameters(*connection.impl_->driver);
  }
};

}  // namespace detail

}  // namespace upsert
