#pragma once
// The library's own access to an upsert's rows: the batch stage cuts a statement into statements
// with fewer rows, strategies run one row at a time, and the writer hands over rows it has
// checked already.

#include <utility>
#include <vector>

#include "upsert/statement.hpp"

namespace upsert::detail {

struct StatementRows {
  // The rows, to replace or reorder in place. Whoever changes them keeps them checked only with
  // rows taken from checked rows (a subset, or rows merged by the statement's aggregates).
  static std::vector<Row>& rows(Upsert& statement) { return statement.rows_; }

  // Replaces the rows with rows already checked against this statement's insert columns and
  // conflict key (validate_value, NULL keys refused), so rendering does not check them again.
  static void set_checked_rows(Upsert& statement, std::vector<Row> rows) {
    statement.rows_ = std::move(rows);
    statement.rows_checked_ = true;
  }

  // True when every row was checked already.
  static bool rows_checked(const Upsert& statement) { return statement.rows_checked_; }
};

}  // namespace upsert::detail
