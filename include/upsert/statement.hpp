#pragma once
/// The upsert statement as data: rows, conflict target, action and RETURNING.

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "upsert/export.hpp"
#include "upsert/expr.hpp"
#include "upsert/schema.hpp"
#include "upsert/value.hpp"

namespace upsert {

/// `column = value` in DO UPDATE SET.
struct Assignment {
  std::string column;  ///< the column to set
  Expr value;          ///< over col(...) (the existing row) and proposed(...) (the new row)
};

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
  /// The table, shared.
  const std::shared_ptr<const Table>& table_ptr() const { return table_; }
  /// The insert columns (resolved default included).
  const std::vector<std::string>& insert_columns() const { return columns_; }
  /// The rows.
  const std::vector<Row>& row_values() const { return rows_; }
  /// Mutable rows, for the batch stage.
  std::vector<Row>& mutable_rows() { return rows_; }
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
  std::shared_ptr<const Table> table_;
  std::vector<std::string> columns_;
  std::vector<Row> rows_;
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

/// Assignments that add the proposed value to the existing one for each column:
/// `c = c + proposed(c)`, the counter update.
UPSERT_EXPORT std::vector<Assignment> add_proposed(const std::vector<std::string>& columns);

}  // namespace upsert
