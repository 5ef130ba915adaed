// URL grammar: scheme://[user[:password]@]hosts/database[?socket=/path]
// hosts: [host][:port] or a list host:port,host:port,... (nodes of one cluster, tried in order).
// The user, password, database and socket may be percent-encoded (%40 for '@', %2F for '/'), which
// is how a password holding URL delimiters is written.

#include "drivers/mysql/url.hpp"

#include <fmt/format.h>

#include <charconv>

#include "common/query_string.hpp"
#include "upsert/error.hpp"

namespace upsert::detail::mysql {

namespace {

constexpr std::string_view expected_form =
    "expected mariadb://user:password@host:port/database (or mysql://...; several nodes of one cluster as "
    "host1:port1,host2:port2), optionally with ?socket=/path; "
    "percent-encode '@', ':', '/' and '%' inside the user or password";

[[noreturn]] void bad_url(std::string_view url, std::string_view why) {
  throw Error(ErrorCategory::invalid_argument,
              fmt::format("bad MySQL/MariaDB URL \"{}\": {}; {}", url, why, expected_form));
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string percent_decode(std::string_view text, std::string_view url, std::string_view what) {
  std::string out;
  out.reserve(text.size());
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] != '%') {
      out += text[i];
      continue;
    }
    const int high = i + 2 < text.size() ? hex_digit(text[i + 1]) : -1;
    const int low = i + 2 < text.size() ? hex_digit(text[i + 2]) : -1;
    if (high < 0 || low < 0) bad_url(url, fmt::format("the {} has a '%' not followed by two hex digits", what));
    out += static_cast<char>(high * 16 + low);
    i += 2;
  }
  return out;
}

unsigned parse_port(std::string_view text, std::string_view url) {
  unsigned port = 0;
  auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), port);
  if (text.empty() || error != std::errc() || end != text.data() + text.size() || port == 0 || port > 65535) {
    bad_url(url, fmt::format("the port \"{}\" is not a number from 1 to 65535", text));
  }
  return port;
}

// host, host:port, [v6], [v6]:port, or empty (the default socket).
Endpoint parse_host_port(std::string_view text, std::string_view url) {
  std::string_view host = text;
  std::string_view port;
  if (text.starts_with('[')) {
    const auto close = text.find(']');
    if (close == std::string_view::npos) bad_url(url, "an IPv6 host opened with '[' is never closed with ']'");
    host = text.substr(1, close - 1);
    std::string_view rest = text.substr(close + 1);
    if (!rest.empty() && !rest.starts_with(':')) bad_url(url, "only \":port\" may follow an IPv6 host");
    if (!rest.empty()) port = rest.substr(1);
  } else if (const auto colon = text.rfind(':'); colon != std::string_view::npos) {
    host = text.substr(0, colon);
    port = text.substr(colon + 1);
  }
  Endpoint endpoint;
  endpoint.host = host.empty() ? "localhost" : std::string(host);
  if (!port.empty() || text.ends_with(':')) endpoint.port = parse_port(port, url);
  return endpoint;
}

// One endpoint, or a comma-separated list of them.
void parse_hosts(std::string_view text, std::string_view url, ConnectTarget& target) {
  for (;;) {
    const auto comma = text.find(',');
    const std::string_view one = text.substr(0, comma);
    if (one.empty() && comma != std::string_view::npos) bad_url(url, "the host list has an empty entry");
    target.endpoints.push_back(parse_host_port(one, url));
    if (comma == std::string_view::npos) break;
    text = text.substr(comma + 1);
    if (text.empty()) bad_url(url, "the host list ends with ','");
  }
  target.host = target.endpoints.front().host;
  target.port = target.endpoints.front().port;
}

void parse_query(std::string_view query, std::string_view url, ConnectTarget& target) {
  for_each_query_pair(query, [&](std::string_view name, std::string_view value) {
    if (name != "socket") bad_url(url, fmt::format("unknown option \"{}\" (the only option is socket)", name));
    if (value.empty()) bad_url(url, "?socket= needs the path of a unix socket");
    target.socket = percent_decode(value, url, "socket path");
  });
}

}  // namespace

ConnectTarget parse_url(std::string_view url) {
  std::string_view rest = url;
  if (rest.starts_with("mariadb://")) {
    rest.remove_prefix(10);
  } else if (rest.starts_with("mysql://")) {
    rest.remove_prefix(8);
  } else {
    bad_url(url, "the scheme must be mariadb:// or mysql://");
  }
  ConnectTarget target;
  const auto query_start = rest.find('?');
  if (query_start != std::string_view::npos) {
    parse_query(rest.substr(query_start + 1), url, target);
    rest = rest.substr(0, query_start);
  }
  // The authority ends at the first '/'; a '/' inside the password must be written %2F.
  const auto slash = rest.find('/');
  if (slash == std::string_view::npos) bad_url(url, "the database name is missing (\"/database\" after the host)");
  std::string_view authority = rest.substr(0, slash);
  const std::string_view database = rest.substr(slash + 1);
  if (database.empty()) bad_url(url, "the database name is missing (\"/database\" after the host)");
  if (database.find('/') != std::string_view::npos) bad_url(url, "the database name contains '/'");
  target.database = percent_decode(database, url, "database name");

  if (const auto at = authority.rfind('@'); at != std::string_view::npos) {
    const std::string_view user_info = authority.substr(0, at);
    authority = authority.substr(at + 1);
    const auto colon = user_info.find(':');
    target.user = percent_decode(user_info.substr(0, colon), url, "user");
    if (colon != std::string_view::npos) {
      target.password = percent_decode(user_info.substr(colon + 1), url, "password");
    }
  }
  parse_hosts(authority, url, target);
  if (target.endpoints.size() > 1 && !target.socket.empty()) {
    bad_url(url, "?socket= names one local server; it cannot go with a list of hosts");
  }
  return target;
}

}  // namespace upsert::detail::mysql
