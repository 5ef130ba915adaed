// The batch stage: merge rows with equal keys, sort by key, split by parameter limits (see batch.hpp).

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <numeric>

#include "batch/batch.hpp"
#include "statement/aggregate.hpp"
#include "statement/rows.hpp"
#include "upsert/error.hpp"

namespace upsert::detail {

namespace {

// Lexicographic order of two rows on the key positions.
struct KeyLess {
  const std::vector<std::size_t>& positions;
  bool operator()(const Row& a, const Row& b) const {
    for (auto p : positions) {
      auto c = a[p] <=> b[p];
      if (c != 0) return c < 0;
    }
    return false;
  }
};

}  // namespace

std::optional<MergeRules> merge_rules(const Upsert& statement) {
  const auto& columns = statement.insert_columns();
  MergeRules rules(columns.size());
  if (statement.action() == ConflictAction::do_nothing) return rules;  // later rows change nothing
  if (statement.update_where()) return std::nullopt;
  for (const auto& a : statement.assignments()) {
    auto it = std::find(columns.begin(), columns.end(), a.column());
    if (!a.aggregate() || it == columns.end()) return std::nullopt;
    rules[static_cast<std::size_t>(it - columns.begin())] = a.aggregate();
  }
  return rules;
}

BatchPlan plan_batch(const Upsert& statement, std::size_t max_parameters, const BatchOptions& options) {
  BatchPlan plan;
  const auto& input = statement.row_values();
  const auto positions = statement.key_positions();
  const KeyLess key_less{positions};
  plan.input_round.assign(input.size(), 0);

  // Group input rows by key, remembering input order within each key.
  std::vector<std::size_t> order(input.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](std::size_t a, std::size_t b) { return key_less(input[a], input[b]); });

  const auto rules = merge_rules(statement);
  std::vector<std::vector<Row>> rounds(1);
  for (std::size_t i = 0; i < order.size();) {
    std::size_t j = i + 1;
    while (j < order.size() && !key_less(input[order[i]], input[order[j]])) ++j;
    // Rows order[i..j) share one key, in input order.
    if (rules) {
      Row merged = input[order[i]];
      for (std::size_t r = i + 1; r < j; ++r) {
        const Row& later = input[order[r]];
        for (std::size_t c = 0; c < merged.size(); ++c) {
          if ((*rules)[c]) merged[c] = combine(*(*rules)[c], merged[c], later[c]);
        }
      }
      rounds[0].push_back(std::move(merged));
    } else {
      for (std::size_t r = i; r < j; ++r) {
        const std::size_t round = r - i;
        if (rounds.size() <= round) rounds.resize(round + 1);
        rounds[round].push_back(input[order[r]]);
        plan.input_round[order[r]] = round;
      }
    }
    i = j;
  }

  const std::size_t width = std::max<std::size_t>(1, statement.insert_columns().size());
  const std::size_t by_parameters = std::max<std::size_t>(1, max_parameters / width);
  const std::size_t per_statement = std::max<std::size_t>(1, std::min(options.max_rows_per_statement, by_parameters));
  plan.rounds = rounds.size();
  // One copy of the statement without its rows serves as the template of every chunk.
  const Upsert without_rows = StatementRows::without_rows(statement);
  for (std::size_t round = 0; round < rounds.size(); ++round) {
    auto& rows = rounds[round];
    plan.merged_rows += rows.size();
    for (std::size_t start = 0; start < rows.size(); start += per_statement) {
      Upsert chunk = without_rows;
      auto& chunk_rows = StatementRows::rows(chunk);
      const std::size_t end = std::min(rows.size(), start + per_statement);
      chunk_rows.assign(std::make_move_iterator(rows.begin() + static_cast<std::ptrdiff_t>(start)),
                        std::make_move_iterator(rows.begin() + static_cast<std::ptrdiff_t>(end)));
      plan.statements.push_back(std::move(chunk));
      plan.statement_round.push_back(round);
    }
  }
  return plan;
}

}  // namespace upsert::detail
