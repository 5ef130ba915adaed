// Differential test: one seeded random sequence of upserts (mixed keys, increments, conditional
// updates, GREATEST/LEAST, NULLs in non-key columns, multi-row statements) is applied to SQLite,
// PostgreSQL and MariaDB and to an in-memory model of PostgreSQL's semantics. The four final
// tables must be identical.

#include <map>
#include <optional>
#include <random>

#include "support/engine_fixture.hpp"

namespace upsert::testing {
namespace {

using Opt = std::optional<std::int64_t>;

struct ModelRow {
  std::int64_t n = 0;
  Opt hi, lo, v;
  std::optional<std::string> note;
};
using Key = std::pair<std::int64_t, std::string>;
using Model = std::map<Key, ModelRow>;

Opt greatest_of(Opt a, Opt b) {
  return !a ? b : !b ? a : std::max(*a, *b);
}
Opt least_of(Opt a, Opt b) {
  return !a ? b : !b ? a : std::min(*a, *b);
}
Value value_of(Opt o) {
  return o ? Value(*o) : Value();
}
Value value_of(const std::optional<std::string>& o) {
  return o ? Value(*o) : Value();
}

struct Proposed {
  Key key;
  std::int64_t n;
  Opt hi, lo, v;
  std::optional<std::string> note;
  Row row() const { return {key.first, key.second, n, value_of(hi), value_of(lo), value_of(v), value_of(note)}; }
};

enum class Op { add, insert_only, versioned, wrap_around };

// What each operation does on conflict, as expressions...
std::vector<Assignment> assignments_for(Op op) {
  switch (op) {
    case Op::add:
      return {{"n", col("n") + proposed("n")},
              {"hi", greatest({col("hi"), proposed("hi")})},
              {"lo", least({col("lo"), proposed("lo")})}};
    case Op::versioned: return {{"v", proposed("v")}, {"note", proposed("note")}};
    case Op::wrap_around:
      return {{"n", case_when({{col("n") > 100, col("n") - 100}}, col("n") + proposed("n"))},
              {"note", coalesce({proposed("note"), col("note")})}};
    case Op::insert_only: return {};
  }
  return {};
}
std::optional<Expr> condition_for(Op op) {
  if (op == Op::versioned) return is_null(col("v")) || proposed("v") > col("v");
  return std::nullopt;
}

// ... and the same in C++, on the model.
void apply(Model& model, Op op, const Proposed& p) {
  auto it = model.find(p.key);
  if (it == model.end()) {
    model[p.key] = ModelRow{p.n, p.hi, p.lo, p.v, p.note};
    return;
  }
  ModelRow& r = it->second;
  switch (op) {
    case Op::add:
      r.n += p.n;
      r.hi = greatest_of(r.hi, p.hi);
      r.lo = least_of(r.lo, p.lo);
      break;
    case Op::versioned:
      if (!r.v || (p.v && *p.v > *r.v)) {
        r.v = p.v;
        r.note = p.note;
      }
      break;
    case Op::wrap_around:
      r.n = r.n > 100 ? r.n - 100 : r.n + p.n;
      if (p.note) r.note = p.note;
      break;
    case Op::insert_only: break;
  }
}

TEST(Differential, SqlitePostgresAndMariadbEndEqualToTheModel) {
  const auto table = std::make_shared<const Table>(Table(unique_table_name("diff"))
                                                       .column("k1", Type::int64)
                                                       .column("k2", Type::text)
                                                       .column("n", Type::int64, default_value(0), not_null)
                                                       .column("hi", Type::int64)
                                                       .column("lo", Type::int64)
                                                       .column("v", Type::int64)
                                                       .column("note", Type::text)
                                                       .unique_key({"k1", "k2"}));
  std::vector<Connection> engines;
  for (Engine e : all_engines()) {
    engines.push_back(connect(engine_url(e)));
    drop_table(engines.back(), table->name());
    engines.back().create_table(*table);
  }

  std::mt19937_64 random(20261126);
  auto pick = [&](int lo, int hi) { return lo + static_cast<int>(random() % static_cast<unsigned>(hi - lo + 1)); };
  auto maybe = [&](int lo, int hi) -> Opt {
    if (pick(0, 3) == 0) return std::nullopt;
    return pick(lo, hi);
  };
  auto proposal = [&](Key key) {
    Proposed p{std::move(key), pick(-5, 20), maybe(-50, 50), maybe(-50, 50), maybe(0, 30), std::nullopt};
    if (pick(0, 2) > 0) p.note = "note " + std::to_string(pick(0, 99));
    return p;
  };
  auto random_key = [&] { return Key{pick(0, 40), std::string(1, static_cast<char>('a' + pick(0, 5)))}; };

  Model model;
  constexpr int operations = 3'000;
  for (int i = 0; i < operations; ++i) {
    Op op = static_cast<Op>(pick(0, 3));
    // Every fifth statement carries several rows with distinct keys.
    std::map<Key, Proposed> rows;
    int count = i % 5 == 0 ? pick(2, 6) : 1;
    while (static_cast<int>(rows.size()) < count) {
      Key k = random_key();
      rows.emplace(k, proposal(k));
    }
    Upsert s = insert_into(table);
    for (const auto& [k, p] : rows) s.row(p.row());
    s.on_conflict({"k1", "k2"});
    if (op == Op::insert_only) {
      s.do_nothing();
    } else {
      s.do_update(assignments_for(op), condition_for(op));
    }
    for (auto& c : engines) {
      ASSERT_NO_THROW(c.execute(s)) << dialect_name(c.dialect()) << " failed on operation " << i;
    }
    for (const auto& [k, p] : rows) apply(model, op, p);
  }

  std::vector<Row> expected;
  for (const auto& [k, r] : model) {
    expected.push_back({k.first, k.second, r.n, value_of(r.hi), value_of(r.lo), value_of(r.v), value_of(r.note)});
  }
  for (auto& c : engines) {
    auto stored = read_table(c, *table);
    ASSERT_EQ(stored.size(), expected.size()) << dialect_name(c.dialect());
    for (std::size_t i = 0; i < expected.size(); ++i) {
      EXPECT_EQ(stored[i], expected[i]) << dialect_name(c.dialect()) << ": " << row_text(stored[i]) << " vs model "
                                        << row_text(expected[i]);
    }
    drop_table(c, table->name());
  }
}

}  // namespace
}  // namespace upsert::testing
