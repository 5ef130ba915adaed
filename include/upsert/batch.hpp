#pragma once
/// Batches: many rows in as few statements as the engine allows, with the meaning of applying
/// the rows one by one. Rows with equal keys are merged, rows are sorted by key (so overlapping
/// batches lock rows in the same order and cannot deadlock), and the rows are split by the
/// engine's parameter limit and a row cap. Connection::execute_batch runs them.

#include <cstddef>
#include <cstdint>
#include <vector>

#include "upsert/value.hpp"

namespace upsert {

/// How a batch is cut and run.
struct BatchOptions {
  std::size_t max_rows_per_statement = 1000;  ///< row cap per statement (the parameter limit also applies)
  bool one_transaction = false;               ///< run every statement of the batch in one transaction
  /// Autocommit statements whose key range overlaps another connection's batch statement on the
  /// same table in this process wait for it in the client, where the engine would queue them on
  /// row locks more slowly (PostgreSQL; the other engines ignore it).
  bool take_turns = true;
  /// PostgreSQL: autocommit batch statements on the same table also take turns with other
  /// processes' (each takes a transaction-scoped advisory lock of the table in its own
  /// transaction), for processes that write overlapping keys, whose statements would otherwise
  /// queue on row locks. It makes every such statement on the table wait for the others, whether
  /// their keys overlap or not. The other engines ignore it.
  bool take_turns_across_processes = false;
};

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
