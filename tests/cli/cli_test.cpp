// `upsert ingest`, `upsert demo` and `upsert sql` as separate processes: generated CSV and JSON
// Lines files with hot and duplicate keys, concurrent ingests, every bad-row case, exit codes.

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <fstream>
#include <map>
#include <random>
#include <sstream>
#include <thread>

#include "drivers/engine_fixture.hpp"

namespace upsert::testing {
namespace {

struct CliRun {
  int exit_code = -1;
  std::string out, err;
};

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

// Runs the CLI with `args` (shell words, already quoted where needed).
CliRun run_cli(const std::string& args) {
  static std::atomic<int> counter{0};
  const std::string base = fresh_sqlite_path() + ".run" + std::to_string(counter++);
  const std::string command = std::string(UPSERT_CLI) + " " + args + " >" + base + ".out 2>" + base + ".err </dev/null";
  int status = std::system(command.c_str());
  CliRun r;
  r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  r.out = slurp(base + ".out");
  r.err = slurp(base + ".err");
  return r;
}

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

// Events over (test, version, hour) with a few very hot keys; sums computed here, independently.
struct Events {
  std::map<std::tuple<std::int64_t, std::string, std::int64_t>, std::pair<std::int64_t, std::int64_t>> sums;
  std::int64_t participants = 0, conversions = 0;
};

Events write_events(const std::string& path, bool jsonl, int count, unsigned seed) {
  std::mt19937_64 random(seed);
  std::ofstream out(path);
  Events e;
  if (!jsonl) out << "ab_test_id,version,hour,participants,conversions\n";
  for (int i = 0; i < count; ++i) {
    const bool hot = random() % 2 == 0;
    const std::int64_t test = hot ? static_cast<std::int64_t>(random() % 2) : static_cast<std::int64_t>(random() % 500);
    const std::string version = random() % 2 ? "B" : "A, \"quoted\"";
    const std::int64_t hour = static_cast<std::int64_t>(random() % 24);
    const std::int64_t p = static_cast<std::int64_t>(random() % 3) + 1, c = random() % 20 == 0 ? 1 : 0;
    if (jsonl) {
      out << "{\"ab_test_id\":" << test << ",\"version\":\"" << (version == "B" ? "B" : "A, \\\"quoted\\\"")
          << "\",\"hour\":" << hour << ",\"participants\":" << p << ",\"conversions\":" << c << "}\n";
    } else {
      out << test << "," << (version == "B" ? "B" : "\"A, \"\"quoted\"\"\"") << "," << hour << "," << p << "," << c
          << "\n";
    }
    auto& s = e.sums[{test, version, hour}];
    s.first += p;
    s.second += c;
    e.participants += p;
    e.conversions += c;
  }
  return e;
}

const std::string ab_options =
    "--table {} --key ab_test_id,version,hour --sum participants,conversions --types ab_test_id:int64,hour:int64 "
    "--create";

std::shared_ptr<const Table> ab_table_named(const std::string& name) {
  return std::make_shared<const Table>(Table(name)
                                           .column("ab_test_id", Type::int64)
                                           .column("version", Type::text)
                                           .column("hour", Type::int64)
                                           .column("participants", Type::int64, default_value(0), not_null)
                                           .column("conversions", Type::int64, default_value(0), not_null)
                                           .unique_key({"ab_test_id", "version", "hour"}));
}

void expect_table_equals(Connection& c, const Table& t, const Events& e) {
  auto rows = read_table(c, t);
  ASSERT_EQ(rows.size(), e.sums.size());
  std::size_t i = 0;
  for (const auto& [key, sums] : e.sums) {
    const Row expected{std::get<0>(key), std::get<1>(key), std::get<2>(key), sums.first, sums.second};
    EXPECT_EQ(rows[i], expected) << row_text(rows[i]) << " vs " << row_text(expected);
    if (rows[i] != expected) break;
    ++i;
  }
}

class Ingest : public EngineTest {
 protected:
  std::string options_for(const std::string& table) {
    return fmt::format(fmt::runtime(ab_options), table) + " --db '" + url_ + "'";
  }
};

TEST_P(Ingest, CsvAndJsonLinesOfTwoHundredThousandEventsGiveExactSums) {
  for (bool jsonl : {false, true}) {
    const std::string name = unique_table_name("ingest");
    const std::string file = fresh_sqlite_path() + (jsonl ? ".jsonl" : ".csv");
    Events e = write_events(file, jsonl, 200'000, jsonl ? 1 : 2);
    CliRun r = run_cli("ingest " + file + " " + options_for(name));
    created_.push_back(name);
    ASSERT_EQ(r.exit_code, 0) << r.err;
    EXPECT_TRUE(contains(r.out, "rows read: 200000")) << r.out;
    EXPECT_TRUE(contains(r.out, "rows rejected: 0")) << r.out;
    expect_table_equals(db(), *ab_table_named(name), e);
  }
}

TEST_P(Ingest, TwoProcessesAtOnceOnOneTableGiveExactSums) {
  const std::string name = unique_table_name("twice");
  created_.push_back(name);
  // Create the table first so that the two processes do not race on CREATE TABLE.
  db().create_table(*ab_table_named(name));
  const std::string a = fresh_sqlite_path() + ".csv", b = fresh_sqlite_path() + ".csv";
  Events ea = write_events(a, false, 100'000, 3), eb = write_events(b, false, 100'000, 4);
  CliRun ra, rb;
  std::thread ta([&] { ra = run_cli("ingest " + a + " " + options_for(name) + " --flush-ms 5"); });
  std::thread tb([&] { rb = run_cli("ingest " + b + " " + options_for(name) + " --flush-ms 5"); });
  ta.join();
  tb.join();
  ASSERT_EQ(ra.exit_code, 0) << ra.err;
  ASSERT_EQ(rb.exit_code, 0) << rb.err;
  Events both = ea;
  for (const auto& [k, s] : eb.sums) {
    both.sums[k].first += s.first;
    both.sums[k].second += s.second;
  }
  expect_table_equals(db(), *ab_table_named(name), both);
}

INSTANTIATE_TEST_SUITE_P(Engines, Ingest, ::testing::ValuesIn(all_engines()), EngineName());

// Bad rows, on SQLite: each case names the line, the column and the reason; `stop` writes what
// came before and reads nothing after; `skip` writes every good row. Never half a row.
struct BadRowCase {
  std::string name;
  std::string csv_line;           // a data line of k,n,m
  std::string json_line;          // the same as JSON
  std::string message;            // a fragment the report must hold
  std::string json_message = {};  // for JSON Lines, when it differs
};

void PrintTo(const BadRowCase& c, std::ostream* os) {
  *os << c.name;
}

class BadRows : public ::testing::TestWithParam<std::tuple<BadRowCase, bool, bool>> {};

TEST_P(BadRows, AreReportedAndNeverHalfApplied) {
  const auto& [c, jsonl, skip] = GetParam();
  const std::string db_path = fresh_sqlite_path();
  const std::string file = db_path + (jsonl ? ".jsonl" : ".csv");
  {
    std::ofstream out(file);
    if (jsonl) {
      out << "{\"k\":\"a\",\"n\":1,\"m\":5}\n" << c.json_line << "\n{\"k\":\"b\",\"n\":2,\"m\":7}\n";
    } else {
      out << "k,n,m\na,1,5\n" << c.csv_line << "\nb,2,7\n";
    }
  }
  CliRun r = run_cli("ingest " + file + " --db sqlite:" + db_path +
                     " --table t --key k --sum n --max m --types n:int64,m:int64 --create --on-bad-row " +
                     (skip ? "skip" : "stop"));
  // CSV has its header on line 1, so the bad record is on line 3; in JSON Lines on line 2.
  EXPECT_TRUE(contains(r.err, jsonl ? "line 2" : "line 3")) << r.err;
  EXPECT_TRUE(contains(r.err, jsonl && !c.json_message.empty() ? c.json_message : c.message)) << r.err;
  EXPECT_EQ(r.exit_code, skip ? 0 : 1) << r.out << r.err;
  EXPECT_TRUE(contains(r.out, "rows rejected: 1")) << r.out;
  Connection check = connect("sqlite:" + db_path);
  auto t = Table("t").column("k", Type::text).column("n", Type::int64).column("m", Type::int64).unique_key({"k"});
  // The good row before is always written, the one after only with skip; the bad row never.
  std::vector<Row> expected{{"a", 1, 5}};
  if (skip) expected.push_back({"b", 2, 7});
  EXPECT_EQ(read_table(check, t), expected);
}

const BadRowCase bad_row_cases[] = {
    {"missing_key", "", "{\"n\":1,\"m\":1}", "missing key field"},
    {"empty_key", ",1,1", "{\"k\":\"\",\"n\":1,\"m\":1}", "empty key"},
    {"null_key", "", "{\"k\":null,\"n\":1,\"m\":1}", "NULL or empty key"},
    {"bad_number", "c,x1,1", "{\"k\":\"c\",\"n\":\"x1\",\"m\":1}", "\"x1\" is not a number"},
    {"fraction_in_int", "c,1.5,1", "{\"k\":\"c\",\"n\":1.5,\"m\":1}", "not a whole number"},
    {"wrong_type", "c,true,1", "{\"k\":\"c\",\"n\":true,\"m\":1}", "is not a number"},
    {"second_column_bad", "c,1,zz", "{\"k\":\"c\",\"n\":1,\"m\":\"zz\"}", "column \"m\""},
    {"malformed_record", "c,1", "{\"k\":\"c\",", "2 fields where the header has 3", "not valid JSON"},
};

std::vector<std::tuple<BadRowCase, bool, bool>> bad_row_matrix() {
  std::vector<std::tuple<BadRowCase, bool, bool>> out;
  for (const auto& c : bad_row_cases) {
    for (bool jsonl : {false, true}) {
      // A CSV line cannot say NULL or leave the key out while keeping the other fields.
      if (!jsonl && c.csv_line.empty()) continue;
      for (bool skip : {false, true}) out.emplace_back(c, jsonl, skip);
    }
  }
  return out;
}

std::string bad_row_name(const ::testing::TestParamInfo<std::tuple<BadRowCase, bool, bool>>& param_info) {
  const BadRowCase& c = std::get<0>(param_info.param);
  return c.name + (std::get<1>(param_info.param) ? "_jsonl" : "_csv") +
         (std::get<2>(param_info.param) ? "_skip" : "_stop");
}

INSTANTIATE_TEST_SUITE_P(Cases, BadRows, ::testing::ValuesIn(bad_row_matrix()), bad_row_name);

TEST(Demo, OnSqliteExitsZeroWithItsVerificationLine) {
  CliRun r = run_cli("demo --db sqlite:" + fresh_sqlite_path() + " --events 300000 --threads 4");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(contains(r.out, "verified: 300000 participants sent, 300000 stored, 0 lost")) << r.out;
}

TEST(Demo, OnPostgresExitsZeroWithItsVerificationLine) {
  CliRun r = run_cli("demo --db '" + engine_url(Engine::postgres) + "' --events 300000 --threads 4");
  EXPECT_EQ(r.exit_code, 0) << r.err;
  EXPECT_TRUE(contains(r.out, "verified: 300000 participants sent, 300000 stored, 0 lost")) << r.out;
}

TEST(Cli, UsageErrorsExitTwoAndHelpExplainsWithAnExample) {
  EXPECT_EQ(run_cli("").exit_code, 2);
  EXPECT_EQ(run_cli("ingest --table t").exit_code, 2);
  EXPECT_EQ(run_cli("sql --table t --key k --dialect nosuch").exit_code, 2);
  for (const char* command : {"sql", "ingest", "demo"}) {
    CliRun help = run_cli(std::string(command) + " --help");
    EXPECT_EQ(help.exit_code, 0);
    EXPECT_TRUE(contains(help.out, "Example")) << command;
  }
}

TEST(Cli, SqlPrintsTheUpsertForEveryDialect) {
  CliRun r = run_cli(
      "sql --table ab_hourly --key ab_test_id,version,date,hour --sum participants,conversions "
      "--types ab_test_id:int64,date:date,hour:int64");
  ASSERT_EQ(r.exit_code, 0) << r.err;
  for (const char* fragment :
       {"-- sqlite", "excluded.\"participants\"", "EXCLUDED.\"participants\"", "AS `new` ON DUPLICATE KEY UPDATE",
        "VALUE(`participants`)", "MERGE INTO \"AB_HOURLY\"", "WITH (UPDLOCK, HOLDLOCK)"}) {
    EXPECT_TRUE(contains(r.out, fragment)) << fragment << "\n" << r.out;
  }
}

}  // namespace
}  // namespace upsert::testing
