// The defaults of the engines' bulk primitives: an engine without one never gets asked.

#include "session/driver.hpp"

#include <fmt/format.h>

#include "upsert/error.hpp"

namespace upsert::detail {

ExecResult Driver::run_column_arrays(const std::string& text, const ColumnArrays& /*arrays*/,
                                     std::span<const Value> /*params*/, const std::vector<Type>& /*result_types*/) {
  throw Error(ErrorCategory::internal,
              fmt::format("the {} driver has no column arrays (PostgreSQL's unnest form)", dialect_name(dialect())), "",
              text);
}

std::vector<PipelinedOutcome> Driver::run_column_arrays_pipelined(std::span<const ColumnArrayStatement> statements,
                                                                  std::optional<std::int64_t> /*turn_lock*/) {
  throw Error(ErrorCategory::internal,
              fmt::format("the {} driver has no pipeline mode (PostgreSQL's)", dialect_name(dialect())), "",
              statements.empty() ? std::string() : statements.front().text);
}

std::optional<std::int64_t> Driver::run_bulk(const std::string& /*text*/,
                                             const std::vector<std::vector<Value>>& /*param_rows*/) {
  return std::nullopt;
}

}  // namespace upsert::detail
