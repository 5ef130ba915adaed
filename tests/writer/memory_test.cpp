// How much memory a pending key costs (issue 13: "bytes of memory per pending key measured and
// stated"): 100,000 distinct A/B keys (an integer, a short text, a date and an hour; two sums) held by
// a writer that does not flush yet, measured as the growth of glibc's allocated bytes (mallinfo2).
// The README states the printed figure; the bound catches a regression that doubles it.

#include <malloc.h>

#include "render/fixtures.hpp"
#include "support/engine_fixture.hpp"

// Sanitizer builds replace glibc's allocator, whose counters this reads: the test is not built there.
#if !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
namespace upsert::testing {
namespace {

TEST(WriterMemory, APendingKeyCostsUnder600Bytes) {
  auto table = std::make_shared<const Table>(ab_table(unique_table_name("writer_memory")));
  const std::string url = engine_url(Engine::sqlite, fresh_sqlite_path());
  Connection db = connect(url);
  db.create_table(*table);
  CounterWriterOptions o;
  o.key = {"ab_test_id", "version", "date", "hour"};
  o.sum = {"participants", "conversions"};
  o.flush_interval = std::chrono::hours(1);
  o.flush_at_pending_keys = 1'000'000;
  CounterWriter writer(connect(url), table, o);
  constexpr int keys = 100'000;
  const Date day(2026, 11, 26);
  const std::size_t before = mallinfo2().uordblks;
  for (int i = 0; i < keys; ++i) writer.add({i / 24, "B", day, i % 24}, {1, 0});
  const std::size_t after = mallinfo2().uordblks;
  EXPECT_EQ(writer.stats().pending_keys, static_cast<std::uint64_t>(keys));
  const double per_key = static_cast<double>(after - before) / keys;
  std::printf("a pending key costs %.0f bytes (%d keys, 4 key and 2 value columns)\n", per_key, keys);
  RecordProperty("bytes_per_pending_key", static_cast<int>(per_key));
  EXPECT_LT(per_key, 600);
  writer.close();
  EXPECT_EQ(query_int(db, "SELECT SUM(participants) FROM " + quote_identifier(table->name(), Dialect::sqlite)), keys);
}

}  // namespace
}  // namespace upsert::testing
#endif
