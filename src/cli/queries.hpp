#pragma once
// The few queries the commands run to report and verify, written with the public API
// (quote_identifier and Connection::query), on the engines the command connects to.

#include <cstdint>
#include <string>
#include <vector>

#include "upsert/upsert.hpp"

namespace upsert::cli {

// SUM of each of `columns` over the whole table, 0 for an empty table.
std::vector<std::int64_t> column_sums(Connection& db, const Table& table, const std::vector<std::string>& columns);

// `columns` of the `limit` rows with the largest `order_by`, ties broken by the columns in order;
// values typed by the columns.
std::vector<Row> top_rows(Connection& db, const Table& table, const std::vector<std::string>& columns,
                          const std::string& order_by, std::size_t limit);

}  // namespace upsert::cli
