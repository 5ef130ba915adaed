#pragma once
// One factory per engine, defined in the engine's folder; connect() picks one by the URL's scheme.

#include <memory>
#include <string_view>

#include "session/driver.hpp"

namespace upsert::detail {

// sqlite:PATH or sqlite::memory: (src/drivers/sqlite).
std::unique_ptr<Driver> open_sqlite(std::string_view url);
// postgresql:// or postgres:// (libpq URI) (src/drivers/postgres).
std::unique_ptr<Driver> open_postgres(std::string_view url);
// mariadb:// or mysql:// (libmariadb) (src/drivers/mysql).
std::unique_ptr<Driver> open_mysql(std::string_view url);

}  // namespace upsert::detail
