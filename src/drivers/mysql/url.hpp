#pragma once
// mariadb:// and mysql:// URLs, parsed into what mysql_real_connect takes.

#include <string>
#include <string_view>
#include <vector>

namespace upsert::detail::mysql {

// One server of a URL's host list.
struct Endpoint {
  std::string host;      // as in ConnectTarget::host
  unsigned port = 3306;  // TCP port
};

// Where to connect and as whom.
struct ConnectTarget {
  std::string user;      // percent-decoded; empty lets the client library pick the login name
  std::string password;  // percent-decoded
  std::string host;      // "localhost" means the default unix socket, as for the mysql client
  unsigned port = 3306;  // TCP port (ignored for sockets)
  std::string database;  // percent-decoded; required
  std::string socket;    // ?socket=/path: a unix socket other than the default one
  // Every server of `host1:port1,host2:port2,...` in URL order (the first is host/port above):
  // nodes of one cluster (Galera), tried in turn.
  std::vector<Endpoint> endpoints;
};

// Parses `mariadb://user:pass@host:port/db?socket=/path` (or `mysql://...`), where host:port may be
// a comma-separated list `h1:p1,h2:p2,...` of the nodes of one cluster.
// Throws Error(invalid_argument) naming the expected form.
ConnectTarget parse_url(std::string_view url);

}  // namespace upsert::detail::mysql
