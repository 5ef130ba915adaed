// Prepared upserts: a shape rendered once per connection, then run with one row's values a call.
//
// The shape is rendered with a sample row whose values are all different, and the parameters that
// come back tell where a row's values go: every dialect binds them first, in insert-column order,
// then the constants of the update. A call then checks its values (validate_value, as rendering
// would), puts them in place and sends the kept SQL through the driver, whose statement cache
// holds it prepared. Shapes whose strategy does more than render and run (SQLite's inserted flag,
// MySQL's per-row outcomes) run through Connection::execute instead, with the same results.

#include <fmt/format.h>

#include <algorithm>

#include "session/session.hpp"
#include "session/strategies/strategy.hpp"
#include "statement/rows.hpp"
#include "statement/shape.hpp"
#include "statement/validate.hpp"
#include "upsert/connection.hpp"
#include "upsert/error.hpp"

namespace upsert {

namespace {

// A value of `type` that differs from every other sample of the row (index `i`).
Value sample_value(Type type, std::size_t i) {
  const auto n = static_cast<std::int64_t>(i);
  switch (type) {
    case Type::int64: return Value(1000 + n);
    case Type::float64: return Value(static_cast<double>(n) + 0.5);
    case Type::text: return Value("sample" + std::to_string(i));
    case Type::boolean: return Value(i % 2 == 0);
    case Type::date: return Value(Date::from_days_since_epoch(n));
    case Type::timestamp: return Value(Timestamp{n});
    case Type::bytes: return Value(Bytes{{static_cast<std::uint8_t>(i)}});
  }
  return Value();
}

}  // namespace

struct PreparedUpsert::State {
  explicit State(Upsert without_rows) : shape(std::move(without_rows)) {}
  Connection::Impl* connection = nullptr;
  Upsert shape;                    // without rows
  std::string sql;                 // one row's upsert, as rendered
  std::vector<Value> params;       // a row's values, then the update's constants
  std::vector<Type> result_types;  // RETURNING
  std::vector<const Column*> columns;
  std::vector<bool> in_key;
  bool key_nulls_conflict = false;
  bool direct = false;  // false: each call runs through Connection::execute
};

PreparedUpsert::PreparedUpsert(std::unique_ptr<State> state) : state_(std::move(state)) {}
PreparedUpsert::PreparedUpsert(PreparedUpsert&&) noexcept = default;
PreparedUpsert& PreparedUpsert::operator=(PreparedUpsert&&) noexcept = default;
PreparedUpsert::~PreparedUpsert() = default;

std::size_t PreparedUpsert::width() const {
  return state_->columns.size();
}

const std::string& PreparedUpsert::sql() const {
  return state_->sql;
}

PreparedUpsert Connection::prepare(const Upsert& shape) {
  auto state = std::make_unique<PreparedUpsert::State>(detail::StatementRows::without_rows(shape));
  state->connection = impl_.get();
  const Table& table = shape.table();
  const auto& names = state->shape.insert_columns();
  Row sample;
  for (std::size_t i = 0; i < names.size(); ++i) {
    state->columns.push_back(&table.column_named(names[i]));
    sample.push_back(sample_value(state->columns.back()->type, i));
  }
  state->in_key.assign(names.size(), false);
  Upsert with_sample = state->shape;
  with_sample.row(sample);
  for (auto p : with_sample.key_positions()) state->in_key[p] = true;
  const Dialect d = dialect();
  state->key_nulls_conflict = with_sample.conflict_key().nulls_not_distinct && d == Dialect::postgresql;
  // Rendering validates the shape: a bad shape fails here, not at its first call. A shape the
  // strategy runs otherwise is rendered as the strategy renders it first (without the flag).
  const bool as_rendered = impl_->strategy->runs_as_rendered(with_sample, d);
  Upsert checked = with_sample;
  if (!as_rendered) checked.returning_inserted_flag(false);
  const Sql rendered = render(checked, d, impl_->render_options);
  state->sql = rendered.text;
  state->params = rendered.params;
  state->result_types = detail::returning_types(with_sample);
  state->direct = as_rendered && state->params.size() >= sample.size() &&
                  std::equal(sample.begin(), sample.end(), state->params.begin());
  impl_->check_table(table);
  return PreparedUpsert(std::move(state));
}

bool PreparedUpsert::has_shape(const Upsert& statement) const {
  return detail::same_shape(state_->shape, statement);
}

bool PreparedUpsert::sends_kept_sql() const {
  return state_->direct;
}

ExecResult PreparedUpsert::execute(std::span<const Value> values) {
  return run(values, 0);
}

ExecResult PreparedUpsert::run(std::span<const Value> values, std::size_t row) {
  State& s = *state_;
  if (values.size() != s.columns.size()) {
    throw Error(ErrorCategory::invalid_argument,
                fmt::format("a prepared upsert into \"{}\" takes {} values (one per insert column), got {}: pass "
                            "them in the order of the statement's columns",
                            s.shape.table().name(), s.columns.size(), values.size()));
  }
  for (std::size_t i = 0; i < values.size(); ++i) {
    detail::validate_value(*s.columns[i], values[i], s.in_key[i], s.key_nulls_conflict, row);
  }
  Connection::Impl& c = *s.connection;
  if (!s.direct) {
    Upsert full = s.shape;
    full.row(Row(values.begin(), values.end()));
    return c.with_retry([&] { return c.strategy->execute(*c.driver, full, c.render_options); });
  }
  // Without update constants the caller's values are the parameters as they are: nothing copied.
  std::span<const Value> params = values;
  if (s.params.size() > values.size()) {
    std::copy(values.begin(), values.end(), s.params.begin());
    params = s.params;
  }
  return c.with_retry([&] { return c.driver->run(s.sql, params, s.result_types); });
}

}  // namespace upsert
