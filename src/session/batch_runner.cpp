// Connection::execute_batch: plans the batch (src/batch/), runs each statement through the
// engine's strategy in its batch form (retried alone, or the whole batch in one transaction),
// takes batch turns where the strategy wants them, and maps RETURNING rows back to input rows.

#include <algorithm>
#include <map>
#include <optional>
#include <span>

#include "batch/batch.hpp"
#include "session/session.hpp"
#include "session/turns.hpp"
#include "upsert/connection.hpp"

namespace upsert {

namespace {

// The values of `row` at `positions` (a key out of a row).
Row columns_at(const Row& row, const std::vector<std::size_t>& positions) {
  Row out;
  out.reserve(positions.size());
  for (auto p : positions) out.push_back(row[p]);
  return out;
}

}  // namespace

BatchResult Connection::execute_batch(const Upsert& statement, const BatchOptions& options) {
  Impl& impl = *impl_;
  detail::Driver& driver = *impl.driver;
  BatchOptions plan_options = options;
  if (impl.check_table(statement.table()).one_row_per_batch_statement) plan_options.max_rows_per_statement = 1;
  std::size_t parameter_limit = impl.strategy->max_parameters(driver);
  // A profile's engine gets multi-row VALUES statements, bound by the protocol's parameter count.
  if (impl.render_options.profile != Profile::none) {
    parameter_limit = std::min(parameter_limit, max_parameters(driver.dialect()));
  }
  detail::BatchPlan plan = detail::plan_batch(statement, parameter_limit, plan_options,
                                              impl.strategy->batch_chunk_sizes(driver, impl.render_options));
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
  const std::string turn_scope = options.take_turns && impl.strategy->batch_turns()
                                     ? driver.database() + '\n' + statement.table().name()
                                     : std::string();
  // Turns across processes: a transaction-scoped advisory lock per table (PostgreSQL), taken by
  // each autocommit statement with it, in its transaction.
  std::optional<std::int64_t> turn_lock;
  if (options.take_turns_across_processes && impl.strategy->batch_turns()) {
    turn_lock = detail::advisory_lock_key("upsert.batch_turn:" + statement.table().name());
  }
  auto run = [&](Upsert& s, std::size_t round) {
    ExecResult r;
    if (driver.in_transaction()) {
      r = impl.strategy->execute_batch_statement(driver, s, impl.render_options);
    } else {
      std::optional<detail::KeyRangeTurn> turn;
      if (!turn_scope.empty() && !s.row_values().empty()) {
        // Rows are sorted by key: the first and the last bound the statement's key range.
        turn.emplace(turn_scope, columns_at(s.row_values().front(), key_positions),
                     columns_at(s.row_values().back(), key_positions));
      }
      r = impl.with_retry([&] { return impl.strategy->execute_batch_statement(driver, s, impl.render_options); });
    }
    result.affected_rows += r.affected_rows;
    ++result.statements;
    for (auto& row : r.rows) {
      Row k = columns_at(row, key_in_returned);
      returned[{round, std::move(k)}] = std::move(row);
    }
  };
  // The statements [first, last) of one round, whose keys are disjoint, sent together where the
  // strategy can (PostgreSQL's pipeline mode). Outside a transaction a statement that did not go
  // through there (not sent, or failed and rolled back) runs again on its own, retried as usual,
  // and only one whose outcome is unknown (the connection was lost after sending it) ends the
  // batch. Inside one, the first error ends it, as it would one statement at a time.
  auto run_together = [&](std::size_t first, std::size_t last) {
    const bool in_transaction = driver.in_transaction();
    std::optional<std::vector<detail::PipelinedOutcome>> outcomes;
    try {
      std::optional<detail::KeyRangeTurn> turn;
      if (!turn_scope.empty() && !in_transaction) {
        turn.emplace(turn_scope, columns_at(plan.statements[first].row_values().front(), key_positions),
                     columns_at(plan.statements[last - 1].row_values().back(), key_positions));
      }
      const std::span<const Upsert> statements(plan.statements.data() + first, last - first);
      outcomes = impl.strategy->execute_batch_statements_together(driver, statements, impl.render_options, turn_lock);
    } catch (const Error& e) {
      // Nothing was sent: one by one, a lost connection is retried (outside a transaction).
      if (in_transaction || e.category() != ErrorCategory::connection) throw;
    }
    for (std::size_t i = first; i < last; ++i) {
      detail::PipelinedOutcome* outcome = outcomes ? &(*outcomes)[i - first] : nullptr;
      if (outcome != nullptr && outcome->result) {
        if (!in_transaction) ++impl.stats.statements;  // counted as with_retry counts them
        ++result.statements;
        result.affected_rows += outcome->result->affected_rows;
      } else if (outcome != nullptr && outcome->error &&
                 (in_transaction || outcome->error->category() == ErrorCategory::outcome_unknown)) {
        throw *outcome->error;
      } else {
        run(plan.statements[i], plan.statement_round[i]);
      }
    }
  };
  auto run_all = [&] {
    for (std::size_t i = 0; i < plan.statements.size();) {
      std::size_t last = i + 1;
      while (last < plan.statements.size() && plan.statement_round[last] == plan.statement_round[i]) ++last;
      if (last - i >= 2 || (turn_lock && !driver.in_transaction())) {
        run_together(i, last);
      } else {
        for (std::size_t k = i; k < last; ++k) run(plan.statements[k], plan.statement_round[k]);
      }
      i = last;
    }
  };
  if (options.one_transaction && !driver.in_transaction()) {
    transaction([&](Connection&) {
      result.affected_rows = 0;
      result.statements = 0;
      returned.clear();
      run_all();
    });
  } else {
    run_all();
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

}  // namespace upsert
