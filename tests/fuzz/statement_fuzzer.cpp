// libFuzzer target, structure-aware: the input bytes drive the choices that build a table (columns
// of every type, defaults, identity, primary, unique, partial and NULLS NOT DISTINCT keys) and an
// upsert on it (insert columns, rows of any values, conflict target, do_nothing or do_update with
// aggregates and expression trees of every kind, including malformed ones, a WHERE, RETURNING),
// then renders the statement and the table's DDL in all six dialects. Checked: no crash; rendering
// twice gives the same text and parameters; every refusal is an upsert::Error (any other
// exception escapes and libFuzzer reports it); no text value is ever spliced into the statement.

#include <fuzzer/FuzzedDataProvider.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "reader_check.hpp"
#include "upsert/upsert.hpp"

namespace {

using namespace upsert;
using upsert::fuzz::require;

// A text value that must never appear in rendered statement text (values are bound).
constexpr const char* sentinel = "zq'x\"sentinel";

class Builder {
 public:
  explicit Builder(FuzzedDataProvider& in) : in_(in) {}

  // A column or key name: mostly one of a few valid names (so statements often check out),
  // sometimes arbitrary bytes (so identifier validation is fuzzed too).
  std::string name() {
    static const char* const names[] = {"a", "b", "c", "d", "e", "n", "k", "Note_1"};
    if (in_.ConsumeIntegralInRange(0, 15) == 0) return in_.ConsumeRandomLengthString(70);
    return names[in_.ConsumeIntegralInRange<std::size_t>(0, 7)];
  }

  Type type() { return static_cast<Type>(in_.ConsumeIntegralInRange(0, 6)); }

  Value value() {
    switch (in_.ConsumeIntegralInRange(0, 9)) {
      case 0: return Value();
      case 1: return Value(in_.ConsumeIntegral<std::int64_t>());
      case 2: return Value(in_.ConsumeIntegralInRange<std::int64_t>(-3, 3));
      case 3: return Value(in_.ConsumeFloatingPoint<double>());
      case 4: return Value(in_.ConsumeBool());
      case 5: return Value(in_.ConsumeBool() ? std::string(sentinel) : in_.ConsumeRandomLengthString(20));
      case 6: {
        try {
          return Value(Date(in_.ConsumeIntegralInRange(0, 10000), in_.ConsumeIntegralInRange(0, 13),
                            in_.ConsumeIntegralInRange(0, 32)));
        } catch (const Error&) {
          return Value(Date());
        }
      }
      case 7: return Value(Timestamp{in_.ConsumeIntegral<std::int64_t>()});
      case 8: {
        Bytes b;
        b.data = in_.ConsumeBytes<std::uint8_t>(in_.ConsumeIntegralInRange(0, 8));
        return Value(std::move(b));
      }
      default: return Value(std::string(sentinel));
    }
  }

  std::vector<std::string> names(int most) {
    std::vector<std::string> out(in_.ConsumeIntegralInRange(0, most));
    for (auto& n : out) n = name();
    return out;
  }

  Expr expr(int depth) {
    const int leaf_only = depth <= 0 ? 3 : 24;
    switch (int choice = in_.ConsumeIntegralInRange(0, leaf_only)) {
      case 0: return col(name());
      case 1: return proposed(name());
      case 2: return val(value());
      case 3: return null();
      case 4: {
        std::vector<std::pair<Expr, Expr>> whens(in_.ConsumeIntegralInRange(0, 3));
        for (auto& [c, v] : whens) {
          c = expr(depth - 1);
          v = expr(depth - 1);
        }
        std::optional<Expr> otherwise;
        if (in_.ConsumeBool()) otherwise = expr(depth - 1);
        return case_when(std::move(whens), std::move(otherwise));
      }
      default: {
        // Any operator kind with any number of operands: the right count most of the time.
        static const ExprKind kinds[] = {
            ExprKind::add,           ExprKind::subtract,  ExprKind::multiply, ExprKind::divide,     ExprKind::negate,
            ExprKind::equal,         ExprKind::not_equal, ExprKind::less,     ExprKind::less_equal, ExprKind::greater,
            ExprKind::greater_equal, ExprKind::and_,      ExprKind::or_,      ExprKind::not_,       ExprKind::is_null,
            ExprKind::is_not_null,   ExprKind::coalesce,  ExprKind::greatest, ExprKind::least,      ExprKind::case_when,
            ExprKind::existing,      ExprKind::proposed,  ExprKind::value,    ExprKind::null};
        const ExprKind kind = kinds[(choice - 5 + in_.ConsumeIntegralInRange(0, 23)) % 24];
        const bool unary = kind == ExprKind::negate || kind == ExprKind::not_ || kind == ExprKind::is_null ||
                           kind == ExprKind::is_not_null;
        std::size_t count = unary ? 1 : 2;
        if (kind == ExprKind::coalesce || kind == ExprKind::greatest || kind == ExprKind::least) {
          count = in_.ConsumeIntegralInRange(1, 4);
        }
        if (in_.ConsumeIntegralInRange(0, 15) == 0) count = in_.ConsumeIntegralInRange(0, 4);
        std::vector<Expr> args;
        for (std::size_t i = 0; i < count; ++i) args.push_back(expr(depth - 1));
        return Expr(kind, std::move(args));
      }
    }
  }

  std::shared_ptr<const Table> table() {
    auto t = std::make_shared<Table>(in_.ConsumeIntegralInRange(0, 15) == 0 ? in_.ConsumeRandomLengthString(70)
                                                                            : std::string("t"));
    const int columns = in_.ConsumeIntegralInRange(1, 6);
    for (int i = 0; i < columns; ++i) {
      Column c{name(), type()};
      c.nullable = in_.ConsumeBool();
      if (in_.ConsumeIntegralInRange(0, 3) == 0) c.default_value = value();
      c.identity = in_.ConsumeIntegralInRange(0, 7) == 0;
      if (in_.ConsumeIntegralInRange(0, 7) == 0) c.max_length = in_.ConsumeIntegralInRange(-5, 5000);
      t->add_column(std::move(c));
    }
    const int keys = in_.ConsumeIntegralInRange(0, 3);
    for (int i = 0; i < keys; ++i) {
      auto key_columns = names(3);
      std::string key_name = in_.ConsumeBool() ? std::string() : name();
      switch (in_.ConsumeIntegralInRange(0, 3)) {
        case 0: t->primary_key(std::move(key_columns)); break;
        case 1: t->unique_key(std::move(key_columns), std::move(key_name)); break;
        case 2: t->partial_unique_key(std::move(key_columns), expr(2), std::move(key_name)); break;
        default: t->unique_key_nulls_not_distinct(std::move(key_columns), std::move(key_name)); break;
      }
    }
    return t;
  }

  Upsert statement(const std::shared_ptr<const Table>& table) {
    Upsert s = insert_into(table);
    if (in_.ConsumeBool()) s.columns(names(6));
    const int rows = in_.ConsumeIntegralInRange(0, 4);
    for (int r = 0; r < rows; ++r) {
      Row row(in_.ConsumeIntegralInRange<std::size_t>(0, 7));
      for (auto& v : row) v = value();
      s.row(std::move(row));
    }
    if (in_.ConsumeIntegralInRange(0, 5) == 0) {
      s.on_conflict_key(name());
    } else if (in_.ConsumeIntegralInRange(0, 7) != 0) {
      s.on_conflict(names(3));
    }
    switch (in_.ConsumeIntegralInRange(0, 4)) {
      case 0: break;  // no action chosen: rendering refuses
      case 1: s.do_nothing(); break;
      default: {
        std::vector<Assignment> assignments;
        const int count = in_.ConsumeIntegralInRange(0, 4);
        for (int i = 0; i < count; ++i) {
          if (in_.ConsumeBool()) {
            assignments.emplace_back(name(), static_cast<Aggregate>(in_.ConsumeIntegralInRange(0, 3)));
          } else {
            assignments.emplace_back(name(), expr(4));
          }
        }
        std::optional<Expr> where;
        if (in_.ConsumeBool()) where = expr(3);
        s.do_update(std::move(assignments), std::move(where));
      }
    }
    if (in_.ConsumeIntegralInRange(0, 3) == 0) s.returning(names(3));
    if (in_.ConsumeIntegralInRange(0, 3) == 0) s.returning_inserted_flag(in_.ConsumeBool());
    return s;
  }

 private:
  FuzzedDataProvider& in_;
};

bool same(const Sql& a, const Sql& b) {
  return a.text == b.text && a.params == b.params;
}

void render_everywhere(const Upsert& statement, RenderOptions options) {
  for (Dialect dialect : all_dialects()) {
    try {
      const Sql first = render(statement, dialect, options);
      const Sql second = render(statement, dialect, options);
      require(same(first, second), "rendering twice gives the same statement");
      require(first.text.find(sentinel) == std::string::npos, "a text value is bound, never in the SQL text");
      require(!first.text.empty(), "a rendered statement has text");
    } catch (const Error&) {
      // A refusal, as documented: statements the dialect cannot express, invalid trees.
    }
  }
}

void ddl_everywhere(const Table& table) {
  for (Dialect dialect : all_dialects()) {
    try {
      require(create_table_sql(table, dialect) == create_table_sql(table, dialect), "DDL is deterministic");
    } catch (const Error&) {
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  FuzzedDataProvider in(data, size);
  Builder build(in);
  std::shared_ptr<const Table> table;
  try {
    table = build.table();
  } catch (const Error&) {
    return 0;  // an invalid table, refused as it was built
  }
  ddl_everywhere(*table);
  try {
    Upsert statement = build.statement(table);
    RenderOptions options;
    options.allow_any_unique_key = in.ConsumeBool();
    options.placeholders = static_cast<Placeholders>(in.ConsumeIntegralInRange(0, 3));
    render_everywhere(statement, options);
  } catch (const Error&) {
    // An invalid statement, refused as it was built.
  }
  return 0;
}
