// libFuzzer target: value conversion of `upsert ingest` (src/cli/convert.cpp). For every type:
// parse_field never throws, a refusal always says why, and what it returns has the asked type;
// the type infer_type picks always parses the text; dates and timestamps print back to a text
// that parses to the same value.

#include <cstddef>
#include <cstdint>
#include <string>

#include "cli/convert.hpp"
#include "reader_check.hpp"
#include "utf8.hpp"

namespace {

using upsert::Type;
using upsert::fuzz::require;

constexpr Type all_types[] = {Type::int64, Type::float64,   Type::text, Type::boolean,
                              Type::date,  Type::timestamp, Type::bytes};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  for (Type type : all_types) {
    std::string reason;
    auto value = upsert::cli::parse_field(text, type, reason);
    if (!value) {
      require(!reason.empty(), "a refused field says why");
      require(!upsert::fuzz::valid_utf8(text) || upsert::fuzz::valid_utf8(reason),
              "the reason for refusing valid UTF-8 is valid UTF-8");
      continue;
    }
    require(!value->is_null() && value->type() == type, "a parsed field has the type asked for");
    if (type == Type::date) {
      const auto& date = value->as<upsert::Date>();
      require(upsert::Date::parse(date.to_string()) == date, "a date prints to a text that parses back");
    } else if (type == Type::timestamp) {
      const auto& ts = value->as<upsert::Timestamp>();
      require(upsert::Timestamp::parse(ts.to_string()) == ts, "a timestamp prints to a text that parses back");
    }
  }
  std::string reason;
  const Type inferred = upsert::cli::infer_type(text);
  require(upsert::cli::parse_field(text, inferred, reason).has_value(), "the inferred type parses the text");
  return 0;
}
