// A warm prepared upsert allocates nothing per call on SQLite (issue 13): the global operator new
// is replaced by one that counts, so this test has its own executable (prepared_alloc_tests) and
// the rest of the suite keeps the sanitizers' own operator new. PostgreSQL and MariaDB print their
// count (their drivers build per-call parameter buffers).

#include <cstdlib>
#include <functional>
#include <new>

#include "support/engine_fixture.hpp"

namespace {
thread_local bool counting = false;
thread_local std::size_t allocations = 0;
}  // namespace

void* operator new(std::size_t size) {
  if (counting) ++allocations;
  if (void* p = std::malloc(size == 0 ? 1 : size)) return p;
  throw std::bad_alloc();
}
// GCC cannot see that this operator delete pairs with the operator new above.
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wmismatched-new-delete"
void operator delete(void* p) noexcept {
  std::free(p);
}
void operator delete(void* p, std::size_t) noexcept {
  std::free(p);
}
#pragma GCC diagnostic pop

namespace upsert::testing {
namespace {

class PreparedAllocations : public EngineTest {
 protected:
  // Calls `call` 10 times to warm up, then 100 times counting allocations: none on SQLite; the
  // servers' counts are printed (their drivers build per-call parameter buffers).
  void expect_no_allocations_on_sqlite(const std::function<void()>& call) {
    for (int i = 0; i < 10; ++i) call();
    counting = true;
    allocations = 0;
    for (int i = 0; i < 100; ++i) call();
    counting = false;
    const std::size_t seen = allocations;
    if (GetParam() == Engine::sqlite) {
      EXPECT_EQ(seen, 0u) << "allocations in 100 warm calls";
    } else {
      std::printf("%s: %zu allocations in 100 warm calls\n", engine_name(GetParam()).c_str(), seen);
    }
  }
};

TEST_P(PreparedAllocations, AWarmCallAllocatesNothingOnSqlite) {
  auto t = create(Table(unique_table_name("prep_alloc"))
                      .column("k", Type::int64)
                      .column("tag", Type::text)
                      .column("n", Type::int64, default_value(0), not_null)
                      .column("hi", Type::float64)
                      .primary_key({"k", "tag"}));
  Upsert shape = insert_into(t);
  shape.on_conflict({"k", "tag"}).do_update({{"n", col("n") + proposed("n")}});
  PreparedUpsert p = db().prepare(shape);
  const Row row{1, "a", 1, 0.5};  // short text: copying it allocates nothing either
  expect_no_allocations_on_sqlite([&] { p.execute(row); });
  EXPECT_EQ(all_rows(*t), (std::vector<Row>{{1, "a", 110, 0.5}}));
}

// Connection::execute of a one-row upsert whose shape it ran sends the kept SQL: it renders nothing,
// which would allocate the text and the parameters.
TEST_P(PreparedAllocations, AOneRowExecuteOfAShapeItRanAllocatesNothingOnSqlite) {
  auto t = create(Table(unique_table_name("exec_alloc"))
                      .column("k", Type::int64)
                      .column("tag", Type::text)
                      .column("n", Type::int64, default_value(0), not_null)
                      .primary_key({"k", "tag"}));
  Upsert statement = insert_into(t);
  statement.on_conflict({"k", "tag"}).do_update({{"n", col("n") + proposed("n") * val(2)}}).row(Row{1, "a", 1});
  expect_no_allocations_on_sqlite([&] { db().execute(statement); });
  EXPECT_EQ(all_rows(*t), (std::vector<Row>{{1, "a", 219}}));  // inserted with 1, then 109 times + 2
}

INSTANTIATE_TEST_SUITE_P(Engines, PreparedAllocations, ::testing::ValuesIn(all_engines()), EngineName());

}  // namespace
}  // namespace upsert::testing
