#pragma once
// mariadb:// and mysql:// URLs, parsed into what mysql_real_connect takes.

#include <string>
#include <string_view>

namespace upsert::detail::mysql {

// Where to connect and as whom.
struct ConnectTarget {
  std::string user;      // percent-decoded; empty lets the client library pick the login name
  std::string password;  // percent-decoded
  std::string host;      // "localhost" means the default unix socket, as for the mysql client
  unsigned port = 3306;  // TCP port (ignored for sockets)
  std::string database;  // percent-decoded; required
  std::string socket;    // ?socket=/path: a unix socket other than the default one
};

// Parses `mariadb://user:pass@host:port/db?socket=/path` (or `mysql://...`).
// Throws Error(invalid_argument) naming the expected form.
ConnectTarget parse_url(std::string_view url);

}  // namespace upsert::detail::mysql
