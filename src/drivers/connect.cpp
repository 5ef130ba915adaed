#include <fmt/format.h>

#include "drivers/factories.hpp"
#include "upsert/error.hpp"

namespace upsert {

Connection connect(std::string_view url) {
  auto starts_with = [&](std::string_view prefix) { return url.substr(0, prefix.size()) == prefix; };
  if (starts_with("sqlite:")) return Connection(detail::open_sqlite(url));
  if (starts_with("postgresql://") || starts_with("postgres://")) return Connection(detail::open_postgres(url));
  if (starts_with("mariadb://") || starts_with("mysql://")) return Connection(detail::open_mysql(url));
  throw Error(ErrorCategory::invalid_argument,
              fmt::format("cannot tell the engine from the URL \"{}\": start it with sqlite:, postgresql://, "
                          "mariadb:// or mysql://",
                          url));
}

}  // namespace upsert
