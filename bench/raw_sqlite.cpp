// The raw SQLite client: sqlite3_prepare_v2 once, then bind/step/reset per event. Its batch forms:
// one BEGIN IMMEDIATE transaction of the prepared single-row upsert, or one multi-row VALUES
// upsert, prepared once per row count.

#include <sqlite3.h>

#include <fmt/format.h>

#include <iterator>
#include <map>

#include "raw_clients.hpp"

namespace upsert::bench {

namespace {

RawError sqlite_failure(sqlite3* db, const std::string& what) {
  return RawError(fmt::format("sqlite:{}", sqlite3_extended_errcode(db)),
                  fmt::format("{}: {}", what, sqlite3_errmsg(db)));
}

class RawSqlite final : public RawClient {
 public:
  RawSqlite(const std::string& path, const std::string& table, RawBatchForm form) : table_(table), form_(form) {
    // The same flags and pragmas as src/drivers/sqlite/connection.cpp, so only the code path differs.
    const int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
    if (sqlite3_open_v2(path.c_str(), &db_, flags, nullptr) != SQLITE_OK) {
      RawError e = sqlite_failure(db_, "opening " + path);
      sqlite3_close_v2(db_);
      throw e;
    }
    sqlite3_extended_result_codes(db_, 1);
    sqlite3_busy_timeout(db_, 30'000);
    exec("PRAGMA journal_mode=WAL");
    exec("PRAGMA synchronous=NORMAL");
    exec("PRAGMA foreign_keys=ON");
    const std::string sql = fmt::format(
        R"(INSERT INTO "{0}" ("ab_test_id", "version", "date", "hour", "participants", "conversions") )"
        R"(VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT ("ab_test_id", "version", "date", "hour") DO UPDATE SET )"
        R"("participants" = "{0}"."participants" + excluded."participants", )"
        R"("conversions" = "{0}"."conversions" + excluded."conversions")",
        table);
    if (sqlite3_prepare_v2(db_, sql.c_str(), static_cast<int>(sql.size()), &statement_, nullptr) != SQLITE_OK) {
      RawError e = sqlite_failure(db_, "preparing the upsert");
      sqlite3_close_v2(db_);
      throw e;
    }
  }

  ~RawSqlite() override {
    for (auto& [rows, statement] : multi_row_) sqlite3_finalize(statement);
    sqlite3_finalize(statement_);
    sqlite3_close_v2(db_);
  }

  void upsert(const Key& key, bool converted) override {
    sqlite3_bind_int64(statement_, 1, key.test_id);
    sqlite3_bind_text(statement_, 2, key.version.data(), static_cast<int>(key.version.size()), SQLITE_STATIC);
    sqlite3_bind_text(statement_, 3, event_date_text.data(), static_cast<int>(event_date_text.size()), SQLITE_STATIC);
    sqlite3_bind_int64(statement_, 4, key.hour);
    sqlite3_bind_int64(statement_, 5, 1);
    sqlite3_bind_int64(statement_, 6, converted ? 1 : 0);
    if (sqlite3_step(statement_) != SQLITE_DONE) {
      RawError e = sqlite_failure(db_, "running the upsert");  // read before reset() clears it
      sqlite3_reset(statement_);
      throw e;
    }
    sqlite3_reset(statement_);
  }

  void upsert_batch(std::span<const KeyDelta> rows, const std::vector<Key>& keys) override {
    if (form_ == RawBatchForm::values) {
      values_batch(rows, keys);
      return;
    }
    run("BEGIN IMMEDIATE");
    try {
      for (const KeyDelta& row : rows) step(statement_, 0, keys[row.key], row, "running the upsert");
      run("COMMIT");
    } catch (const RawError&) {
      sqlite3_exec(db_, "ROLLBACK", nullptr, nullptr, nullptr);
      throw;
    }
  }

 private:
  // Binds one row's six values at parameters first+1 .. first+6.
  void bind(sqlite3_stmt* statement, int first, const Key& key, const KeyDelta& row) {
    sqlite3_bind_int64(statement, first + 1, key.test_id);
    sqlite3_bind_text(statement, first + 2, key.version.data(), static_cast<int>(key.version.size()), SQLITE_STATIC);
    sqlite3_bind_text(statement, first + 3, event_date_text.data(), static_cast<int>(event_date_text.size()),
                      SQLITE_STATIC);
    sqlite3_bind_int64(statement, first + 4, key.hour);
    sqlite3_bind_int64(statement, first + 5, row.participants);
    sqlite3_bind_int64(statement, first + 6, row.conversions);
  }

  void step(sqlite3_stmt* statement, int first, const Key& key, const KeyDelta& row, const char* what) {
    bind(statement, first, key, row);
    finish(statement, what);
  }

  void finish(sqlite3_stmt* statement, const char* what) {
    if (sqlite3_step(statement) != SQLITE_DONE) {
      RawError e = sqlite_failure(db_, what);
      sqlite3_reset(statement);
      throw e;
    }
    sqlite3_reset(statement);
  }

  void values_batch(std::span<const KeyDelta> rows, const std::vector<Key>& keys) {
    sqlite3_stmt*& statement = multi_row_[rows.size()];
    if (statement == nullptr) {
      std::string sql = fmt::format(R"(INSERT INTO "{}" ("ab_test_id", "version", "date", "hour", "participants", )"
                                    R"("conversions") VALUES )",
                                    table_);
      for (std::size_t i = 0; i < rows.size(); ++i) sql += i == 0 ? "(?,?,?,?,?,?)" : ",(?,?,?,?,?,?)";
      fmt::format_to(std::back_inserter(sql),
                     R"( ON CONFLICT ("ab_test_id", "version", "date", "hour") DO UPDATE SET )"
                     R"("participants" = "{0}"."participants" + excluded."participants", )"
                     R"("conversions" = "{0}"."conversions" + excluded."conversions")",
                     table_);
      if (sqlite3_prepare_v2(db_, sql.c_str(), static_cast<int>(sql.size()), &statement, nullptr) != SQLITE_OK) {
        throw sqlite_failure(db_, "preparing the multi-row upsert");
      }
    }
    for (std::size_t i = 0; i < rows.size(); ++i) bind(statement, static_cast<int>(i * 6), keys[rows[i].key], rows[i]);
    finish(statement, "running the multi-row upsert");
  }

  void run(const char* sql) {
    if (sqlite3_exec(db_, sql, nullptr, nullptr, nullptr) != SQLITE_OK) throw sqlite_failure(db_, sql);
  }

  void exec(const char* sql) {
    if (sqlite3_exec(db_, sql, nullptr, nullptr, nullptr) != SQLITE_OK) {
      RawError e = sqlite_failure(db_, sql);
      sqlite3_close_v2(db_);
      throw e;
    }
  }

  sqlite3* db_ = nullptr;
  sqlite3_stmt* statement_ = nullptr;
  std::string table_;
  RawBatchForm form_;
  std::map<std::size_t, sqlite3_stmt*> multi_row_;  // the multi-row upsert by row count
};

}  // namespace

std::unique_ptr<RawClient> open_raw_sqlite(const std::string& path, const std::string& table, RawBatchForm form) {
  return std::make_unique<RawSqlite>(path, table, form);
}

std::string raw_sqlite_version() {
  return std::string("SQLite ") + sqlite3_libversion();
}

}  // namespace upsert::bench
