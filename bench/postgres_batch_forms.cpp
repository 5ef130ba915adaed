// Which multi-row upsert form is fastest on PostgreSQL? A measuring tool, not part of the library.
//
// For the A/B table (ab_test_id, version, date, hour, participants, conversions; key on the first
// four, the counters summed) it times, in the same run and interleaved (the order rotates every
// repetition, so load from other processes spreads over all forms), statements of N rows in:
//   values       INSERT ... VALUES ($1..$6), ... (6 text parameters per row; the default form)
//   unnest_text  INSERT ... SELECT * FROM unnest($1::bigint[], ...) with text array literals
//   unnest_bin   the same SQL with binary arrays
//   values_once  the VALUES form parsed and planned at every execution (unnamed statement): the cost
//                of every new row count, since each row count is other SQL text
//   unnest_once  the binary unnest form parsed and planned at every execution
//   unnest_pipe  a repetition's binary unnest statements in pipeline mode, a sync after each
//   pipeline     libpq pipeline mode: N single-row prepared upserts, then one sync
//   single_row   one autocommit single-row upsert per round trip (fewer rows: it is slow)
// and through the library: Connection::execute_batch (the batch form the session picks) per statement
// (lib_batch) and of a repetition's rows at once (lib_flush: its statements pipelined), Connection::execute
// of each N-row statement (the multi-row VALUES form) and Connection::execute of one row at a time. Each form writes
// its own table; at the end the tables must be equal, or the tool fails.
//
// It reports per form the median time of a repetition, rows/s, and the median over repetitions of
// its time divided by the time of `values` in the same repetition (ratios survive a shared, noisy
// machine better than absolute times).
//
// Built with the benchmarks (scripts/build.sh makes build/bench/postgres-batch-forms). Run:
//   build/bench/postgres-batch-forms [--url URL] [--rows 1000] [--statements 10] [--reps 7] [--single 1000]
//                                    [--returning]
// (URL defaults to $UPSERT_TEST_POSTGRES_URL.)

#include <libpq-fe.h>

#include <arpa/inet.h>
#include <unistd.h>
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <map>
#include <memory>
#include <set>
#include <stdexcept>
#include <string>
#include <tuple>
#include <vector>

#include "upsert/upsert.hpp"

namespace {

using Clock = std::chrono::steady_clock;

struct Options {
  std::string url;
  int rows = 1000;         // rows per statement
  int statements = 10;     // statements per repetition and form
  int reps = 7;            // timed repetitions (after one warm-up)
  int single = 1000;       // rows per repetition for the one-row-per-statement forms
  bool returning = false;  // RETURNING participants, (xmax = 0) AS inserted
};

struct AbRow {
  std::int64_t test = 0;
  std::string version;
  std::int32_t days = 0;  // since 1970-01-01
  std::int64_t hour = 0;
  std::int64_t participants = 0;
  std::int64_t conversions = 0;
};

auto key_of(const AbRow& r) {
  return std::tie(r.test, r.version, r.days, r.hour);
}

// Row i of the key space: 4 versions x 30 days x 24 hours per A/B test.
AbRow make_row(std::int64_t i) {
  static const char* versions[] = {"A", "B", "control", "variant \"2\", {x}"};
  AbRow r;
  r.test = 1 + i / (4 * 30 * 24);
  r.version = versions[(i / (30 * 24)) % 4];
  r.days = static_cast<std::int32_t>(20'000 + (i / 24) % 30);
  r.hour = i % 24;
  r.participants = 1 + i % 3;
  r.conversions = i % 2;
  return r;
}

// Rows [first, first + count) sorted by key, as the batch stage sends them.
std::vector<AbRow> make_rows(std::int64_t first, std::int64_t count) {
  std::vector<AbRow> rows;
  for (std::int64_t i = first; i < first + count; ++i) rows.push_back(make_row(i));
  std::sort(rows.begin(), rows.end(), [](const AbRow& a, const AbRow& b) { return key_of(a) < key_of(b); });
  return rows;
}

std::string date_text(std::int32_t days) {
  return upsert::Date::from_days_since_epoch(days).to_string();
}

[[noreturn]] void die(const std::string& what, PGconn* conn) {
  throw std::runtime_error(what + ": " + PQerrorMessage(conn));
}

void check(PGresult* result, PGconn* conn, const std::string& what) {
  const auto status = PQresultStatus(result);
  const bool ok = status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK;
  std::string message = ok ? "" : PQresultErrorMessage(result);
  PQclear(result);
  if (!ok) throw std::runtime_error(what + ": " + message + " / " + PQerrorMessage(conn));
}

void exec(PGconn* conn, const std::string& sql) {
  check(PQexec(conn, sql.c_str()), conn, sql.substr(0, 80));
}

// Text parameters of one statement, with typed OIDs.
struct Params {
  std::vector<std::string> text;
  std::vector<Oid> types;
  std::vector<int> formats;
  std::vector<const char*> pointers;
  std::vector<int> lengths;
  void add(std::string value, Oid type, int format = 0) {
    text.push_back(std::move(value));
    types.push_back(type);
    formats.push_back(format);
  }
  void finish() {
    pointers.clear();
    lengths.clear();
    for (const auto& t : text) {
      pointers.push_back(t.data());
      lengths.push_back(static_cast<int>(t.size()));
    }
  }
};

constexpr Oid int8_oid = 20, text_oid = 25, date_oid = 1082;
constexpr Oid int8_array_oid = 1016, text_array_oid = 1009, date_array_oid = 1182;

class Bench {
 public:
  Bench(Options options) : o_(std::move(options)) {
    conn_ = PQconnectdb(o_.url.c_str());
    if (PQstatus(conn_) != CONNECTION_OK) die("connect", conn_);
    PQsetNoticeProcessor(
        conn_, [](void*, const char*) {}, nullptr);  // "table ... does not exist, skipping"
    exec(conn_, "SET client_encoding TO 'UTF8'; SET DateStyle TO 'ISO, YMD'");
    suffix_ = std::to_string(::getpid());
  }
  ~Bench() {
    for (const auto& t : tables_) {
      PGresult* r = PQexec(conn_, ("DROP TABLE IF EXISTS " + t).c_str());
      PQclear(r);
    }
    PQfinish(conn_);
  }

  void run();

 private:
  std::string table(const std::string& form) { return "bench_ab_" + form + "_" + suffix_; }
  std::string create(const std::string& form) {
    const std::string t = table(form);
    exec(conn_, "DROP TABLE IF EXISTS " + t);
    exec(conn_, "CREATE TABLE " + t +
                    " (ab_test_id BIGINT NOT NULL, version TEXT NOT NULL, date DATE NOT NULL, hour BIGINT NOT NULL, "
                    "participants BIGINT NOT NULL DEFAULT 0, conversions BIGINT NOT NULL DEFAULT 0, "
                    "UNIQUE (ab_test_id, version, date, hour))");
    tables_.push_back(t);
    return t;
  }
  std::string tail(const std::string& t) const {
    std::string sql = " ON CONFLICT (ab_test_id, version, date, hour) DO UPDATE SET participants = " + t +
                      ".participants + EXCLUDED.participants, conversions = " + t +
                      ".conversions + EXCLUDED.conversions";
    if (o_.returning) sql += " RETURNING participants, (xmax = 0) AS inserted";
    return sql;
  }
  static std::string columns() { return " (ab_test_id, version, date, hour, participants, conversions) "; }
  void prepare(const std::string& name, const std::string& sql, const std::vector<Oid>& types) {
    check(PQprepare(conn_, name.c_str(), sql.c_str(), static_cast<int>(types.size()), types.data()), conn_,
          "prepare " + name);
  }
  void exec_prepared(const std::string& name, Params& p) {
    p.finish();
    PGresult* r = PQexecPrepared(conn_, name.c_str(), static_cast<int>(p.text.size()), p.pointers.data(),
                                 p.lengths.data(), p.formats.data(), 0);
    if (o_.returning && PQresultStatus(r) == PGRES_TUPLES_OK) returned_ += PQntuples(r);
    check(r, conn_, name);
  }
  // Parses, plans and runs the statement once (the unnamed statement): what every new statement
  // shape costs, e.g. each row count of the VALUES form.
  void exec_once(const std::string& sql, Params& p) {
    p.finish();
    PGresult* r = PQexecParams(conn_, sql.c_str(), static_cast<int>(p.text.size()), p.types.data(), p.pointers.data(),
                               p.lengths.data(), p.formats.data(), 0);
    if (o_.returning && PQresultStatus(r) == PGRES_TUPLES_OK) returned_ += PQntuples(r);
    check(r, conn_, sql.substr(0, 60));
  }

  std::string values_sql(const std::string& form, std::size_t rows) {
    std::string sql = "INSERT INTO " + table(form) + columns() + "VALUES ";
    for (std::size_t r = 0; r < rows; ++r) {
      const std::size_t b = r * 6;
      sql += (r ? ", (" : "(");
      for (std::size_t c = 1; c <= 6; ++c) {
        // Appended piece by piece: "$" + std::to_string(...) makes GCC 12 at -O3 warn (-Wrestrict).
        sql += '$';
        sql += std::to_string(b + c);
        sql += c < 6 ? ", " : ")";
      }
    }
    return sql + tail(table(form));
  }
  static Params values_params(const std::vector<AbRow>& rows) {
    Params p;
    for (const auto& r : rows) {
      p.add(std::to_string(r.test), int8_oid);
      p.add(r.version, text_oid);
      p.add(date_text(r.days), date_oid);
      p.add(std::to_string(r.hour), int8_oid);
      p.add(std::to_string(r.participants), int8_oid);
      p.add(std::to_string(r.conversions), int8_oid);
    }
    return p;
  }

  // Form 1: VALUES with 6 text parameters per row.
  void values(const std::vector<AbRow>& rows) {
    const std::string name = "values_" + std::to_string(rows.size());
    Params p = values_params(rows);
    if (prepared_.insert(name).second) prepare(name, values_sql("values", rows.size()), p.types);
    exec_prepared(name, p);
  }
  void values_once(const std::vector<AbRow>& rows) {
    Params p = values_params(rows);
    exec_once(values_sql("values_once", rows.size()), p);
  }

  std::string unnest_sql(const std::string& form) {
    return "INSERT INTO " + table(form) + columns() +
           "SELECT * FROM unnest($1::bigint[], $2::text[], $3::date[], $4::bigint[], $5::bigint[], $6::bigint[])" +
           tail(table(form));
  }

  // Form 2a: unnest with text array literals ({1,2}, {"A","B \"q\""}).
  static std::string quoted_element(const std::string& s) {
    std::string out = "\"";
    for (char c : s) {
      if (c == '"' || c == '\\') out += '\\';
      out += c;
    }
    return out + "\"";
  }
  template <class F>
  static std::string text_array(const std::vector<AbRow>& rows, F element) {
    std::string out = "{";
    for (std::size_t i = 0; i < rows.size(); ++i) {
      if (i) out += ',';
      out += element(rows[i]);
    }
    return out + "}";
  }
  void unnest_text(const std::vector<AbRow>& rows) {
    const std::vector<Oid> types{int8_array_oid, text_array_oid, date_array_oid,
                                 int8_array_oid, int8_array_oid, int8_array_oid};
    if (prepared_.insert("unnest_text").second) prepare("unnest_text", unnest_sql("unnest_text"), types);
    Params p;
    p.add(text_array(rows, [](const AbRow& r) { return std::to_string(r.test); }), types[0]);
    p.add(text_array(rows, [](const AbRow& r) { return quoted_element(r.version); }), types[1]);
    p.add(text_array(rows, [](const AbRow& r) { return date_text(r.days); }), types[2]);
    p.add(text_array(rows, [](const AbRow& r) { return std::to_string(r.hour); }), types[3]);
    p.add(text_array(rows, [](const AbRow& r) { return std::to_string(r.participants); }), types[4]);
    p.add(text_array(rows, [](const AbRow& r) { return std::to_string(r.conversions); }), types[5]);
    exec_prepared("unnest_text", p);
  }

  // Form 2b: unnest with binary arrays (header, then length-prefixed big-endian elements).
  static void put32(std::string& out, std::uint32_t v) {
    v = htonl(v);
    out.append(reinterpret_cast<const char*>(&v), 4);
  }
  static void put64(std::string& out, std::uint64_t v) {
    put32(out, static_cast<std::uint32_t>(v >> 32));
    put32(out, static_cast<std::uint32_t>(v));
  }
  static std::string binary_header(Oid element, std::size_t n) {
    std::string out;
    put32(out, 1);  // dimensions
    put32(out, 0);  // has nulls
    put32(out, element);
    put32(out, static_cast<std::uint32_t>(n));
    put32(out, 1);  // lower bound
    return out;
  }
  template <class F>
  static std::string int8_array(const std::vector<AbRow>& rows, F value) {
    std::string out = binary_header(int8_oid, rows.size());
    for (const auto& r : rows) {
      put32(out, 8);
      put64(out, static_cast<std::uint64_t>(value(r)));
    }
    return out;
  }
  static Params binary_params(const std::vector<AbRow>& rows) {
    const std::vector<Oid> types{int8_array_oid, text_array_oid, date_array_oid,
                                 int8_array_oid, int8_array_oid, int8_array_oid};
    Params p;
    p.add(int8_array(rows, [](const AbRow& r) { return r.test; }), types[0], 1);
    std::string versions = binary_header(text_oid, rows.size());
    for (const auto& r : rows) {
      put32(versions, static_cast<std::uint32_t>(r.version.size()));
      versions += r.version;
    }
    p.add(std::move(versions), types[1], 1);
    std::string dates = binary_header(date_oid, rows.size());
    for (const auto& r : rows) {
      put32(dates, 4);
      put32(dates, static_cast<std::uint32_t>(r.days - 10'957));  // PostgreSQL counts from 2000-01-01
    }
    p.add(std::move(dates), types[2], 1);
    p.add(int8_array(rows, [](const AbRow& r) { return r.hour; }), types[3], 1);
    p.add(int8_array(rows, [](const AbRow& r) { return r.participants; }), types[4], 1);
    p.add(int8_array(rows, [](const AbRow& r) { return r.conversions; }), types[5], 1);
    return p;
  }
  void unnest_binary(const std::vector<AbRow>& rows) {
    Params p = binary_params(rows);
    if (prepared_.insert("unnest_bin").second) prepare("unnest_bin", unnest_sql("unnest_bin"), p.types);
    exec_prepared("unnest_bin", p);
  }
  // Form 2c: a repetition's binary unnest statements in pipeline mode, a sync after each (so each
  // stays its own transaction): the client encodes statement k+1 while the server runs statement k.
  void unnest_pipeline(const std::vector<std::vector<AbRow>>& statements) {
    if (prepared_.insert("unnest_pipe").second) {
      prepare("unnest_pipe", unnest_sql("unnest_pipe"), binary_params(statements.front()).types);
    }
    if (PQenterPipelineMode(conn_) != 1) die("enter pipeline mode", conn_);
    std::vector<Params> params;
    params.reserve(statements.size());
    for (const auto& rows : statements) {
      params.push_back(binary_params(rows));
      Params& p = params.back();
      p.finish();
      if (PQsendQueryPrepared(conn_, "unnest_pipe", 6, p.pointers.data(), p.lengths.data(), p.formats.data(), 0) != 1)
        die("send", conn_);
      if (PQpipelineSync(conn_) != 1) die("sync", conn_);
    }
    for (std::size_t done = 0; done < statements.size();) {
      PGresult* r = PQgetResult(conn_);
      if (r == nullptr) continue;  // the end of one query's results
      if (PQresultStatus(r) == PGRES_PIPELINE_SYNC) {
        PQclear(r);
        ++done;
        continue;
      }
      if (o_.returning && PQresultStatus(r) == PGRES_TUPLES_OK) returned_ += PQntuples(r);
      check(r, conn_, "unnest_pipe");
    }
    if (PQexitPipelineMode(conn_) != 1) die("exit pipeline mode", conn_);
  }
  void unnest_once(const std::vector<AbRow>& rows) {
    Params p = binary_params(rows);
    exec_once(unnest_sql("unnest_once"), p);
  }

  void prepare_single(const std::string& form) {
    if (!prepared_.insert(form).second) return;
    prepare(form, "INSERT INTO " + table(form) + columns() + "VALUES ($1, $2, $3, $4, $5, $6)" + tail(table(form)),
            {int8_oid, text_oid, date_oid, int8_oid, int8_oid, int8_oid});
  }
  static Params single_params(const AbRow& r) {
    Params p;
    p.add(std::to_string(r.test), int8_oid);
    p.add(r.version, text_oid);
    p.add(date_text(r.days), date_oid);
    p.add(std::to_string(r.hour), int8_oid);
    p.add(std::to_string(r.participants), int8_oid);
    p.add(std::to_string(r.conversions), int8_oid);
    p.finish();
    return p;
  }

  // Form 3: pipeline mode, one sync for the statement's rows (one implicit transaction).
  void pipeline(const std::vector<AbRow>& rows) {
    prepare_single("pipeline");
    if (PQenterPipelineMode(conn_) != 1) die("enter pipeline mode", conn_);
    std::vector<Params> params;
    params.reserve(rows.size());
    for (const auto& r : rows) {
      params.push_back(single_params(r));
      const Params& p = params.back();
      if (PQsendQueryPrepared(conn_, "pipeline", 6, p.pointers.data(), p.lengths.data(), p.formats.data(), 0) != 1)
        die("send", conn_);
    }
    if (PQpipelineSync(conn_) != 1) die("sync", conn_);
    std::size_t results = 0;
    for (;;) {
      PGresult* r = PQgetResult(conn_);
      if (r == nullptr) continue;  // the end of one query's results
      const auto status = PQresultStatus(r);
      if (status == PGRES_PIPELINE_SYNC) {
        PQclear(r);
        break;
      }
      if (o_.returning && status == PGRES_TUPLES_OK) returned_ += PQntuples(r);
      ++results;
      check(r, conn_, "pipeline");
    }
    if (results != rows.size()) throw std::runtime_error("pipeline: missing results");
    if (PQexitPipelineMode(conn_) != 1) die("exit pipeline mode", conn_);
  }

  void single_row(const std::vector<AbRow>& rows) {
    prepare_single("single");
    for (const auto& r : rows) {
      Params p = single_params(r);
      exec_prepared("single", p);
    }
  }

  // Through the library.
  std::shared_ptr<const upsert::Table> library_table(const std::string& form) {
    create(form);
    return std::make_shared<const upsert::Table>(upsert::Table(table(form))
                                                     .column("ab_test_id", upsert::Type::int64)
                                                     .column("version", upsert::Type::text)
                                                     .column("date", upsert::Type::date)
                                                     .column("hour", upsert::Type::int64)
                                                     .column("participants", upsert::Type::int64)
                                                     .column("conversions", upsert::Type::int64)
                                                     .unique_key({"ab_test_id", "version", "date", "hour"}));
  }
  upsert::Upsert library_upsert(const std::shared_ptr<const upsert::Table>& t, const std::vector<AbRow>& rows) const {
    upsert::Upsert s = upsert::insert_into(t);
    for (const auto& r : rows) {
      s.row({r.test, r.version, upsert::Date::from_days_since_epoch(r.days), r.hour, r.participants, r.conversions});
    }
    s.on_conflict({"ab_test_id", "version", "date", "hour"})
        .do_update(upsert::add_proposed({"participants", "conversions"}));
    if (o_.returning) s.returning({"participants"}).returning_inserted_flag();
    return s;
  }

  std::string fingerprint(const std::string& t) {
    PGresult* r =
        PQexec(conn_, ("SELECT count(*), coalesce(sum(participants), 0), coalesce(sum(conversions), 0), "
                       "md5(coalesce(string_agg(concat_ws('|', ab_test_id, version, date, hour, "
                       "participants, conversions), ';' ORDER BY ab_test_id, version, date, hour), '')) FROM " +
                       t)
                          .c_str());
    std::string out;
    if (PQresultStatus(r) == PGRES_TUPLES_OK) {
      for (int c = 0; c < PQnfields(r); ++c) out += std::string(PQgetvalue(r, 0, c)) + " ";
    }
    PQclear(r);
    return out;
  }

  Options o_;
  PGconn* conn_ = nullptr;
  std::string suffix_;
  std::vector<std::string> tables_;
  std::set<std::string> prepared_;
  std::int64_t returned_ = 0;
};

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? 0 : v[v.size() / 2];
}

void Bench::run() {
  struct Form {
    std::string name;
    bool batched;  // N rows per statement; otherwise one row per statement on o_.single rows
    std::function<void(const std::vector<AbRow>&)> statement;
    std::vector<double> seconds;
    // When set, called once with all of a repetition's statements instead of `statement` per statement.
    std::function<void(const std::vector<std::vector<AbRow>>&)> repetition = {};
  };
  upsert::Connection db = upsert::connect(o_.url);
  auto lib_batch = library_table("lib_batch");
  auto lib_values = library_table("lib_values");
  auto lib_single = library_table("lib_single");
  std::vector<Form> forms;
  forms.push_back({"values", true, [&](const auto& rows) { values(rows); }, {}});
  forms.push_back({"unnest_text", true, [&](const auto& rows) { unnest_text(rows); }, {}});
  forms.push_back({"unnest_bin", true, [&](const auto& rows) { unnest_binary(rows); }, {}});
  forms.push_back({"unnest_pipe", true, {}, {}, [&](const auto& statements) { unnest_pipeline(statements); }});
  forms.push_back({"values_once", true, [&](const auto& rows) { values_once(rows); }, {}});
  forms.push_back({"unnest_once", true, [&](const auto& rows) { unnest_once(rows); }, {}});
  forms.push_back({"pipeline", true, [&](const auto& rows) { pipeline(rows); }, {}});
  forms.push_back({"single", false, [&](const auto& rows) { single_row(rows); }, {}});
  forms.push_back({"lib_batch",
                   true,
                   [&](const auto& rows) {
                     db.execute_batch(library_upsert(lib_batch, rows), {.max_rows_per_statement = rows.size()});
                   },
                   {}});
  // One execute_batch of a repetition's rows, cut into statements of N rows: a flush, which the
  // library sends in pipeline mode.
  auto lib_flush = library_table("lib_flush");
  forms.push_back({"lib_flush", true, {}, {}, [&](const auto& statements) {
                     std::vector<AbRow> all;
                     for (const auto& rows : statements) all.insert(all.end(), rows.begin(), rows.end());
                     db.execute_batch(library_upsert(lib_flush, all),
                                      {.max_rows_per_statement = static_cast<std::size_t>(o_.rows)});
                   }});
  // Connection::execute of the sorted N-row statement: the multi-row VALUES form, which was
  // the batch form before PostgreSQL had its own.
  forms.push_back({"lib_values", true, [&](const auto& rows) { db.execute(library_upsert(lib_values, rows)); }, {}});
  forms.push_back({"lib_single",
                   false,
                   [&](const auto& rows) {
                     for (const auto& r : rows) db.execute(library_upsert(lib_single, {r}));
                   },
                   {}});
  for (auto& f : forms) {
    if (f.name.rfind("lib_", 0) != 0) create(f.name);
  }

  const std::int64_t per_rep = std::int64_t{o_.rows} * o_.statements;
  for (int rep = 0; rep <= o_.reps; ++rep) {
    // Half of each repetition's keys are new (inserts), half were written by the one before (updates).
    const std::int64_t first = rep * per_rep / 2;
    std::vector<std::vector<AbRow>> statements;
    for (int s = 0; s < o_.statements; ++s) statements.push_back(make_rows(first + s * o_.rows, o_.rows));
    const std::vector<AbRow> singles = make_rows(first, o_.single);
    for (std::size_t k = 0; k < forms.size(); ++k) {
      Form& f = forms[(k + static_cast<std::size_t>(rep)) % forms.size()];
      const auto start = Clock::now();
      if (f.repetition) {
        f.repetition(statements);
      } else if (f.batched) {
        for (const auto& rows : statements) f.statement(rows);
      } else {
        f.statement(singles);
      }
      const double seconds = std::chrono::duration<double>(Clock::now() - start).count();
      if (rep > 0) f.seconds.push_back(seconds);  // repetition 0 warms caches and plans up
    }
  }

  std::printf("%d rows per statement, %d statements per repetition, %d repetitions, single-row forms on %d rows%s\n",
              o_.rows, o_.statements, o_.reps, o_.single, o_.returning ? ", with RETURNING" : "");
  std::printf("%-12s %12s %12s %14s %10s %10s\n", "form", "median ms", "rows/s", "time/values", "min", "max");
  const Form& base = forms[0];
  for (const Form& f : forms) {
    const double rows = f.batched ? static_cast<double>(per_rep) : o_.single;
    // Per repetition: seconds per row of this form over seconds per row of `values`.
    std::vector<double> ratios;
    for (std::size_t i = 0; i < f.seconds.size(); ++i) {
      ratios.push_back((f.seconds[i] / rows) / (base.seconds[i] / static_cast<double>(per_rep)));
    }
    std::printf("%-12s %12.1f %12.0f %14.3f %10.3f %10.3f\n", f.name.c_str(), median(f.seconds) * 1000,
                rows / median(f.seconds), median(ratios), *std::min_element(ratios.begin(), ratios.end()),
                *std::max_element(ratios.begin(), ratios.end()));
  }

  // Every batched form wrote the same rows: the tables must be equal.
  const std::string expected = fingerprint(table("values"));
  bool equal = true;
  for (const Form& f : forms) {
    if (!f.batched) continue;
    const std::string got = fingerprint(table(f.name));
    if (got != expected) {
      std::printf("MISMATCH %s: %s vs values: %s\n", f.name.c_str(), got.c_str(), expected.c_str());
      equal = false;
    }
  }
  if (fingerprint(table("single")) != fingerprint(table("lib_single"))) {
    std::printf("MISMATCH single vs lib_single\n");
    equal = false;
  }
  std::printf("tables equal: %s (%s)\n", equal ? "yes" : "NO", expected.c_str());
  if (!equal) throw std::runtime_error("the forms wrote different tables");
}

}  // namespace

int main(int argc, char** argv) {
  Options o;
  if (const char* url = std::getenv("UPSERT_TEST_POSTGRES_URL")) o.url = url;
  for (int i = 1; i < argc; ++i) {
    const std::string a = argv[i];
    auto next = [&]() -> std::string {
      if (i + 1 >= argc) throw std::runtime_error(a + " needs a value");
      return argv[++i];
    };
    if (a == "--url")
      o.url = next();
    else if (a == "--rows")
      o.rows = std::stoi(next());
    else if (a == "--statements")
      o.statements = std::stoi(next());
    else if (a == "--reps")
      o.reps = std::stoi(next());
    else if (a == "--single")
      o.single = std::stoi(next());
    else if (a == "--returning")
      o.returning = true;
    else
      throw std::runtime_error("unknown option " + a);
  }
  if (o.url.empty()) {
    std::fprintf(stderr, "no URL: pass --url or set UPSERT_TEST_POSTGRES_URL\n");
    return 2;
  }
  try {
    Bench bench(o);
    bench.run();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "error: %s\n", e.what());
    return 1;
  }
  return 0;
}
