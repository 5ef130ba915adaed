// The raw PostgreSQL client: PQprepare once, then PQexecPrepared per event with typed text
// parameters (as the library's driver sends them). Its batch forms: one multi-row VALUES upsert
// sent with PQexecParams (text and types vary with the row count), or the unnest upsert prepared
// once and given one text array literal per column.

#include <libpq-fe.h>

#include <fmt/format.h>

#include <array>
#include <string>
#include <vector>

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
  RawPostgres(const std::string& url, const std::string& table, RawBatchForm form)
      : connection_(PQconnectdb(url.c_str())), table_(table), form_(form) {
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
    prepare("ab_upsert", sql, types.data(), 6);
    const std::string unnest =
        fmt::format(R"(INSERT INTO "{0}" ("ab_test_id", "version", "date", "hour", "participants", "conversions") )"
                    R"(SELECT * FROM unnest($1::int8[], $2::text[], $3::date[], $4::int8[], $5::int8[], $6::int8[]) )"
                    R"(ON CONFLICT ("ab_test_id", "version", "date", "hour") DO UPDATE SET )"
                    R"("participants" = "{0}"."participants" + EXCLUDED."participants", )"
                    R"("conversions" = "{0}"."conversions" + EXCLUDED."conversions")",
                    table);
    if (form_ == RawBatchForm::unnest) prepare("ab_unnest", unnest, nullptr, 6);
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

  void upsert_batch(std::span<const KeyDelta> rows, const std::vector<Key>& keys) override {
    if (form_ == RawBatchForm::unnest) {
      unnest_batch(rows, keys);
    } else {
      values_batch(rows, keys);
    }
  }

 private:
  void prepare(const char* name, const std::string& sql, const Oid* types, int count) {
    PGresult* result = PQprepare(connection_, name, sql.c_str(), count, types);
    if (PQresultStatus(result) != PGRES_COMMAND_OK) {
      RawError e = result_failure(connection_, result, "preparing the upsert");
      PQclear(result);
      PQfinish(connection_);
      throw e;
    }
    PQclear(result);
  }

  void check(PGresult* result, const char* what) {
    if (PQresultStatus(result) != PGRES_COMMAND_OK) {
      RawError e = result_failure(connection_, result, what);
      PQclear(result);
      throw e;
    }
    PQclear(result);
  }

  // One array literal per column: {1,2,3}; versions and the date need no quoting ("A", "B", ISO).
  void unnest_batch(std::span<const KeyDelta> rows, const std::vector<Key>& keys) {
    auto add = [](std::string& column, std::string_view value) {
      column += column.size() > 1 ? ',' : '{';
      column += value;
    };
    for (auto& column : arrays_) column.clear();
    for (const KeyDelta& row : rows) {
      const Key& key = keys[row.key];
      add(arrays_[0], key.test_id_text);
      add(arrays_[1], key.version);
      add(arrays_[2], event_date_text);
      add(arrays_[3], key.hour_text);
      add(arrays_[4], std::to_string(row.participants));
      add(arrays_[5], std::to_string(row.conversions));
    }
    std::array<const char*, 6> values{};
    for (std::size_t i = 0; i < arrays_.size(); ++i) {
      if (arrays_[i].empty()) arrays_[i].push_back('{');
      arrays_[i] += '}';
      values[i] = arrays_[i].c_str();
    }
    check(PQexecPrepared(connection_, "ab_unnest", 6, values.data(), nullptr, nullptr, 0), "running the unnest upsert");
  }

  void values_batch(std::span<const KeyDelta> rows, const std::vector<Key>& keys) {
    std::string sql = fmt::format(R"(INSERT INTO "{}" ("ab_test_id", "version", "date", "hour", "participants", )"
                                  R"("conversions") VALUES )",
                                  table_);
    numbers_.clear();
    numbers_.reserve(rows.size() * 2);
    types_.clear();
    values_.clear();
    for (std::size_t i = 0; i < rows.size(); ++i) {
      const std::size_t p = i * 6;
      fmt::format_to(std::back_inserter(sql), "{}(${},${},${},${},${},${})", i == 0 ? "" : ",", p + 1, p + 2, p + 3,
                     p + 4, p + 5, p + 6);
      const Key& key = keys[rows[i].key];
      numbers_.push_back(std::to_string(rows[i].participants));
      numbers_.push_back(std::to_string(rows[i].conversions));
      types_.insert(types_.end(), {int8_oid, text_oid, date_oid, int8_oid, int8_oid, int8_oid});
      values_.insert(values_.end(), {key.test_id_text.c_str(), key.version.c_str(), event_date_text.data(),
                                     key.hour_text.c_str(), nullptr, nullptr});
    }
    // numbers_ no longer grows: its strings stay where they are.
    for (std::size_t i = 0; i < rows.size(); ++i) {
      values_[i * 6 + 4] = numbers_[i * 2].c_str();
      values_[i * 6 + 5] = numbers_[i * 2 + 1].c_str();
    }
    fmt::format_to(std::back_inserter(sql),
                   R"( ON CONFLICT ("ab_test_id", "version", "date", "hour") DO UPDATE SET )"
                   R"("participants" = "{0}"."participants" + EXCLUDED."participants", )"
                   R"("conversions" = "{0}"."conversions" + EXCLUDED."conversions")",
                   table_);
    check(PQexecParams(connection_, sql.c_str(), static_cast<int>(values_.size()), types_.data(), values_.data(),
                       nullptr, nullptr, 0),
          "running the multi-row upsert");
  }

  PGconn* connection_;
  std::string table_;
  RawBatchForm form_;
  std::array<std::string, 6> arrays_;  // reused between batches
  std::vector<std::string> numbers_;
  std::vector<Oid> types_;
  std::vector<const char*> values_;
};

}  // namespace

std::unique_ptr<RawClient> open_raw_postgres(const std::string& url, const std::string& table, RawBatchForm form) {
  return std::make_unique<RawPostgres>(url, table, form);
}

std::string raw_postgres_version() {
  const int v = PQlibVersion();
  return fmt::format("libpq {}.{}", v / 10000, v % 10000);
}

}  // namespace upsert::bench
