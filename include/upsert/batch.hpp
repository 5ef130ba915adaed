#pragma once
/// Batches: many rows in as few statements as the engine allows, with the meaning of applying
/// the rows one by one. Rows with equal keys are merged, rows are sorted by key (so overlapping
/// batches lock rows in the same order and cannot deadlock), and the rows are split by the
/// engine's parameter limit and a row cap.

#include <cstddef>
#include <optional>
#include <vector>

#include "upsert/aggregate.hpp"
#include "upsert/export.hpp"
#include "upsert/statement.hpp"

namespace upsert {

/// How a batch is cut and run.
struct BatchOptions {
  std::size_t max_rows_per_statement = 1000;  ///< row cap per statement (the parameter limit also applies)
  bool one_transaction = false;               ///< run every statement of the batch in one transaction
  /// Autocommit statements whose key range overlaps another connection's batch statement on the
  /// same table in this process wait for it in the client (src/batch/turns.hpp says why).
  bool take_turns = true;
};

/// How each insert column of a statement combines when two rows share a key, if they can.
/// nullopt for a column means "keep the first row's value" (the column is not updated).
using MergeRules = std::vector<std::optional<Aggregate>>;

/// The merge rules of a statement, or nullopt when two rows with one key cannot be folded into
/// one (a WHERE condition, or an assignment that is not sum/max/min/last of its own column):
/// such rows then go in successive rounds.
UPSERT_EXPORT std::optional<MergeRules> merge_rules(const Upsert& statement);

/// A batch cut into statements.
struct BatchPlan {
  std::vector<Upsert> statements;            ///< in execution order; rows sorted by key within each
  std::vector<std::size_t> input_round;      ///< per input row: the round that carries it (0 unless rounds)
  std::vector<std::size_t> statement_round;  ///< per statement: its round
  std::size_t merged_rows = 0;               ///< rows left after merging equal keys
  std::size_t rounds = 1;                    ///< 1, or more when equal keys could not be merged
};

/// Plans a batch: merges equal keys (or splits them into rounds), sorts by key and splits into
/// statements of at most `max_parameters` bound values and `options.max_rows_per_statement` rows.
UPSERT_EXPORT BatchPlan plan_batch(const Upsert& statement, std::size_t max_parameters,
                                   const BatchOptions& options = {});

/// What a batch did.
struct BatchResult {
  std::int64_t affected_rows = 0;  ///< summed over statements, as the engine counts
  std::size_t statements = 0;      ///< statements executed
  std::size_t merged_rows = 0;     ///< rows sent after merging
  /// With RETURNING: per input row, the returned row of the merged row that carried it (the
  /// returning columns, then the inserted flag when asked); empty when a conflict skipped it.
  std::vector<Row> rows;
};

}  // namespace upsert
