#include "cli/convert.hpp"

#include <fmt/format.h>

#include <charconv>

#include "upsert/error.hpp"

namespace upsert::cli {

namespace {

std::optional<std::int64_t> parse_int(const std::string& s) {
  std::int64_t v = 0;
  const char* begin = s.data() + (s.size() > 1 && s[0] == '+' ? 1 : 0);
  auto [ptr, ec] = std::from_chars(begin, s.data() + s.size(), v);
  if (ec != std::errc() || ptr != s.data() + s.size() || begin == s.data() + s.size()) return std::nullopt;
  return v;
}

std::optional<double> parse_double(const std::string& s) {
  double v = 0;
  auto [ptr, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || ptr != s.data() + s.size() || s.empty()) return std::nullopt;
  return v;
}

std::optional<bool> parse_bool(const std::string& s) {
  if (s == "true" || s == "t" || s == "1" || s == "yes" || s == "TRUE" || s == "True") return true;
  if (s == "false" || s == "f" || s == "0" || s == "no" || s == "FALSE" || s == "False") return false;
  return std::nullopt;
}

std::optional<Bytes> parse_hex(const std::string& s, std::string& reason) {
  std::size_t start = (s.starts_with("\\x") || s.starts_with("0x")) ? 2 : 0;
  if ((s.size() - start) % 2 != 0) {
    reason = "bytes must be hexadecimal with an even number of digits (e.g. \\x00ff)";
    return std::nullopt;
  }
  Bytes out;
  for (std::size_t i = start; i < s.size(); i += 2) {
    unsigned byte = 0;
    auto [ptr, ec] = std::from_chars(s.data() + i, s.data() + i + 2, byte, 16);
    if (ec != std::errc() || ptr != s.data() + i + 2) {
      reason = "bytes must be hexadecimal (e.g. \\x00ff)";
      return std::nullopt;
    }
    out.data.push_back(static_cast<std::uint8_t>(byte));
  }
  return out;
}

}  // namespace

std::optional<Value> parse_field(const std::string& text, Type type, std::string& reason) {
  switch (type) {
    case Type::text: return Value(text);
    case Type::int64:
      if (auto v = parse_int(text)) return Value(*v);
      reason = parse_double(text) ? fmt::format("\"{}\" is not a whole number (or is out of the int64 range)", text)
                                  : fmt::format("\"{}\" is not a number", text);
      return std::nullopt;
    case Type::float64:
      if (auto v = parse_double(text)) return Value(*v);
      reason = fmt::format("\"{}\" is not a number", text);
      return std::nullopt;
    case Type::boolean:
      if (auto v = parse_bool(text)) return Value(*v);
      reason = fmt::format("\"{}\" is not a boolean (true/false, 1/0)", text);
      return std::nullopt;
    case Type::date:
    case Type::timestamp: try { return type == Type::date ? Value(Date::parse(text)) : Value(Timestamp::parse(text));
      } catch (const Error& e) {
        reason = e.what();
        return std::nullopt;
      }
    case Type::bytes:
      if (auto v = parse_hex(text, reason)) return Value(std::move(*v));
      return std::nullopt;
  }
  reason = "unknown type";
  return std::nullopt;
}

Type infer_type(const std::string& text) {
  std::string ignored;
  if (parse_int(text)) return Type::int64;
  if (parse_double(text)) return Type::float64;
  if (text == "true" || text == "false") return Type::boolean;
  for (Type t : {Type::date, Type::timestamp}) {
    if (parse_field(text, t, ignored)) return t;
  }
  return Type::text;
}

}  // namespace upsert::cli
