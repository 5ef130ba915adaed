// PostgreSQL: upserts render and run as they are (RETURNING and the inserted flag are native).
// Batch statements go in the column-array form, INSERT ... SELECT * FROM unnest($1::BIGINT[], ...),
// one binary array per column: measured against multi-row VALUES (6 parameters a row) and libpq's
// pipeline mode (one single-row upsert per row, one sync) with bench/postgres_batch_forms.cpp, it
// was the fastest, and its SQL text does not depend on the row count, so one prepared statement
// serves batches of every size where VALUES prepares (parses and plans) each new row count again.

#include <limits>

#include "render/unnest.hpp"
#include "session/strategies/strategy.hpp"

namespace upsert::detail {

namespace {

class PostgresqlStrategy final : public UpsertStrategy {
 public:
  ExecResult execute_batch_statement(Driver& driver, const Upsert& statement, const RenderOptions& options) override {
    // Distributed engines get the multi-row VALUES form their documentation shows (Citus routes it
    // row by row to shards; an INSERT ... SELECT goes through the coordinator), checked by the profile.
    if (options.profile != Profile::none) return execute(driver, statement, options);
    const ColumnArraySql sql = render_unnest(statement);
    const std::vector<std::size_t> key_columns = statement.key_positions();
    const ColumnArrays arrays{statement.row_values(), sql.array_types, statement.insert_columns(), key_columns};
    return driver.run_column_arrays(sql.text, arrays, sql.params, returning_types(statement));
  }

  // A flush of several statements goes in libpq's pipeline mode, a sync after each: the client
  // encodes statement k+1 while the server runs statement k (bench/postgres_batch_forms.cpp,
  // unnest_pipe against unnest_bin: 5-7% more rows/s at 10 and 100 statements of 1,000 rows).
  // Not with RETURNING: unread result rows of many statements could fill the socket both ways.
  std::optional<std::vector<PipelinedOutcome>> execute_batch_statements_together(
      Driver& driver, std::span<const Upsert> statements, const RenderOptions& options,
      std::optional<std::int64_t> turn_lock) override {
    if (options.profile != Profile::none || statements.empty() || statements.front().has_returning()) {
      return std::nullopt;
    }
    std::vector<ColumnArraySql> sql;
    std::vector<std::vector<std::size_t>> key_columns;
    sql.reserve(statements.size());  // the statements below point into these
    key_columns.reserve(statements.size());
    std::vector<ColumnArrayStatement> together;
    for (const Upsert& statement : statements) {
      sql.push_back(render_unnest(statement));
      key_columns.push_back(statement.key_positions());
      together.push_back(
          {sql.back().text,
           ColumnArrays{statement.row_values(), sql.back().array_types, statement.insert_columns(), key_columns.back()},
           sql.back().params});
    }
    return driver.run_column_arrays_pipelined(together, turn_lock);
  }

  // The column-array form's SQL is one text for any number of rows; a profile's VALUES form is not.
  ChunkSizes batch_chunk_sizes(const Driver& /*driver*/, const RenderOptions& options) const override {
    return options.profile == Profile::none ? ChunkSizes::exact : ChunkSizes::repeating;
  }

  // The column-array form carries any number of rows in one parameter per column, so the
  // protocol's 65,535-parameter limit never binds: the batch's row cap alone sizes statements.
  std::size_t max_parameters(const Driver& /*driver*/) const override {
    return std::numeric_limits<std::size_t>::max();
  }

  // Measured here, 8 threads of overlapping 1,000-row batches went from about 44,000 to 86,000
  // rows/s with turns. MariaDB has none: its array-bound batches ran faster with the engine
  // queuing (about 150,000 against 82,000 rows/s with turns).
  bool batch_turns() const override { return true; }

  // A nondeterministic collation (ICU, e.g. `und-u-ks-level2`) can make 'a' and 'A' one key. The
  // batch stage merges repeated keys by their bytes, so both would go in one statement, which
  // PostgreSQL refuses whole (21000). Such tables get one row per batch statement: slower, right.
  TableCheck check_table(Driver& driver, const Table& table) override {
    TableCheck check;
    const std::string sql =
        "SELECT a.attname::text, c.collname::text FROM pg_attribute a JOIN pg_collation c ON c.oid = a.attcollation "
        "WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped AND NOT c.collisdeterministic";
    for (const auto& key :
         text_key_collations(driver, table, sql, quote_identifier(table.name(), Dialect::postgresql))) {
      check.one_row_per_batch_statement = true;
      check.warnings.push_back(collation_warning(
          table, key.column, key.collation, "values it compares as equal (such as 'a' and 'A')",
          "execute_batch sends this table's rows one per statement (two such keys in one statement fail with "
          "21000). If they are different keys, give the column a deterministic collation (COLLATE \"C\")."));
    }
    return check;
  }
};

}  // namespace

std::unique_ptr<UpsertStrategy> postgresql_strategy() {
  return std::make_unique<PostgresqlStrategy>();
}

}  // namespace upsert::detail
