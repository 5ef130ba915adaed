// Prepared statements over libmariadb: binding, executing (one row, or many rows in one round
// trip with array binding), and fetching.

#include "drivers/mysql/statement.hpp"

#include <fmt/format.h>

#include "drivers/mysql/values.hpp"

namespace upsert::detail::mysql {

namespace {

// Frees a statement's result set however fetching ends, so the statement can run again.
struct ResultGuard {
  MYSQL_STMT* stmt;
  ~ResultGuard() { mysql_stmt_free_result(stmt); }
};

}  // namespace

PreparedStatement::PreparedStatement(MYSQL* connection, std::string sql) : sql_(std::move(sql)) {
  stmt_ = mysql_stmt_init(connection);
  if (stmt_ == nullptr) throw_error(connection, sql_, Stage::not_sent);
  if (mysql_stmt_prepare(stmt_, sql_.data(), static_cast<unsigned long>(sql_.size())) != 0) {
    // The destructor does not run for a throwing constructor: copy the error, then close.
    const unsigned number = mysql_stmt_errno(stmt_);
    const std::string state = mysql_stmt_sqlstate(stmt_);
    const std::string message = mysql_stmt_error(stmt_);
    mysql_stmt_close(stmt_);
    throw_error(number, state, message, sql_, Stage::not_sent);
  }
}

PreparedStatement::~PreparedStatement() {
  mysql_stmt_close(stmt_);
}

ExecResult PreparedStatement::run(std::span<const Value> params, const std::vector<Type>& result_types, Stage stage) {
  const unsigned long expected = mysql_stmt_param_count(stmt_);
  if (expected != params.size()) {
    throw Error(ErrorCategory::internal,
                fmt::format("the statement has {} placeholders but {} values were given", expected, params.size()), "",
                sql_);
  }
  std::vector<MYSQL_BIND> binds(params.size());
  std::vector<ParamBuffer> buffers(params.size());
  for (std::size_t i = 0; i < params.size(); ++i) bind_param(params[i], binds[i], buffers[i]);
  if (!params.empty() && mysql_stmt_bind_param(stmt_, binds.data()) != 0) {
    throw_error(stmt_, sql_, Stage::not_sent);
  }
  if (mysql_stmt_execute(stmt_) != 0) throw_error(stmt_, sql_, stage);

  ExecResult result;
  if (mysql_stmt_field_count(stmt_) > 0) result.rows = fetch_rows(result_types, stage);
  // For statements with a result set (SELECT, RETURNING) the library reports the row count.
  result.affected_rows = static_cast<std::int64_t>(mysql_stmt_affected_rows(stmt_));
  return result;
}

bool PreparedStatement::run_bulk(const std::vector<std::vector<Value>>& param_rows, Stage stage,
                                 std::int64_t& affected_rows) {
  const unsigned long expected = mysql_stmt_param_count(stmt_);
  if (param_rows.empty() || expected == 0) return false;
  for (const auto& row : param_rows) {
    if (row.size() != expected) return false;
  }
  std::vector<ParamColumn> columns(expected);
  std::vector<MYSQL_BIND> binds(expected);
  for (std::size_t p = 0; p < expected; ++p) {
    if (!bind_param_column(param_rows, p, columns[p], binds[p])) return false;
  }
  auto array_size = static_cast<unsigned int>(param_rows.size());
  if (mysql_stmt_attr_set(stmt_, STMT_ATTR_ARRAY_SIZE, &array_size) != 0) throw_error(stmt_, sql_, Stage::not_sent);
  // The statement is cached and may run again one row at a time: back to a single row however
  // this ends.
  struct SingleRowAgain {
    MYSQL_STMT* stmt;
    ~SingleRowAgain() {
      unsigned int one = 0;
      mysql_stmt_attr_set(stmt, STMT_ATTR_ARRAY_SIZE, &one);
    }
  } reset{stmt_};
  if (mysql_stmt_bind_param(stmt_, binds.data()) != 0) throw_error(stmt_, sql_, Stage::not_sent);
  if (mysql_stmt_execute(stmt_) != 0) throw_error(stmt_, sql_, stage);
  affected_rows = static_cast<std::int64_t>(mysql_stmt_affected_rows(stmt_));
  return true;
}

std::vector<Row> PreparedStatement::fetch_rows(const std::vector<Type>& result_types, Stage stage) {
  ResultGuard guard{stmt_};
  // Buffer the whole result client-side: it frees the connection for the next statement.
  if (mysql_stmt_store_result(stmt_) != 0) throw_error(stmt_, sql_, stage);
  const unsigned count = mysql_stmt_field_count(stmt_);
  std::vector<ColumnBuffer> columns(count);
  std::vector<MYSQL_BIND> binds(count);
  MYSQL_RES* metadata = mysql_stmt_result_metadata(stmt_);
  for (unsigned i = 0; i < count; ++i) {
    columns[i].type = i < result_types.size() ? result_types[i] : Type::text;
    if (metadata != nullptr) columns[i].name = mysql_fetch_field_direct(metadata, i)->name;
    bind_column(columns[i], binds[i]);
  }
  if (metadata != nullptr) mysql_free_result(metadata);
  if (mysql_stmt_bind_result(stmt_, binds.data()) != 0) throw_error(stmt_, sql_, stage);

  std::vector<Row> rows;
  for (;;) {
    const int status = mysql_stmt_fetch(stmt_);
    if (status == MYSQL_NO_DATA) break;
    if (status == 1) throw_error(stmt_, sql_, stage);
    Row row;
    row.reserve(count);
    for (unsigned i = 0; i < count; ++i) row.push_back(column_value(stmt_, i, columns[i], binds[i], sql_, stage));
    rows.push_back(std::move(row));
  }
  return rows;
}

}  // namespace upsert::detail::mysql
