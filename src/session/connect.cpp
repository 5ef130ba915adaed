// connect(url): the engine is picked by the URL's scheme, among the engines this build has.

#include <fmt/format.h>

#include <array>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "common/query_string.hpp"
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

// The URL options that belong to the library, not to the driver: `profile=` and
// `distribution_column=` (see RenderOptions). They are taken out of the URL the driver sees.
struct LibraryOptions {
  std::string url;  // the URL without them
  std::optional<Profile> profile;
  std::string distribution_column;
};

LibraryOptions take_library_options(std::string_view url) {
  LibraryOptions out;
  const auto query_start = url.find('?');
  if (query_start == std::string_view::npos) {
    out.url = url;
    return out;
  }
  out.url = url.substr(0, query_start);
  std::string_view query = url.substr(query_start + 1);
  char separator = '?';
  detail::for_each_query_pair(query, [&](std::string_view name, std::string_view value) {
    if (name == "profile") {
      out.profile = parse_profile(value);
    } else if (name == "distribution_column") {
      validate_identifier(value, "distribution_column");
      out.distribution_column = value;
    } else {
      out.url += separator;
      out.url += name;
      if (value.data() != nullptr) (out.url += '=') += value;  // "name=" keeps its "=", a bare "name" not
      separator = '&';
    }
  });
  // Without options of ours, the driver sees the URL exactly as given (and judges it).
  if (!out.profile && out.distribution_column.empty()) out.url = url;
  return out;
}

}  // namespace

// The engines that say who they are in their version string: TiDB ("8.0.11-TiDB-v7.5.0"), Vitess
// (vtgate's "8.0.30-Vitess") and YugabyteDB ("11.2-YB-2.20.0.0-b0"). CockroachDB's server_version
// is a plain PostgreSQL number and Citus is an extension: those take ?profile=.
Profile detect_profile(std::string_view server_version) {
  if (server_version.find("TiDB") != std::string_view::npos) return Profile::tidb;
  if (server_version.find("Vitess") != std::string_view::npos) return Profile::vitess;
  if (server_version.find("-YB-") != std::string_view::npos) return Profile::yugabytedb;
  return Profile::none;
}

Connection connect(std::string_view url) {
  for (const Engine& engine : engines) {
    const bool ours = url.starts_with(engine.schemes[0]) || url.starts_with(engine.schemes[1]);
    if (!ours) continue;
    if (engine.open == nullptr) {
      throw Error(ErrorCategory::unsupported,
                  fmt::format("cannot open \"{}\": this build of upsert has no {} driver; configure it with -D{}=ON",
                              url, engine.name, engine.option));
    }
    const bool sqlite = engine.name == "SQLite";
    const LibraryOptions library = sqlite ? LibraryOptions{std::string(url), {}, {}} : take_library_options(url);
    Connection connection = detail::ConnectionAccess::wrap(engine.open(library.url));
    RenderOptions options;
    options.profile = library.profile.value_or(Profile::none);
    if (!library.profile && !sqlite) options.profile = detect_profile(connection.server_version());
    if (options.profile != Profile::none && profile_dialect(options.profile) != connection.dialect()) {
      throw Error(ErrorCategory::invalid_argument,
                  fmt::format("?profile={} is for the {} dialect, but the server speaks {}: drop the profile or "
                              "point the URL at a {} server",
                              profile_name(options.profile), dialect_name(profile_dialect(options.profile)),
                              dialect_name(connection.dialect()), profile_name(options.profile)));
    }
    options.distribution_column = library.distribution_column;
    connection.set_render_options(std::move(options));
    return connection;
  }
  throw Error(ErrorCategory::invalid_argument,
              fmt::format("cannot tell the engine from the URL \"{}\": start it with sqlite:, postgresql://, "
                          "mariadb:// or mysql://",
                          url));
}

}  // namespace upsert
