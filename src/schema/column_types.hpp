#pragma once
// The types of some of a table's columns: what result rows are converted to.

#include <string>
#include <vector>

#include "upsert/schema.hpp"
#include "upsert/value.hpp"

namespace upsert::detail {

// The type of each of `columns`, in order; throws Error(invalid_argument) for an unknown column.
std::vector<Type> column_types(const Table& table, const std::vector<std::string>& columns);

}  // namespace upsert::detail
