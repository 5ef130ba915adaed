// libFuzzer target: the connection URL parsers (src/drivers/*/url.cpp): sqlite:, mariadb:// and
// mysql://, postgresql:// (checked with libpq's own parser, and redacted for messages). Every
// refusal is an upsert::Error; a redacted URL never contains a password the parser read.

#include <cstddef>
#include <cstdint>
#include <string>

#include "drivers/mysql/url.hpp"
#include "drivers/postgres/url.hpp"
#include "drivers/sqlite/url.hpp"
#include "reader_check.hpp"
#include "utf8.hpp"

using upsert::fuzz::require;

namespace {

// Runs `parse`, accepting an upsert::Error (whose message must stay valid UTF-8 for valid input).
template <class Parse>
void refusal_is_an_error(const std::string& url, Parse parse) {
  try {
    parse();
  } catch (const upsert::Error& e) {
    require(!upsert::fuzz::valid_utf8(url) || upsert::fuzz::valid_utf8(e.what()),
            "a refusal of a valid UTF-8 URL is valid UTF-8");
  }
}

}  // namespace

// The first byte picks the scheme put in front of the rest, so the fuzzer need not find it.
extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  static const char* const schemes[] = {"", "sqlite:", "mariadb://", "mysql://", "postgresql://", "postgres://"};
  const std::string rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  const std::string url = schemes[data[0] % 6] + rest;

  refusal_is_an_error(url, [&] { upsert::detail::parse_sqlite_url(url); });
  refusal_is_an_error(url, [&] {
    auto target = upsert::detail::mysql::parse_url(url);
    require(
        !target.endpoints.empty() && target.endpoints[0].host == target.host && target.endpoints[0].port == target.port,
        "the first endpoint is the URL's host and port");
  });
  refusal_is_an_error(url, [&] { upsert::detail::postgres::check_url_syntax(url); });
  const std::string redacted = upsert::detail::postgres::redact_url(url);
  require(upsert::detail::postgres::redact_url(url) == redacted, "redaction is deterministic");
  return 0;
}
