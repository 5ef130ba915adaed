// The engine-independent half of a connection: retries with backoff, transactions, DDL.

#include "upsert/connection.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <optional>
#include <random>
#include <thread>

#include "batch/turns.hpp"
#include "upsert/error.hpp"

namespace upsert {

Connection::Connection(std::unique_ptr<Driver> driver) : driver_(std::move(driver)) {
  if (!driver_) throw Error(ErrorCategory::internal, "Connection needs a driver");
}
Connection::Connection(Connection&&) noexcept = default;
Connection& Connection::operator=(Connection&&) noexcept = default;
Connection::~Connection() = default;

Dialect Connection::dialect() const {
  return driver_->dialect();
}
std::string Connection::server_version() {
  return driver_->server_version();
}
bool Connection::in_transaction() const {
  return driver_->in_transaction();
}
void Connection::set_render_options(RenderOptions options) {
  render_options_ = options;
}
void Connection::set_retry_policy(RetryPolicy policy) {
  retry_policy_ = policy;
}
const ConnectionStats& Connection::stats() const {
  return stats_;
}
Driver& Connection::driver() {
  return *driver_;
}

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

// The values of `row` at `positions` (a key out of a row).
Row columns_at(const Row& row, const std::vector<std::size_t>& positions) {
  Row out;
  out.reserve(positions.size());
  for (auto p : positions) out.push_back(row[p]);
  return out;
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
      if (!may_retry || !prepare_retry(e, n)) throw;
    }
  }
}

bool Connection::prepare_retry(const Error& e, int attempt) {
  if (attempt >= retry_policy_.max_attempts) return false;
  if (e.category() != ErrorCategory::retryable && e.category() != ErrorCategory::connection) return false;
  ++stats_.retries;
  back_off(retry_policy_, attempt);
  if (e.category() == ErrorCategory::connection) {
    // Not sent, so not applied: re-open and try again (a restarting server takes a moment).
    try {
      driver_->reconnect();
      ++stats_.reconnects;
    } catch (const Error&) {
      // Counted as this attempt; the next attempt reconnects again.
    }
  }
  return true;
}

ExecResult Connection::execute(const Upsert& statement) {
  return with_retry([&] { return driver_->execute(statement, render_options_); });
}

BatchResult Connection::execute_batch(const Upsert& statement, const BatchOptions& options) {
  BatchPlan plan = plan_batch(statement, driver_->max_batch_parameters(), options);
  BatchResult result;
  result.merged_rows = plan.merged_rows;

  // RETURNING rows come back in the engine's order; the key columns, added where the caller did
  // not ask for them, map each returned row to the input rows that share its key.
  const auto& key = statement.conflict_key().columns;
  std::vector<std::string> returning = statement.returning_columns();
  std::vector<std::size_t> key_in_returned;
  if (statement.has_returning()) {
    for (const auto& k : key) {
      auto it = std::find(returning.begin(), returning.end(), k);
      if (it == returning.end()) it = returning.insert(returning.end(), k);
      key_in_returned.push_back(static_cast<std::size_t>(it - returning.begin()));
    }
    for (auto& s : plan.statements) s.returning(returning);
  }
  std::map<std::pair<std::size_t, Row>, Row> returned;  // (round, key) -> returned row

  const auto key_positions = statement.key_positions();
  const std::string driver_scope = options.take_turns ? driver_->scope() : std::string();
  const std::string turn_scope = driver_scope.empty() ? "" : driver_scope + '\n' + statement.table().name();
  auto run = [&](Upsert& s, std::size_t round) {
    ExecResult r;
    if (driver_->in_transaction()) {
      r = driver_->execute_many(s, render_options_);
    } else {
      std::optional<detail::KeyRangeTurn> turn;
      if (!turn_scope.empty() && !s.row_values().empty()) {
        // Rows are sorted by key: the first and the last bound the statement's key range.
        turn.emplace(turn_scope, columns_at(s.row_values().front(), key_positions),
                     columns_at(s.row_values().back(), key_positions));
      }
      r = with_retry([&] { return driver_->execute_many(s, render_options_); });
    }
    result.affected_rows += r.affected_rows;
    ++result.statements;
    for (auto& row : r.rows) {
      Row k = columns_at(row, key_in_returned);
      returned[{round, std::move(k)}] = std::move(row);
    }
  };
  if (options.one_transaction && !driver_->in_transaction()) {
    transaction([&](Connection&) {
      result.affected_rows = 0;
      result.statements = 0;
      returned.clear();
      for (std::size_t i = 0; i < plan.statements.size(); ++i) run(plan.statements[i], plan.statement_round[i]);
    });
  } else {
    for (std::size_t i = 0; i < plan.statements.size(); ++i) run(plan.statements[i], plan.statement_round[i]);
  }

  if (statement.has_returning()) {
    const std::size_t asked = statement.returning_columns().size();
    result.rows.resize(statement.row_values().size());
    for (std::size_t i = 0; i < statement.row_values().size(); ++i) {
      auto it = returned.find({plan.input_round[i], columns_at(statement.row_values()[i], key_positions)});
      if (it == returned.end()) continue;
      // Keep the asked columns and the flag; drop the key columns added for the mapping.
      Row out(it->second.begin(), it->second.begin() + static_cast<std::ptrdiff_t>(asked));
      if (statement.returns_inserted_flag()) out.push_back(it->second.back());
      result.rows[i] = std::move(out);
    }
  }
  return result;
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

void Connection::begin(bool for_write) {
  driver_->begin(for_write);
}
void Connection::commit() {
  driver_->commit();
}
void Connection::rollback() {
  driver_->rollback();
}

void Connection::transaction(const std::function<void(Connection&)>& work) {
  for (int n = 1;; ++n) {
    try {
      driver_->begin(true);
      work(*this);
      driver_->commit();
      return;
    } catch (const Error& e) {
      if (driver_->in_transaction()) driver_->rollback();
      if (!prepare_retry(e, n)) throw;
    }
  }
}

}  // namespace upsert
