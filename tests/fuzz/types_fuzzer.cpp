// libFuzzer target: the table described on the command line (src/cli/table_spec.cpp): --types
// entries, --key and the aggregated columns, from lines of the input. Every refusal is an
// upsert::Error with a valid UTF-8 message (when the input is valid UTF-8); any other exception
// escapes, and libFuzzer reports it. A table that builds has the key and every declared type.

#include <cstddef>
#include <cstdint>
#include <sstream>
#include <string>

#include "cli/table_spec.hpp"
#include "reader_check.hpp"
#include "utf8.hpp"

using upsert::fuzz::require;

// Input: one option a line, "<letter><value>": k = --key, s/x/m/l = --sum/--max/--min/--last,
// t = --types entry (column:type), n = --table. Other lines are ignored.
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  upsert::cli::TableSpec spec;
  spec.table = "t";
  std::istringstream lines(input);
  for (std::string line; std::getline(lines, line);) {
    if (line.empty()) continue;
    std::string value = line.substr(1);
    switch (line[0]) {
      case 'k': spec.key.push_back(value); break;
      case 's': spec.sum.push_back(value); break;
      case 'x': spec.max.push_back(value); break;
      case 'm': spec.min.push_back(value); break;
      case 'l': spec.last.push_back(value); break;
      case 't': spec.types.push_back(value); break;
      case 'n': spec.table = value; break;
      default: break;
    }
  }
  try {
    auto declared = spec.declared_types();
    auto table = spec.build();
    for (const auto& [column, type] : declared) {
      require(table->column_named(column).type == type, "a built table has every declared type");
    }
    require(table->unique_keys().size() == 1 && table->unique_keys()[0].columns == spec.key,
            "a built table's key is --key");
  } catch (const upsert::Error& e) {
    require(!upsert::fuzz::valid_utf8(input) || upsert::fuzz::valid_utf8(e.what()),
            "a refusal of valid UTF-8 input is valid UTF-8");
  }
  return 0;
}
