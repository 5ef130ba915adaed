// libFuzzer target: the CSV reader of `upsert ingest` (src/cli/records.cpp) on arbitrary bytes.
// The columns asked for are "k", "n" and "note"; an input whose header lacks them is refused with
// an upsert::Error, so the seed corpus starts with headers that name them.

#include <cstddef>
#include <cstdint>

#include "reader_check.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  upsert::fuzz::check_reader(input, [](std::istream& in) { return upsert::cli::csv_reader(in, {"k", "n", "note"}); });
  return 0;
}
