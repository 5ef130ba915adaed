// connect(url): the engine is picked by the URL's scheme, among the engines this build has.

#include <fmt/format.h>

#include "session/engines.hpp"
#include "session/session.hpp"
#include "upsert/error.hpp"

namespace upsert {

namespace {

[[noreturn, maybe_unused]] void not_built(std::string_view url, std::string_view engine, std::string_view option) {
  throw Error(ErrorCategory::unsupported,
              fmt::format("cannot open \"{}\": this build of upsert has no {} driver; configure it with -D{}=ON", url,
                          engine, option));
}

}  // namespace

Connection connect(std::string_view url) {
  auto starts_with = [&](std::string_view prefix) { return url.substr(0, prefix.size()) == prefix; };
  if (starts_with("sqlite:")) {
#ifdef UPSERT_WITH_SQLITE
    return detail::ConnectionAccess::wrap(detail::open_sqlite(url));
#else
    not_built(url, "SQLite", "UPSERT_WITH_SQLITE");
#endif
  }
  if (starts_with("postgresql://") || starts_with("postgres://")) {
#ifdef UPSERT_WITH_POSTGRES
    return detail::ConnectionAccess::wrap(detail::open_postgres(url));
#else
    not_built(url, "PostgreSQL", "UPSERT_WITH_POSTGRES");
#endif
  }
  if (starts_with("mariadb://") || starts_with("mysql://")) {
#ifdef UPSERT_WITH_MYSQL
    return detail::ConnectionAccess::wrap(detail::open_mysql(url));
#else
    not_built(url, "MySQL/MariaDB", "UPSERT_WITH_MYSQL");
#endif
  }
  throw Error(ErrorCategory::invalid_argument,
              fmt::format("cannot tell the engine from the URL \"{}\": start it with sqlite:, postgresql://, "
                          "mariadb:// or mysql://",
                          url));
}

}  // namespace upsert
