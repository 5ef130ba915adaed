// The raw PostgreSQL client: PQprepare once, then PQexecPrepared per event with typed text
// parameters (as the library's driver sends them).

#include <libpq-fe.h>

#include <fmt/format.h>

#include <array>

#include "raw_clients.hpp"

namespace upsert::bench {

namespace {

// Type OIDs from pg_type: int8, text, date.
constexpr Oid int8_oid = 20;
constexpr Oid text_oid = 25;
constexpr Oid date_oid = 1082;

RawError result_failure(PGconn* connection, const PGresult* result, const std::string& what) {
  const char* state = result != nullptr ? PQresultErrorField(result, PG_DIAG_SQLSTATE) : nullptr;
  const char* message = result != nullptr ? PQresultErrorMessage(result) : PQerrorMessage(connection);
  return RawError(state != nullptr ? state : "connection", fmt::format("{}: {}", what, message));
}

class RawPostgres final : public RawClient {
 public:
  RawPostgres(const std::string& url, const std::string& table) : connection_(PQconnectdb(url.c_str())) {
    if (PQstatus(connection_) != CONNECTION_OK) {
      RawError e("connection", fmt::format("connecting to {}: {}", url, PQerrorMessage(connection_)));
      PQfinish(connection_);
      throw e;
    }
    const std::string sql = fmt::format(
        R"(INSERT INTO "{0}" ("ab_test_id", "version", "date", "hour", "participants", "conversions") )"
        R"(VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT ("ab_test_id", "version", "date", "hour") DO UPDATE SET )"
        R"("participants" = "{0}"."participants" + EXCLUDED."participants", )"
        R"("conversions" = "{0}"."conversions" + EXCLUDED."conversions")",
        table);
    const std::array<Oid, 6> types{int8_oid, text_oid, date_oid, int8_oid, int8_oid, int8_oid};
    PGresult* result = PQprepare(connection_, "ab_upsert", sql.c_str(), 6, types.data());
    if (PQresultStatus(result) != PGRES_COMMAND_OK) {
      RawError e = result_failure(connection_, result, "preparing the upsert");
      PQclear(result);
      PQfinish(connection_);
      throw e;
    }
    PQclear(result);
  }

  ~RawPostgres() override { PQfinish(connection_); }

  void upsert(const Key& key, bool converted) override {
    const std::array<const char*, 6> values{
        key.test_id_text.c_str(), key.version.c_str(), event_date_text.data(), key.hour_text.c_str(), "1",
        converted ? "1" : "0"};
    PGresult* result = PQexecPrepared(connection_, "ab_upsert", 6, values.data(), nullptr, nullptr, 0);
    if (PQresultStatus(result) != PGRES_COMMAND_OK) {
      RawError e = result_failure(connection_, result, "running the upsert");
      PQclear(result);
      throw e;
    }
    PQclear(result);
  }

 private:
  PGconn* connection_;
};

}  // namespace

std::unique_ptr<RawClient> open_raw_postgres(const std::string& url, const std::string& table) {
  return std::make_unique<RawPostgres>(url, table);
}

std::string raw_postgres_version() {
  const int v = PQlibVersion();
  return fmt::format("libpq {}.{}", v / 10000, v % 10000);
}

}  // namespace upsert::bench
