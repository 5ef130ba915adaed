#pragma once
// The batch stage: one many-row upsert cut into statements that mean the same as applying the
// rows one by one. Rows with equal keys are merged (or put in successive rounds), rows are sorted
// by key, and statements are cut by a parameter limit and a row cap. No I/O and no dialect: the
// only engine fact it takes is a number. The session runs the plan (Connection::execute_batch).

#include <cstddef>
#include <optional>
#include <vector>

#include "upsert/batch.hpp"
#include "upsert/statement.hpp"

namespace upsert::detail {

// How each insert column of a statement combines when two rows share a key, if they can.
// nullopt for a column means "keep the first row's value" (the column is not updated).
using MergeRules = std::vector<std::optional<Aggregate>>;

// The merge rules of a statement, or nullopt when two rows with one key cannot be folded into
// one (a WHERE condition, or an assignment that is not an aggregate of its own column): such rows
// then go in successive rounds.
std::optional<MergeRules> merge_rules(const Upsert& statement);

// A batch cut into statements.
struct BatchPlan {
  std::vector<Upsert> statements;            // in execution order; rows sorted by key within each
  std::vector<std::size_t> input_round;      // per input row: the round that carries it (0 unless rounds)
  std::vector<std::size_t> statement_round;  // per statement: its round
  std::size_t merged_rows = 0;               // rows left after merging equal keys
  std::size_t rounds = 1;                    // 1, or more when equal keys could not be merged
};

// How the rows after the full statements are cut. Where an engine's batch SQL names every row
// (multi-row VALUES), each row count is a statement of its own to prepare and keep: batches of
// varying sizes then prepared a new statement nearly every time (SQLite: sqlite3_prepare_v3 22% of
// a batch's CPU, 1,000 events on 4,800 keys), so the rows left go in a multiple of size_granule
// rows and the few below it: a handful of sizes repeat. Column-array forms take `exact`.
enum class ChunkSizes { exact, repeating };
constexpr std::size_t size_granule = 64;

// The rows of the next statement when `rows_left` rows are left to cut.
std::size_t chunk_rows_at(std::size_t rows_left, std::size_t per_statement, ChunkSizes sizes);

// Plans a batch: merges equal keys (or splits them into rounds), sorts by key and splits into
// statements of at most `max_parameters` bound values and `options.max_rows_per_statement` rows.
BatchPlan plan_batch(const Upsert& statement, std::size_t max_parameters, const BatchOptions& options = {},
                     ChunkSizes sizes = ChunkSizes::exact);

}  // namespace upsert::detail
