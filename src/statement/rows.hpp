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

  // A copy of `statement` with no rows: what a batch's chunks start from, without copying every
  // input row only to drop it. Copies every member of Upsert but rows_.
  static Upsert without_rows(const Upsert& statement) {
    Upsert copy(statement.table_);
    copy.columns_ = statement.columns_;
    copy.rows_checked_ = statement.rows_checked_;
    copy.conflict_key_ = statement.conflict_key_;  // points into the same shared table
    copy.action_ = statement.action_;
    copy.assignments_ = statement.assignments_;
    copy.where_ = statement.where_;
    copy.returning_ = statement.returning_;
    copy.inserted_flag_ = statement.inserted_flag_;
    return copy;
  }

  // True when every row was checked already.
  static bool rows_checked(const Upsert& statement) { return statement.rows_checked_; }
};

}  // namespace upsert::detail
