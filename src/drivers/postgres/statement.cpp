#include "drivers/postgres/statement.hpp"

#include <charconv>
#include <string_view>

namespace upsert::detail::postgres {

bool succeeded(const PGresult* result) {
  // PQresultStatus(nullptr) is PGRES_FATAL_ERROR.
  const ExecStatusType status = PQresultStatus(result);
  return status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK || status == PGRES_EMPTY_QUERY;
}

std::int64_t affected_rows(const PGresult* result) {
  const std::string_view text = PQcmdTuples(const_cast<PGresult*>(result));
  std::int64_t rows = 0;
  std::from_chars(text.data(), text.data() + text.size(), rows);  // "" (DDL) leaves 0
  return rows;
}

std::string PreparedStatements::next_name() {
  std::string name = "u";
  name += std::to_string(next_++);
  return name;
}

std::string PreparedStatements::key(const std::string& sql, const std::vector<Oid>& types) {
  std::string k = sql;
  k.push_back('\0');  // never in SQL text sent through libpq, so the key is unambiguous
  // Appended piece by piece: `to_string(t) + ","` makes GCC 12 at -O3 warn (-Wrestrict) about the
  // temporary's copy, a false positive that -Werror turns into a failed build.
  for (Oid t : types) {
    k += std::to_string(t);
    k += ',';
  }
  return k;
}

}  // namespace upsert::detail::postgres
