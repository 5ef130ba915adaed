// Placeholder styles for Python DB-API drivers. The dialects render their native placeholders; this
// rewrites them afterwards, which is safe because nothing else in a rendered statement looks like
// one: identifiers are ASCII letters, digits and '_', values are bound, and the only literals
// (index predicates from the schema) are single-quoted and hold no quote (sql_writer.cpp).
#include <charconv>
#include <string>

#include "render/dialects.hpp"
#include "upsert/error.hpp"

namespace upsert::detail {

namespace {

// The native placeholder's prefix: "$", "?", ":" or "@p". Numbered ones are followed by digits.
std::string_view native_prefix(Dialect dialect) {
  switch (dialect) {
    case Dialect::postgresql: return "$";
    case Dialect::oracle: return ":";
    case Dialect::sqlserver: return "@p";
    case Dialect::sqlite:
    case Dialect::mysql:
    case Dialect::mariadb: return "?";
  }
  return "?";
}

bool is_digit(char c) {
  return c >= '0' && c <= '9';
}

}  // namespace

Sql restyle_placeholders(Sql sql, Dialect dialect, Placeholders style) {
  const std::string_view prefix = native_prefix(dialect);
  const bool numbered = prefix != "?";
  const std::string& in = sql.text;
  std::string out;
  out.reserve(in.size() + in.size() / 4);
  // Params in the order their placeholders appear: a numbered native placeholder may come out of
  // order or twice (PostgreSQL's $1 used in two places), which qmark and format cannot say.
  std::vector<Value> params;
  params.reserve(sql.params.size());
  std::size_t next_unnumbered = 0;
  bool in_literal = false;
  for (std::size_t i = 0; i < in.size(); ++i) {
    const char c = in[i];
    if (c == '%' && style == Placeholders::format) {
      out += "%%";  // psycopg2 and MySQLdb read every % as the start of a placeholder
      continue;
    }
    if (c == '\'') in_literal = !in_literal;
    const bool starts = !in_literal && in.compare(i, prefix.size(), prefix) == 0 &&
                        (!numbered || (i + prefix.size() < in.size() && is_digit(in[i + prefix.size()])));
    if (!starts) {
      out += c;
      continue;
    }
    std::size_t index = next_unnumbered++;
    if (numbered) {
      std::size_t end = i + prefix.size();
      std::size_t number = 0;
      auto [ptr, ec] = std::from_chars(in.data() + end, in.data() + in.size(), number);
      end = static_cast<std::size_t>(ptr - in.data());
      if (ec != std::errc() || number == 0) throw Error(ErrorCategory::internal, "restyle: a malformed placeholder");
      index = number - 1;
      i = end - 1;
    }
    if (index >= sql.params.size()) throw Error(ErrorCategory::internal, "restyle: a placeholder without a value");
    params.push_back(sql.params[index]);
    switch (style) {
      case Placeholders::qmark: out += '?'; break;
      case Placeholders::format: out += "%s"; break;
      case Placeholders::numeric: out += ':' + std::to_string(params.size()); break;
      case Placeholders::native: break;
    }
  }
  return Sql{std::move(out), std::move(params)};
}

}  // namespace upsert::detail
