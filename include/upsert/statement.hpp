#pragma once
/// The upsert statement as data: rows, conflict target, action (with its assignments and the
/// aggregates they compute) and RETURNING.

#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "upsert/export.hpp"
#include "upsert/expr.hpp"
#include "upsert/schema.hpp"
#include "upsert/value.hpp"

namespace upsert {

namespace detail {
struct StatementRows;
}  // namespace detail

/// How a column's proposed value combines with the existing one.
enum class Aggregate {
  sum,   ///< existing + proposed (a counter)
  max,   ///< the larger, NULLs ignored
  min,   ///< the smaller, NULLs ignored
  last,  ///< the proposed value replaces the existing one
};

/// "sum", "max", "min", "last".
UPSERT_EXPORT std::string_view aggregate_name(Aggregate aggregate);

/// `column = value` in DO UPDATE SET, and the aggregate it computes when it is one: batches merge
/// rows with equal keys by their assignments' aggregates.
class UPSERT_EXPORT Assignment {
 public:
  /// `column = value`, over col(...) (the existing row) and proposed(...) (the new row). A value of
  /// an aggregate's shape over its own column (col(c) + proposed(c), greatest({col(c), proposed(c)}),
  /// least(...), proposed(c)) is that aggregate.
  Assignment(std::string column, Expr value);
  /// `column` combined by `aggregate`: col(c) + proposed(c), greatest({col(c), proposed(c)}),
  /// least({col(c), proposed(c)}) or proposed(c).
  Assignment(std::string column, Aggregate aggregate);

  /// The column to set.
  const std::string& column() const { return column_; }
  /// The new value.
  const Expr& value() const { return value_; }
  /// The aggregate the assignment computes, or nullopt for any other expression.
  const std::optional<Aggregate>& aggregate() const { return aggregate_; }

 private:
  std::string column_;
  Expr value_;
  std::optional<Aggregate> aggregate_;
};

/// One aggregated column.
struct AggregateColumn {
  std::string column;   ///< the column
  Aggregate aggregate;  ///< how values combine
};

/// The DO UPDATE assignments for aggregated columns, e.g. `c = c + proposed(c)` for a sum and
/// `c = GREATEST(c, proposed(c))` for a max.
UPSERT_EXPORT std::vector<Assignment> aggregate_assignments(const std::vector<AggregateColumn>& columns);

/// Assignments that add the proposed value to the existing one for each column:
/// `c = c + proposed(c)`, the counter update.
UPSERT_EXPORT std::vector<Assignment> add_proposed(const std::vector<std::string>& columns);

/// What happens when the row's key already exists.
enum class ConflictAction {
  unset,       ///< not chosen yet: rendering refuses
  do_nothing,  ///< keep the existing row
  do_update,   ///< apply the assignments (where the optional condition holds)
};

/// INSERT rows INTO table ON CONFLICT (key) DO NOTHING | DO UPDATE SET ... [WHERE ...] [RETURNING ...].
class UPSERT_EXPORT Upsert {
 public:
  /// An upsert into `table` (shared, so batches and writers do not copy the schema).
  explicit Upsert(std::shared_ptr<const Table> table);

  /// The insert columns, in row order; default: every non-identity column of the table.
  Upsert& columns(std::vector<std::string> names);
  /// Appends one row, its values in insert-column order.
  Upsert& row(Row values);
  /// Appends rows.
  Upsert& rows(std::vector<Row> values);
  /// Removes every row and keeps the rest of the statement, to run it again with other rows.
  Upsert& clear_rows();
  /// The conflict target: the columns of one of the table's unique keys (default: the primary
  /// key, or the only unique key).
  Upsert& on_conflict(std::vector<std::string> key_columns);
  /// The conflict target by key name.
  Upsert& on_conflict_key(const std::string& key_name);
  /// On conflict, keep the existing row.
  Upsert& do_nothing();
  /// On conflict, apply `assignments` where `where` holds (every expression sees the old row).
  Upsert& do_update(std::vector<Assignment> assignments, std::optional<Expr> where = {});
  /// Return these columns of each inserted or updated row.
  Upsert& returning(std::vector<std::string> names);
  /// Also return whether each row was inserted (true) or updated (false).
  Upsert& returning_inserted_flag(bool on = true);

  /// The table.
  const Table& table() const { return *table_; }
  /// The insert columns (resolved default included).
  const std::vector<std::string>& insert_columns() const { return columns_; }
  /// The rows.
  const std::vector<Row>& row_values() const { return rows_; }
  /// The conflict target's unique key (resolved when set, or the default key).
  const UniqueKey& conflict_key() const;
  /// The action.
  ConflictAction action() const { return action_; }
  /// The DO UPDATE assignments.
  const std::vector<Assignment>& assignments() const { return assignments_; }
  /// The DO UPDATE condition.
  const std::optional<Expr>& update_where() const { return where_; }
  /// RETURNING columns.
  const std::vector<std::string>& returning_columns() const { return returning_; }
  /// True when RETURNING includes the inserted flag.
  bool returns_inserted_flag() const { return inserted_flag_; }
  /// True when the statement returns rows.
  bool has_returning() const { return !returning_.empty() || inserted_flag_; }
  /// Positions of the conflict key's columns among the insert columns.
  std::vector<std::size_t> key_positions() const;

 private:
  friend struct detail::StatementRows;

  std::shared_ptr<const Table> table_;
  std::vector<std::string> columns_;
  std::vector<Row> rows_;
  // True while every row has been checked against the insert columns and the conflict key (by the
  // writer as it took them), so rendering need not check them again.
  bool rows_checked_ = false;
  const UniqueKey* conflict_key_ = nullptr;
  ConflictAction action_ = ConflictAction::unset;
  std::vector<Assignment> assignments_;
  std::optional<Expr> where_;
  std::vector<std::string> returning_;
  bool inserted_flag_ = false;
};

/// Starts an upsert into a copy of `table`.
UPSERT_EXPORT Upsert insert_into(const Table& table);
/// Starts an upsert into a shared table.
UPSERT_EXPORT Upsert insert_into(std::shared_ptr<const Table> table);

}  // namespace upsert
