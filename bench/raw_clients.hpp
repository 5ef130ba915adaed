#pragma once
// The `raw` arm's clients: the hand-written single-row upsert through each engine's C library,
// prepared once per connection and run in autocommit, one statement per event. This is the
// baseline every other arm is compared with, so it does only what a careful hand-written
// application would do: no rendering, no Value variants, no retry loop.

#include <cstdint>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "workload.hpp"

namespace upsert::bench {

/// A statement the engine refused: its code (extended result code, SQLSTATE or errno) and message.
class RawError : public std::runtime_error {
 public:
  /// An error with the engine's code and message.
  RawError(std::string code, const std::string& message) : std::runtime_error(message), code_(std::move(code)) {}
  /// The engine's code, e.g. "sqlite:5", "40P01" or "1213".
  const std::string& code() const { return code_; }

 private:
  std::string code_;
};

/// One key's increments summed over a batch of events.
struct KeyDelta {
  std::uint32_t key = 0;          ///< index into key_space()
  std::int64_t participants = 0;  ///< events of the key in the batch
  std::int64_t conversions = 0;   ///< converted events of the key in the batch
};

/// What a hand-written batch does first: sums the events per key, ordered by key index (one row
/// per key, which PostgreSQL requires of one statement, and one lock order for every writer).
std::vector<KeyDelta> merge_events(std::span<const Event> events);

/// The hand-written batch forms of the raw-batch arms.
enum class RawBatchForm {
  values,       ///< one multi-row INSERT ... VALUES (...), (...) ... upsert (every engine)
  unnest,       ///< PostgreSQL: one INSERT ... SELECT FROM unnest($1::int8[], ...) with array parameters
  transaction,  ///< SQLite: BEGIN IMMEDIATE, the prepared single-row upsert per key, COMMIT
};

/// One connection of the raw arms.
class RawClient {
 public:
  virtual ~RawClient() = default;
  /// Adds 1 participant (and 1 conversion when `converted`) to `key`; throws RawError.
  virtual void upsert(const Key& key, bool converted) = 0;
  /// Applies a merged batch atomically in the client's batch form; throws RawError.
  virtual void upsert_batch(std::span<const KeyDelta> rows, const std::vector<Key>& keys) = 0;
};

/// Opens the SQLite file at `path` with the pragmas the library's driver sets (WAL,
/// busy_timeout 30 s, synchronous=NORMAL) and prepares the upsert into `table`.
std::unique_ptr<RawClient> open_raw_sqlite(const std::string& path, const std::string& table,
                                           RawBatchForm form = RawBatchForm::transaction);
/// Connects with libpq to a postgresql:// URL and prepares the upsert into `table`.
std::unique_ptr<RawClient> open_raw_postgres(const std::string& url, const std::string& table,
                                             RawBatchForm form = RawBatchForm::unnest);
/// Connects with libmariadb to a mariadb:// URL, applies the library's session settings (strict
/// sql_mode, READ COMMITTED) and prepares the upsert into `table`.
std::unique_ptr<RawClient> open_raw_mariadb(const std::string& url, const std::string& table,
                                            RawBatchForm form = RawBatchForm::values);

/// Initialises the client libraries that need it before threads connect (libmariadb).
void init_raw_clients();
/// The SQLite library's version, e.g. "SQLite 3.40.1".
std::string raw_sqlite_version();
/// libpq's version, e.g. "libpq 15.13".
std::string raw_postgres_version();
/// libmariadb's version, e.g. "libmariadb 3.3.8".
std::string raw_mariadb_version();

}  // namespace upsert::bench
