// sqlite:PATH, sqlite::memory:, optionally ?busy_timeout_ms=N.

#include "drivers/sqlite/url.hpp"

#include <fmt/format.h>

#include <charconv>

#include "upsert/error.hpp"

namespace upsert::detail {

namespace {

constexpr std::string_view url_forms =
    "write sqlite:PATH (a relative or absolute file path) or sqlite::memory:, optionally followed by "
    "?busy_timeout_ms=N";

Error bad_url(std::string_view url, std::string_view why) {
  return Error(ErrorCategory::invalid_argument, fmt::format("bad SQLite URL \"{}\": {}; {}", url, why, url_forms));
}

int parse_busy_timeout(std::string_view url, std::string_view value) {
  int ms = 0;
  auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), ms);
  if (value.empty() || ec != std::errc() || end != value.data() + value.size() || ms < 0) {
    throw bad_url(url, fmt::format("busy_timeout_ms=\"{}\" is not a whole number of milliseconds (0 or more)", value));
  }
  return ms;
}

}  // namespace

SqliteUrl parse_sqlite_url(std::string_view url) {
  constexpr std::string_view scheme = "sqlite:";
  if (url.substr(0, scheme.size()) != scheme) throw bad_url(url, "it does not start with sqlite:");
  std::string_view rest = url.substr(scheme.size());
  const auto question = rest.find('?');
  const std::string_view path = rest.substr(0, question);
  if (path.empty()) throw bad_url(url, "the path is empty");
  if (path.substr(0, 2) == "//")
    throw bad_url(url, "the sqlite:// form is not read here (is \"//\" part of the path?)");
  SqliteUrl out;
  out.path = std::string(path);
  if (question == std::string_view::npos) return out;
  std::string_view query = rest.substr(question + 1);
  for (;;) {
    const auto amp = query.find('&');
    const std::string_view item = query.substr(0, amp);
    const auto eq = item.find('=');
    const std::string_view name = item.substr(0, eq);
    if (name != "busy_timeout_ms" || eq == std::string_view::npos) {
      throw bad_url(url, fmt::format("unknown parameter \"{}\" (the only one is busy_timeout_ms=N)", item));
    }
    out.busy_timeout_ms = parse_busy_timeout(url, item.substr(eq + 1));
    if (amp == std::string_view::npos) break;
    query = query.substr(amp + 1);
  }
  return out;
}

}  // namespace upsert::detail
