// libFuzzer target: the JSON Lines reader of `upsert ingest` (src/cli/records.cpp) on arbitrary
// bytes, asking for the fields "k", "n" and "note".

#include <cstddef>
#include <cstdint>

#include "reader_check.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string input(reinterpret_cast<const char*>(data), size);
  upsert::fuzz::check_reader(input, [](std::istream& in) { return upsert::cli::jsonl_reader(in, {"k", "n", "note"}); });
  return 0;
}
