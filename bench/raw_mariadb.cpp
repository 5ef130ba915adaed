// The raw MariaDB client: mysql_stmt_prepare once, parameters bound once to buffers that each
// event overwrites, then mysql_stmt_execute per event. Its batch form: one multi-row VALUES upsert
// sent as text (one round trip; the values are integers, the fixed date and escaped versions).

#include <mysql.h>

#include <fmt/format.h>

#include <array>
#include <cstring>
#include <iterator>

#include "raw_clients.hpp"

namespace upsert::bench {

namespace {

// The parts of mariadb://user:password@host:port/database[?socket=/path].
struct Target {
  std::string user, password, host = "127.0.0.1", database, socket;
  unsigned port = 3306;
};

std::string percent_decode(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '%' && i + 2 < text.size()) {
      out.push_back(static_cast<char>(std::stoi(std::string(text.substr(i + 1, 2)), nullptr, 16)));
      i += 2;
    } else {
      out.push_back(text[i]);
    }
  }
  return out;
}

Target parse_target(std::string_view url) {
  const auto scheme_end = url.find("://");
  if (scheme_end == std::string_view::npos) {
    throw RawError("url", fmt::format("\"{}\" is not a mariadb://user:password@host:port/database URL", url));
  }
  std::string_view rest = url.substr(scheme_end + 3);
  Target t;
  if (auto q = rest.find('?'); q != std::string_view::npos) {
    std::string_view query = rest.substr(q + 1);
    rest = rest.substr(0, q);
    if (query.substr(0, 7) == "socket=") t.socket = percent_decode(query.substr(7));
  }
  if (auto slash = rest.find('/'); slash != std::string_view::npos) {
    t.database = percent_decode(rest.substr(slash + 1));
    rest = rest.substr(0, slash);
  }
  if (auto at = rest.rfind('@'); at != std::string_view::npos) {
    std::string_view credentials = rest.substr(0, at);
    rest = rest.substr(at + 1);
    const auto colon = credentials.find(':');
    t.user = percent_decode(credentials.substr(0, colon));
    if (colon != std::string_view::npos) t.password = percent_decode(credentials.substr(colon + 1));
  }
  if (auto colon = rest.rfind(':'); colon != std::string_view::npos) {
    t.port = static_cast<unsigned>(std::stoul(std::string(rest.substr(colon + 1))));
    rest = rest.substr(0, colon);
  }
  if (!rest.empty()) t.host = std::string(rest);
  return t;
}

class RawMariadb final : public RawClient {
 public:
  RawMariadb(const std::string& url, const std::string& table) : mysql_(mysql_init(nullptr)), table_(table) {
    const Target t = parse_target(url);
    mysql_optionsv(mysql_, MYSQL_SET_CHARSET_NAME, "utf8mb4");
    if (mysql_real_connect(mysql_, t.host.c_str(), t.user.c_str(), t.password.c_str(), t.database.c_str(), t.port,
                           t.socket.empty() ? nullptr : t.socket.c_str(), 0) == nullptr) {
      fail(fmt::format("connecting to {}", url));
    }
    // The session the library's driver sets (src/drivers/mysql/connection.cpp): same isolation,
    // same strictness, so both arms take the same locks.
    query(
        "SET NAMES utf8mb4, time_zone = '+00:00', autocommit = 1, sql_mode = "
        "'STRICT_TRANS_TABLES,ERROR_FOR_DIVISION_BY_ZERO,NO_ZERO_DATE,NO_ZERO_IN_DATE,NO_ENGINE_SUBSTITUTION'");
    query("SET SESSION TRANSACTION ISOLATION LEVEL READ COMMITTED");
    const std::string sql = fmt::format(
        "INSERT INTO `{}` (`ab_test_id`, `version`, `date`, `hour`, `participants`, `conversions`) "
        "VALUES (?, ?, ?, ?, ?, ?) ON DUPLICATE KEY UPDATE `participants` = `participants` + VALUE(`participants`), "
        "`conversions` = `conversions` + VALUE(`conversions`)",
        table);
    statement_ = mysql_stmt_init(mysql_);
    if (statement_ == nullptr || mysql_stmt_prepare(statement_, sql.c_str(), sql.size()) != 0) {
      fail("preparing the upsert");
    }
    bind_buffers();
  }

  void upsert_batch(std::span<const KeyDelta> rows, const std::vector<Key>& keys) override {
    sql_ = fmt::format(
        "INSERT INTO `{}` (`ab_test_id`, `version`, `date`, `hour`, `participants`, `conversions`) VALUES ", table_);
    std::array<char, 40> version{};
    for (std::size_t i = 0; i < rows.size(); ++i) {
      const Key& key = keys[rows[i].key];
      const auto length = std::min(key.version.size(), (version.size() - 1) / 2);
      mysql_real_escape_string(mysql_, version.data(), key.version.data(), length);
      fmt::format_to(std::back_inserter(sql_), "{}({},'{}','{}',{},{},{})", i == 0 ? "" : ",", key.test_id,
                     version.data(), event_date_text, key.hour, rows[i].participants, rows[i].conversions);
    }
    sql_ +=
        " ON DUPLICATE KEY UPDATE `participants` = `participants` + VALUE(`participants`), "
        "`conversions` = `conversions` + VALUE(`conversions`)";
    if (mysql_real_query(mysql_, sql_.data(), sql_.size()) != 0) {
      throw RawError(std::to_string(mysql_errno(mysql_)),
                     fmt::format("running the multi-row upsert: {}", mysql_error(mysql_)));
    }
  }

  ~RawMariadb() override {
    if (statement_ != nullptr) mysql_stmt_close(statement_);
    mysql_close(mysql_);
  }

  void upsert(const Key& key, bool converted) override {
    test_id_ = key.test_id;
    version_length_ = key.version.size();
    std::memcpy(version_.data(), key.version.data(), std::min(version_.size(), key.version.size()));
    hour_ = key.hour;
    conversions_ = converted ? 1 : 0;
    if (mysql_stmt_execute(statement_) != 0) {
      throw RawError(std::to_string(mysql_stmt_errno(statement_)),
                     fmt::format("running the upsert: {}", mysql_stmt_error(statement_)));
    }
  }

 private:
  void bind_buffers() {
    const Date date = event_date();
    date_ = MYSQL_TIME{};
    date_.year = static_cast<unsigned>(date.year);
    date_.month = static_cast<unsigned>(date.month);
    date_.day = static_cast<unsigned>(date.day);
    date_.time_type = MYSQL_TIMESTAMP_DATE;
    binds_ = {};
    auto int64 = [](MYSQL_BIND& b, long long* value) {
      b.buffer_type = MYSQL_TYPE_LONGLONG;
      b.buffer = value;
    };
    int64(binds_[0], &test_id_);
    binds_[1].buffer_type = MYSQL_TYPE_STRING;
    binds_[1].buffer = version_.data();
    binds_[1].buffer_length = version_.size();
    binds_[1].length = &version_length_;
    binds_[2].buffer_type = MYSQL_TYPE_DATE;
    binds_[2].buffer = &date_;
    binds_[2].buffer_length = sizeof(date_);
    int64(binds_[3], &hour_);
    int64(binds_[4], &participants_);
    int64(binds_[5], &conversions_);
    if (mysql_stmt_bind_param(statement_, binds_.data()) != 0) fail("binding the upsert's parameters");
  }

  void query(const char* sql) {
    if (mysql_query(mysql_, sql) != 0) fail(sql);
  }

  [[noreturn]] void fail(const std::string& what) {
    const bool on_statement = statement_ != nullptr && mysql_stmt_errno(statement_) != 0;
    RawError e(std::to_string(on_statement ? mysql_stmt_errno(statement_) : mysql_errno(mysql_)),
               fmt::format("{}: {}", what, on_statement ? mysql_stmt_error(statement_) : mysql_error(mysql_)));
    if (statement_ != nullptr) mysql_stmt_close(statement_);
    mysql_close(mysql_);
    statement_ = nullptr;
    mysql_ = nullptr;
    throw e;
  }

  MYSQL* mysql_;
  std::string table_;
  std::string sql_;  // the multi-row upsert, reused between batches
  MYSQL_STMT* statement_ = nullptr;
  std::array<MYSQL_BIND, 6> binds_{};
  long long test_id_ = 0, hour_ = 0, participants_ = 1, conversions_ = 0;
  std::array<char, 16> version_{};
  unsigned long version_length_ = 0;
  MYSQL_TIME date_{};
};

}  // namespace

std::unique_ptr<RawClient> open_raw_mariadb(const std::string& url, const std::string& table, RawBatchForm form) {
  if (form != RawBatchForm::values) {
    throw RawError("usage", "MariaDB's raw batch is the multi-row VALUES upsert only");
  }
  return std::make_unique<RawMariadb>(url, table);
}

void init_raw_clients() {
  // Not thread-safe: run before the threads of a cell connect.
  mysql_library_init(0, nullptr, nullptr);
}

std::string raw_mariadb_version() {
  return std::string("libmariadb ") + mysql_get_client_info();
}

}  // namespace upsert::bench
