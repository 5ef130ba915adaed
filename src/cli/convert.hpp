#pragma once
// Text fields to typed values, for `upsert ingest`.

#include <optional>
#include <string>

#include "upsert/value.hpp"

namespace upsert::cli {

// The value of `text` as `type`, or nullopt with `reason` set when it does not parse.
std::optional<Value> parse_field(const std::string& text, Type type, std::string& reason);

// The narrowest type that reads `text`: int64, double, bool, date, timestamp, else text.
Type infer_type(const std::string& text);

}  // namespace upsert::cli
