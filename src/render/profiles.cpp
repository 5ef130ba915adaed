// Profiles: distributed engines that speak PostgreSQL's or MySQL's protocol but that this machine
// cannot run, so every rule here comes from the engine's documentation (cited in
// tests/render/profiles_test.cpp, rule by rule) and is checked on paper only.
//
// What each changes, beyond its base dialect:
// - CockroachDB, YugabyteDB: no xmax system column, so RETURNING cannot carry the inserted flag.
// - Citus: unique keys of a distributed table must contain its distribution column, and an UPDATE
//   may not change that column; the conflict target must contain it and the update may not set it.
// - TiDB: no `AS new` row alias (parsed by recent versions but never bound): VALUES(`c`) instead.
// - Vitess: no `AS new` row alias either; a unique key is enforced per shard only, so the conflict
//   target must contain the primary vindex column, and the update may not change it.
// Every profile retries what its engine reports as retryable: SQLSTATE 40001 on the PostgreSQL
// side (drivers/postgres/error.cpp) and TiDB's 8002/8022/8028/9007 on the MySQL side
// (drivers/mysql/error.cpp).

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <algorithm>

#include "render/dialects.hpp"
#include "upsert/error.hpp"

namespace upsert {

std::string_view profile_name(Profile profile) {
  switch (profile) {
    case Profile::none: return "none";
    case Profile::cockroachdb: return "cockroachdb";
    case Profile::yugabytedb: return "yugabytedb";
    case Profile::citus: return "citus";
    case Profile::tidb: return "tidb";
    case Profile::vitess: return "vitess";
  }
  return "unknown";
}

Profile parse_profile(std::string_view name) {
  for (Profile p :
       {Profile::none, Profile::cockroachdb, Profile::yugabytedb, Profile::citus, Profile::tidb, Profile::vitess}) {
    if (name == profile_name(p)) return p;
  }
  if (name == "cockroach" || name == "crdb") return Profile::cockroachdb;
  if (name == "yugabyte" || name == "yb") return Profile::yugabytedb;
  throw Error(
      ErrorCategory::invalid_argument,
      fmt::format("unknown profile \"{}\": use one of none, cockroachdb, yugabytedb, citus, tidb, vitess", name));
}

Dialect profile_dialect(Profile profile) {
  switch (profile) {
    case Profile::cockroachdb:
    case Profile::yugabytedb:
    case Profile::citus: return Dialect::postgresql;
    case Profile::tidb:
    case Profile::vitess: return Dialect::mysql;
    case Profile::none: break;
  }
  throw Error(ErrorCategory::invalid_argument, "the profile \"none\" has no dialect of its own");
}

}  // namespace upsert

namespace upsert::detail {

namespace {

[[noreturn]] void refuse_for(Profile profile, std::string_view what_and_fix) {
  throw Error(ErrorCategory::unsupported, fmt::format("{}: {}", profile_name(profile), what_and_fix));
}

// Citus and Vitess: the conflict target must contain the distribution column, and the update may
// not change it.
void require_distribution_column(const Upsert& s, Profile profile, const RenderOptions& options) {
  const bool citus = profile == Profile::citus;
  const std::string_view what = citus ? "distribution column" : "primary vindex column";
  const std::string& column = options.distribution_column;
  if (column.empty()) {
    refuse_for(profile, fmt::format("the table's {} is not known: set RenderOptions::distribution_column "
                                    "(Connection::set_render_options) to it{}",
                                    what,
                                    citus ? " (for a reference or local table, use no profile)"
                                          : " (for an unsharded keyspace, to any column of the conflict key)"));
  }
  const Table& table = s.table();
  if (table.find_column(column) == nullptr) {
    throw Error(ErrorCategory::invalid_argument,
                fmt::format("{}: RenderOptions::distribution_column \"{}\" is not a column of table \"{}\"",
                            profile_name(profile), column, table.name()));
  }
  const auto& key = s.conflict_key().columns;
  if (std::find(key.begin(), key.end(), column) == key.end()) {
    refuse_for(profile,
               fmt::format("the conflict target ({}) of table \"{}\" does not contain the {} \"{}\": {}; "
                           "add \"{}\" to the unique key and the conflict target",
                           fmt::join(key, ", "), table.name(), what, column,
                           citus ? "a distributed table's unique keys must contain it, so no such key can exist"
                                 : "each shard enforces the key on its own rows only, so the same key on another "
                                   "shard would be inserted again instead of updated",
                           column));
  }
  if (s.action() != ConflictAction::do_update) return;
  for (const auto& a : s.assignments()) {
    if (a.column() == column) {
      refuse_for(profile, fmt::format("the update sets the {} \"{}\", which would move the row to another shard; "
                                      "{} may not change it: drop that assignment",
                                      what, column, profile_name(profile)));
    }
  }
}

}  // namespace

void check_profile(const Upsert& s, Dialect dialect, const RenderOptions& options) {
  const Profile profile = options.profile;
  if (profile == Profile::none) return;
  const Dialect speaks = profile_dialect(profile);
  if (dialect != speaks) {
    throw Error(ErrorCategory::invalid_argument,
                fmt::format("the {} profile is for the {} dialect, not {}: render with Dialect::{}",
                            profile_name(profile), dialect_name(speaks), dialect_name(dialect), dialect_name(speaks)));
  }
  switch (profile) {
    case Profile::cockroachdb:
    case Profile::yugabytedb:
      if (s.returns_inserted_flag()) {
        refuse_for(profile,
                   "RETURNING cannot say whether a row was inserted: the flag is read from PostgreSQL's xmax "
                   "system column, which this engine does not have; drop returning_inserted_flag, or compare a "
                   "returned column with the value sent");
      }
      return;
    case Profile::citus:
    case Profile::vitess: require_distribution_column(s, profile, options); return;
    case Profile::tidb:
    case Profile::none: return;
  }
}

bool uses_values_function(const RenderOptions& options) {
  return options.profile == Profile::tidb || options.profile == Profile::vitess;
}

}  // namespace upsert::detail
