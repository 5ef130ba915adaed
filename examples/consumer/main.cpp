// A user of the installed library: the README's A/B counter on SQLite, through execute, a batch
// and the counter writer, checked against the increments it sent. Exits 0 when every check holds.
// Usage: consumer [DIRECTORY] (for the SQLite file; default: the system's temporary directory).

#include <upsert/upsert.hpp>

#include <cstdint>
#include <filesystem>
#include <iostream>
#include <memory>
#include <string>

namespace {

int failures = 0;

void check(bool ok, const std::string& what) {
  std::cout << (ok ? "ok: " : "FAILED: ") << what << "\n";
  if (!ok) ++failures;
}

std::int64_t participants(upsert::Connection& db, std::int64_t hour) {
  const std::string sql =
      "SELECT participants FROM ab_hourly WHERE ab_test_id = 7 AND version = 'B' AND hour = " + std::to_string(hour);
  auto rows = db.query(upsert::Sql{sql, {}}, {upsert::Type::int64});
  return rows.empty() ? -1 : rows[0][0].as<std::int64_t>();
}

}  // namespace

int main(int argc, char** argv) {
  const std::filesystem::path dir = argc > 1 ? argv[1] : std::filesystem::temp_directory_path();
  const std::filesystem::path file = dir / "upsert-consumer.db";
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(file.string() + suffix);
  const std::string url = "sqlite:" + file.string();

  auto ab = std::make_shared<const upsert::Table>(
      upsert::Table("ab_hourly")
          .column("ab_test_id", upsert::Type::int64)
          .column("version", upsert::Type::text)
          .column("date", upsert::Type::date)
          .column("hour", upsert::Type::int64)
          .column("participants", upsert::Type::int64, upsert::default_value(0), upsert::not_null)
          .column("conversions", upsert::Type::int64, upsert::default_value(0), upsert::not_null)
          .unique_key({"ab_test_id", "version", "date", "hour"}));
  const upsert::Date date(2026, 11, 26);

  try {
    upsert::Connection db = upsert::connect(url);
    db.create_table(*ab);

    // One upsert, twice: the second adds to the first.
    auto stmt = upsert::insert_into(ab)
                    .row({7, "B", date, 13, 1, 0})
                    .on_conflict({"ab_test_id", "version", "date", "hour"})
                    .do_update(upsert::add_proposed({"participants", "conversions"}));
    db.execute(stmt);
    db.execute(stmt);
    check(participants(db, 13) == 2, "execute twice adds up");

    // A batch with a repeated key: merged, as if applied one by one.
    auto batch = upsert::insert_into(ab)
                     .rows({{7, "B", date, 14, 1, 0}, {7, "B", date, 14, 1, 1}, {7, "B", date, 15, 1, 0}})
                     .on_conflict({"ab_test_id", "version", "date", "hour"})
                     .do_update(upsert::add_proposed({"participants", "conversions"}));
    upsert::BatchResult r = db.execute_batch(batch);
    check(r.merged_rows == 2 && participants(db, 14) == 2 && participants(db, 15) == 1, "a batch merges equal keys");

    // The library's errors cross into the program with their category.
    try {
      db.execute(upsert::insert_into(ab).row({7, nullptr, date, 13, 1, 0}).do_nothing());
      check(false, "a NULL key is refused");
    } catch (const upsert::Error& e) {
      check(e.category() == upsert::ErrorCategory::invalid_argument, "a NULL key is refused as invalid_argument");
    }

    // The counter writer, from this thread: 1,000 increments of one key.
    {
      upsert::CounterWriter counts(
          upsert::connect(url), ab,
          {.key = {"ab_test_id", "version", "date", "hour"}, .sum = {"participants", "conversions"}});
      for (int i = 0; i < 1000; ++i) counts.add({7, "B", date, 16}, {1, 0});
      upsert::WriterStats stats = counts.close();
      check(stats.accepted == 1000, "the writer took every increment");
    }
    check(participants(db, 16) == 1000, "the writer's increments are in the table");

    std::cout << upsert::render(stmt, upsert::Dialect::postgresql).text << "\n";
  } catch (const upsert::Error& e) {
    std::cout << "FAILED: " << upsert::category_name(e.category()) << ": " << e.what() << "\n";
    ++failures;
  }
  for (const char* suffix : {"", "-wal", "-shm"}) std::filesystem::remove(file.string() + suffix);
  std::cout << (failures == 0 ? "consumer: every check passed\n" : "consumer: checks failed\n");
  return failures == 0 ? 0 : 1;
}
