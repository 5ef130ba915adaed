// The engine-independent half of a connection: retries with backoff, transactions, DDL.

#include "upsert/connection.hpp"

#include <fmt/format.h>

#include <random>
#include <thread>

#include "upsert/error.hpp"

namespace upsert {

Connection::Connection(std::unique_ptr<Driver> driver) : driver_(std::move(driver)) {
  if (!driver_) throw Error(ErrorCategory::internal, "Connection needs a driver");
}
Connection::Connection(Connection&&) noexcept = default;
Connection& Connection::operator=(Connection&&) noexcept = default;
Connection::~Connection() = default;

Dialect Connection::dialect() const { return driver_->dialect(); }
std::string Connection::server_version() { return driver_->server_version(); }
bool Connection::in_transaction() const { return driver_->in_transaction(); }
void Connection::set_render_options(RenderOptions options) { render_options_ = options; }
void Connection::set_retry_policy(RetryPolicy policy) { retry_policy_ = policy; }
const ConnectionStats& Connection::stats() const { return stats_; }
Driver& Connection::driver() { return *driver_; }

namespace {

// Exponential backoff with full jitter: concurrent losers of one lock spread out instead of
// colliding again in step.
void back_off(const RetryPolicy& policy, int attempt) {
  thread_local std::minstd_rand random(std::random_device{}());
  auto ceiling = policy.first_backoff.count() << std::min(attempt - 1, 20);
  ceiling = std::min<std::int64_t>(ceiling, policy.max_backoff.count());
  if (ceiling <= 0) return;
  std::uniform_int_distribution<std::int64_t> pick(ceiling / 2, ceiling);
  std::this_thread::sleep_for(std::chrono::milliseconds(pick(random)));
}

}  // namespace

template <class F>
auto Connection::with_retry(F&& attempt) -> decltype(attempt()) {
  // Inside a caller's transaction a failed statement has aborted (or may have aborted) the whole
  // transaction, so only the caller can retry: surface the error.
  const bool may_retry = !driver_->in_transaction();
  for (int n = 1;; ++n) {
    try {
      ++stats_.statements;
      return attempt();
    } catch (const Error& e) {
      const bool last = n >= retry_policy_.max_attempts;
      if (e.category() == ErrorCategory::retryable && may_retry && !last) {
        ++stats_.retries;
        back_off(retry_policy_, n);
        continue;
      }
      if (e.category() == ErrorCategory::connection && may_retry && !last) {
        // Not sent, so not applied: re-open and try again (a restarting server takes a moment).
        ++stats_.retries;
        back_off(retry_policy_, n);
        try {
          driver_->reconnect();
          ++stats_.reconnects;
        } catch (const Error&) {
          // Counted as this attempt; the next attempt reconnects again.
        }
        continue;
      }
      throw;
    }
  }
}

ExecResult Connection::execute(const Upsert& statement) {
  return with_retry([&] { return driver_->execute(statement, render_options_); });
}

ExecResult Connection::execute_sql(const Sql& sql, const std::vector<Type>& result_types) {
  return with_retry([&] { return driver_->execute_sql(sql, result_types); });
}

std::vector<Row> Connection::query(const Sql& sql, const std::vector<Type>& result_types) {
  return execute_sql(sql, result_types).rows;
}

void Connection::execute_script(std::string_view sql) {
  with_retry([&] { driver_->execute_script(sql); });
}

void Connection::create_table(const Table& table) {
  for (const auto& statement : create_table_sql(table, dialect())) execute_script(statement);
}

void Connection::begin(bool for_write) { driver_->begin(for_write); }
void Connection::commit() { driver_->commit(); }
void Connection::rollback() { driver_->rollback(); }

void Connection::transaction(const std::function<void(Connection&)>& work) {
  for (int n = 1;; ++n) {
    try {
      driver_->begin(true);
      work(*this);
      driver_->commit();
      return;
    } catch (const Error& e) {
      if (driver_->in_transaction()) driver_->rollback();
      const bool last = n >= retry_policy_.max_attempts;
      if (e.category() == ErrorCategory::retryable && !last) {
        ++stats_.retries;
        back_off(retry_policy_, n);
        continue;
      }
      if (e.category() == ErrorCategory::connection && !last) {
        ++stats_.retries;
        back_off(retry_policy_, n);
        try {
          driver_->reconnect();
          ++stats_.reconnects;
        } catch (const Error&) {
        }
        continue;
      }
      throw;
    }
  }
}

}  // namespace upsert
