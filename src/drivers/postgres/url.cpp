#include "drivers/postgres/url.hpp"

#include <fmt/format.h>
#include <libpq-fe.h>

#include <algorithm>

#include "common/utf8.hpp"
#include "upsert/error.hpp"

namespace upsert::detail::postgres {

// libpq's URI syntax errors are the caller's to fix, not a connection problem.
void check_url_syntax(const std::string& url) {
  char* error = nullptr;
  PQconninfoOption* options = PQconninfoParse(url.c_str(), &error);
  if (options != nullptr) {
    PQconninfoFree(options);
    return;
  }
  std::string reason = error != nullptr ? error : "out of memory";
  PQfreemem(error);
  while (!reason.empty() && reason.back() == '\n') reason.pop_back();
  // libpq quotes the parameter it could not read percent-decoded: "%de" is the byte 0xDE.
  throw Error(ErrorCategory::invalid_argument,
              fmt::format("cannot read the PostgreSQL URL {}: {}; write it as "
                          "postgresql://user:password@host:port/database?param=value (see libpq's connection URIs)",
                          redact_url(url), printable_utf8(reason)));
}

std::string redact_url(std::string_view url) {
  std::string out(url);
  const auto scheme_end = out.find("://");
  if (scheme_end == std::string::npos) return out;
  // user:password@host: the password is percent-encoded, so the last '@' of the authority ends it.
  const auto start = scheme_end + 3;
  const auto authority_end = std::min(out.find_first_of("/?", start), out.size());
  const auto at = out.rfind('@', authority_end);
  if (at != std::string::npos && at >= start) {
    const auto colon = out.find(':', start);
    if (colon < at) out.replace(colon + 1, at - colon - 1, "***");
  }
  // ?password=... in the query.
  for (auto pos = out.find("password=", start); pos != std::string::npos; pos = out.find("password=", pos + 1)) {
    if (out[pos - 1] != '?' && out[pos - 1] != '&') continue;
    const auto value = pos + std::string_view("password=").size();
    out.replace(value, std::min(out.find('&', value), out.size()) - value, "***");
  }
  return out;
}

}  // namespace upsert::detail::postgres
