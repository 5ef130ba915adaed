// The batch stage: merge rows with equal keys, sort by key, split by parameter limits (see batch.hpp).

#include <fmt/format.h>

#include <algorithm>
#include <map>
#include <numeric>

#include "batch/batch.hpp"
#include "common/value_hash.hpp"
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

namespace {

// The input rows grouped by key: each distinct key once, with its rows in input order. A hash table
// finds the groups (each key hashed once), so only the distinct keys are sorted afterwards: a batch
// of 1,000 events on 48 hot keys sorts 48 rows, not 1,000 (the sort was half of the batch's CPU).
struct KeyGroups {
  static constexpr std::size_t none = static_cast<std::size_t>(-1);
  std::vector<std::size_t> first;  // per group: its first row
  std::vector<std::size_t> next;   // per row: the next row of its group, or none

  KeyGroups(const std::vector<Row>& input, const std::vector<std::size_t>& positions) : next(input.size(), none) {
    std::vector<std::size_t> last;    // per group: its last row so far
    std::vector<std::size_t> hashes;  // per group: its key's hash
    std::size_t capacity = 16;        // open addressing, at most half full
    while (capacity < 2 * input.size()) capacity *= 2;
    std::vector<std::size_t> slots(capacity, none);  // group index, or none
    for (std::size_t row = 0; row < input.size(); ++row) {
      const std::size_t hash = key_hash(input[row], positions);
      for (std::size_t slot = hash & (capacity - 1);; slot = (slot + 1) & (capacity - 1)) {
        const std::size_t group = slots[slot];
        if (group == none) {
          slots[slot] = first.size();
          first.push_back(row);
          last.push_back(row);
          hashes.push_back(hash);
          break;
        }
        if (hashes[group] == hash && same_key(input[first[group]], input[row], positions)) {
          next[last[group]] = row;
          last[group] = row;
          break;
        }
      }
    }
  }

  static bool same_key(const Row& a, const Row& b, const std::vector<std::size_t>& positions) {
    for (auto p : positions) {
      if (!(a[p] == b[p])) return false;
    }
    return true;
  }
};

}  // namespace

std::size_t chunk_rows_at(std::size_t rows_left, std::size_t per_statement, ChunkSizes sizes) {
  if (rows_left >= per_statement) return per_statement;
  if (sizes == ChunkSizes::exact || rows_left < size_granule) return rows_left;
  return rows_left - rows_left % size_granule;
}

BatchPlan plan_batch(const Upsert& statement, std::size_t max_parameters, const BatchOptions& options,
                     ChunkSizes sizes) {
  BatchPlan plan;
  const auto& input = statement.row_values();
  const auto positions = statement.key_positions();
  const KeyLess key_less{positions};
  plan.input_round.assign(input.size(), 0);

  // Group input rows by key, remembering input order within each key; then the keys in key order.
  const KeyGroups groups(input, positions);
  std::vector<std::size_t> sorted(groups.first);
  std::sort(sorted.begin(), sorted.end(), [&](std::size_t a, std::size_t b) { return key_less(input[a], input[b]); });

  const auto rules = merge_rules(statement);
  // The merged columns and their aggregates, so merging a row visits only those.
  std::vector<std::pair<std::size_t, Aggregate>> merged_columns;
  if (rules) {
    for (std::size_t c = 0; c < rules->size(); ++c) {
      if ((*rules)[c]) merged_columns.emplace_back(c, *(*rules)[c]);
    }
  }
  std::vector<std::vector<Row>> rounds(1);
  rounds[0].reserve(sorted.size());
  for (const std::size_t head : sorted) {
    // Rows head, next[head], ... share one key, in input order.
    if (rules) {
      Row merged = input[head];
      for (std::size_t r = groups.next[head]; r != KeyGroups::none; r = groups.next[r]) {
        const Row& later = input[r];
        for (const auto& [c, aggregate] : merged_columns) combine_into(aggregate, merged[c], later[c]);
      }
      rounds[0].push_back(std::move(merged));
    } else {
      std::size_t round = 0;
      for (std::size_t r = head; r != KeyGroups::none; r = groups.next[r], ++round) {
        if (rounds.size() <= round) rounds.resize(round + 1);
        rounds[round].push_back(input[r]);
        plan.input_round[r] = round;
      }
    }
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
    for (std::size_t start = 0, end = 0; start < rows.size(); start = end) {
      Upsert chunk = without_rows;
      auto& chunk_rows = StatementRows::rows(chunk);
      end = start + chunk_rows_at(rows.size() - start, per_statement, sizes);
      chunk_rows.assign(std::make_move_iterator(rows.begin() + static_cast<std::ptrdiff_t>(start)),
                        std::make_move_iterator(rows.begin() + static_cast<std::ptrdiff_t>(end)));
      plan.statements.push_back(std::move(chunk));
      plan.statement_round.push_back(round);
    }
  }
  return plan;
}

}  // namespace upsert::detail
