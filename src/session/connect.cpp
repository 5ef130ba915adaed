// connect(url): the engine is picked by the URL's scheme, among the engines this build has.

#include <fmt/format.h>

#include <array>
#include <memory>
#include <string_view>

#include "session/engines.hpp"
#include "session/session.hpp"
#include "upsert/error.hpp"

namespace upsert {

namespace {

using Opener = std::unique_ptr<detail::Driver> (*)(std::string_view url);

struct Engine {
  std::array<std::string_view, 2> schemes;  // the URL starts with one of these
  std::string_view name;                    // for messages
  std::string_view option;                  // the CMake option that builds its driver
  Opener open;                              // nullptr when this build has no driver for it
};

#ifdef UPSERT_WITH_SQLITE
constexpr Opener sqlite_opener = detail::open_sqlite;
#else
constexpr Opener sqlite_opener = nullptr;
#endif
#ifdef UPSERT_WITH_POSTGRES
constexpr Opener postgres_opener = detail::open_postgres;
#else
constexpr Opener postgres_opener = nullptr;
#endif
#ifdef UPSERT_WITH_MYSQL
constexpr Opener mysql_opener = detail::open_mysql;
#else
constexpr Opener mysql_opener = nullptr;
#endif

constexpr std::array<Engine, 3> engines{{
    {{"sqlite:", "sqlite:"}, "SQLite", "UPSERT_WITH_SQLITE", sqlite_opener},
    {{"postgresql://", "postgres://"}, "PostgreSQL", "UPSERT_WITH_POSTGRES", postgres_opener},
    {{"mariadb://", "mysql://"}, "MySQL/MariaDB", "UPSERT_WITH_MYSQL", mysql_opener},
}};

}  // namespace

Connection connect(std::string_view url) {
  for (const Engine& engine : engines) {
    const bool ours = url.starts_with(engine.schemes[0]) || url.starts_with(engine.schemes[1]);
    if (!ours) continue;
    if (engine.open == nullptr) {
      throw Error(ErrorCategory::unsupported,
                  fmt::format("cannot open \"{}\": this build of upsert has no {} driver; configure it with -D{}=ON",
                              url, engine.name, engine.option));
    }
    return detail::ConnectionAccess::wrap(engine.open(url));
  }
  throw Error(ErrorCategory::invalid_argument,
              fmt::format("cannot tell the engine from the URL \"{}\": start it with sqlite:, postgresql://, "
                          "mariadb:// or mysql://",
                          url));
}

}  // namespace upsert
