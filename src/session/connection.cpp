// Connection: statements through the engine's strategy and driver, retried with backoff outside
// transactions; transactions; DDL; reconnect. Batches are in batch_runner.cpp.

#include "upsert/connection.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <mutex>
#include <optional>
#include <unordered_map>

#include "session/retry.hpp"
#include "session/session.hpp"
#include "upsert/error.hpp"

namespace upsert {

namespace detail {

std::int64_t advisory_lock_key(const std::string& name) {
  std::uint64_t hash = 14695981039346656037ull;
  for (char c : name) hash = (hash ^ static_cast<unsigned char>(c)) * 1099511628211ull;
  return static_cast<std::int64_t>(hash);
}

Connection ConnectionAccess::wrap(std::unique_ptr<Driver> driver) {
  if (!driver) throw Error(ErrorCategory::internal, "a connection needs a driver");
  auto impl = std::make_unique<Connection::Impl>();
  impl->strategy = strategy_for(driver->dialect());
  if (auto policy = driver->preferred_retry_policy()) impl->retry_policy = *policy;
  impl->driver = std::move(driver);
  return Connection(std::move(impl));
}

}  // namespace detail

Connection::Connection(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
Connection::Connection(Connection&&) noexcept = default;
Connection& Connection::operator=(Connection&&) noexcept = default;
Connection::~Connection() = default;

Dialect Connection::dialect() const {
  return impl_->driver->dialect();
}
std::string Connection::server_version() {
  return impl_->driver->server_version();
}
bool Connection::in_transaction() const {
  return impl_->driver->in_transaction();
}
void Connection::set_render_options(RenderOptions options) {
  impl_->render_options = options;
  impl_->shapes.clear();  // rendered with the old options
}
void Connection::set_retry_policy(RetryPolicy policy) {
  impl_->retry_policy = policy;
}
const RenderOptions& Connection::render_options() const {
  return impl_->render_options;
}
const ConnectionStats& Connection::stats() const {
  return impl_->stats;
}

bool Connection::Impl::prepare_retry(const Error& e, int attempt) {
  if (attempt >= retry_policy.max_attempts) return false;
  if (e.category() != ErrorCategory::retryable && e.category() != ErrorCategory::connection) return false;
  ++stats.retries;
  detail::back_off(retry_policy.first_backoff, retry_policy.max_backoff, attempt);
  if (e.category() == ErrorCategory::connection) {
    // Not sent, so not applied: re-open and try again (a restarting server takes a moment).
    try {
      driver->reconnect();
      ++stats.reconnects;
    } catch (const Error&) {
      // Counted as this attempt; the next attempt reconnects again.
    }
  }
  return true;
}

namespace {

// Checks already made in this process, by database and table: connections made per call (the
// Django front makes one per upsert) read the catalog once, not once each.
struct TableChecks {
  std::mutex mutex;
  std::unordered_map<std::string, detail::TableCheck> by_table;
};

TableChecks& process_table_checks() {
  static TableChecks checks;
  return checks;
}

}  // namespace

const detail::TableCheck& Connection::Impl::check_table(const Table& table) {
  auto found = checked_tables.find(table.name());
  if (found != checked_tables.end()) return found->second;
  const std::string id = driver->database() + '\n' + table.name();
  TableChecks& process = process_table_checks();
  std::optional<detail::TableCheck> check;
  {
    std::lock_guard lock(process.mutex);
    if (auto it = process.by_table.find(id); it != process.by_table.end()) check = it->second;
  }
  if (!check) {
    // Advisory: a check that fails (a lost connection, a catalog the user may not read) is tried
    // again on the next write, and the write itself goes on to meet the error its own way.
    try {
      check = strategy->check_table(*driver, table);
    } catch (const Error&) {
      static const detail::TableCheck unknown;
      return unknown;
    }
    std::lock_guard lock(process.mutex);
    process.by_table.emplace(id, *check);
  }
  warnings.insert(warnings.end(), check->warnings.begin(), check->warnings.end());
  return checked_tables.emplace(table.name(), std::move(*check)).first->second;
}

const std::vector<std::string>& Connection::warnings() const {
  return impl_->warnings;
}

namespace {

// How many one-row shapes a connection keeps: an application repeats a few.
constexpr std::size_t kept_shapes = 8;

}  // namespace

ExecResult Connection::execute(const Upsert& statement) {
  // A one-row upsert of a shape run lately is sent with the shape's kept SQL: no rendering. A new
  // shape is prepared and kept; one that does not prepare goes the rendering way, which says why.
  const auto& rows = statement.row_values();
  if (rows.size() == 1 && rows[0].size() == statement.insert_columns().size()) {
    auto& shapes = impl_->shapes;
    auto found =
        std::find_if(shapes.begin(), shapes.end(), [&](const PreparedUpsert& p) { return p.has_shape(statement); });
    if (found == shapes.end()) {
      std::optional<PreparedUpsert> made;
      try {
        made = prepare(statement);
      } catch (const Error&) {
      }
      if (made) {
        if (shapes.size() == kept_shapes) shapes.pop_back();
        found = shapes.insert(shapes.begin(), std::move(*made));
      }
    } else if (found != shapes.begin()) {
      std::rotate(shapes.begin(), found, found + 1);
      found = shapes.begin();
    }
    if (found != shapes.end() && found->sends_kept_sql()) return found->run(rows[0], 1);
  }
  impl_->check_table(statement.table());
  return impl_->with_retry([&] { return impl_->strategy->execute(*impl_->driver, statement, impl_->render_options); });
}

ExecResult Connection::execute_sql(const Sql& sql, const std::vector<Type>& result_types) {
  return impl_->with_retry([&] { return impl_->driver->run(sql.text, sql.params, result_types); });
}

std::vector<Row> Connection::query(const Sql& sql, const std::vector<Type>& result_types) {
  return execute_sql(sql, result_types).rows;
}

void Connection::execute_script(std::string_view sql) {
  impl_->with_retry([&] { impl_->driver->run_script(sql); });
}

void Connection::create_table(const Table& table) {
  const std::vector<std::string> statements = create_table_sql(table, dialect());
  if (dialect() != Dialect::postgresql) {
    for (const auto& statement : statements) execute_script(statement);
    return;
  }
  // PostgreSQL's CREATE TABLE IF NOT EXISTS races with itself: two sessions both find no table
  // and the second fails inserting the table's row type (23505 on pg_type_typname_nsp_index, or
  // 42P07/42710). A transaction-scoped advisory lock on the table name makes concurrent creators
  // (processes or threads) take turns; the later ones then find the table and do nothing.
  const Sql lock{
      fmt::format("SELECT pg_advisory_xact_lock({})", detail::advisory_lock_key("upsert.create_table:" + table.name())),
      {}};
  auto create = [&](Connection& c) {
    c.execute_sql(lock);
    for (const auto& statement : statements) c.execute_script(statement);
  };
  if (in_transaction()) {
    create(*this);  // the caller's transaction holds the lock until it ends
  } else {
    transaction(create);
  }
}

void Connection::begin(bool for_write) {
  impl_->driver->begin(for_write);
}
void Connection::commit() {
  impl_->driver->commit();
}
void Connection::rollback() {
  impl_->driver->rollback();
}

void Connection::reconnect() {
  impl_->driver->reconnect();
}

void Connection::transaction(const std::function<void(Connection&)>& work) {
  detail::Driver& driver = *impl_->driver;
  for (int n = 1;; ++n) {
    try {
      driver.begin(true);
      work(*this);
      driver.commit();
      return;
    } catch (const Error& e) {
      if (driver.in_transaction()) driver.rollback();
      if (!impl_->prepare_retry(e, n)) throw;
    }
  }
}

}  // namespace upsert
