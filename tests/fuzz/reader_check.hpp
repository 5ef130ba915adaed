#pragma once
// What the CSV and JSON Lines fuzzers check of a reader, beyond not crashing: positions only move
// forward and stay inside the input, and a second reader that skips to any record's end (as a
// resumed `upsert ingest` does) reads exactly the records the first one read after it.

#include <cstdlib>
#include <sstream>
#include <string>
#include <vector>

#include "cli/records.hpp"
#include "upsert/error.hpp"

namespace upsert::fuzz {

// Aborts (a finding) with `what` when `condition` is false.
inline void require(bool condition, const char* what) {
  if (!condition) {
    std::fprintf(stderr, "fuzz check failed: %s\n", what);
    std::abort();
  }
}

inline bool same_record(const cli::Record& a, const cli::Record& b) {
  return a.line == b.line && a.present == b.present && a.fields == b.fields && a.error == b.error && a.end == b.end;
}

// `open` makes a reader over a stream: cli::csv_reader or cli::jsonl_reader with fixed columns.
template <class Open>
void check_reader(const std::string& input, Open open) {
  std::istringstream first_in(input);
  std::vector<cli::Record> records;
  cli::InputPosition start;
  try {
    auto reader = open(first_in);
    start = reader->position();
    cli::InputPosition previous = start;
    while (auto record = reader->next()) {
      require(record->end.offset > previous.offset, "a record ends after the one before it");
      require(record->end.line > previous.line, "a record ends on a later line than the one before it");
      require(record->end.offset <= input.size(), "a record ends inside the input");
      require(record->line >= previous.line + 1 && record->line <= record->end.line,
              "a record's first line lies between the previous record's end and its own");
      require(record->present.size() == record->fields.size(), "one presence flag per field");
      require(reader->position() == record->end, "the reader's position is the end of its last record");
      previous = record->end;
      records.push_back(std::move(*record));
    }
  } catch (const Error&) {
    return;  // a refusal (e.g. a CSV header without the columns): fine, when it is an upsert::Error
  }
  // Resuming after any record (the first, the last and one in the middle; each is a new pass).
  for (std::size_t i : {std::size_t{0}, records.size() / 2, records.size() - 1}) {
    if (i >= records.size()) continue;
    std::istringstream again_in(input);
    auto again = open(again_in);
    require(again->skip_to(records[i].end.offset), "skip_to reaches a record's end");
    require(again->position() == records[i].end, "skip_to lands exactly on the record's end, hash included");
    for (std::size_t j = i + 1; j < records.size(); ++j) {
      auto record = again->next();
      require(record.has_value() && same_record(*record, records[j]), "a resumed reader reads the same records");
    }
    require(!again->next().has_value(), "a resumed reader ends where the first one did");
  }
  // An offset inside a line (or past the end) is refused, not silently accepted.
  std::istringstream past_in(input);
  auto past = open(past_in);
  require(!past->skip_to(input.size() + 1), "skip_to past the end of the input fails");
}

}  // namespace upsert::fuzz
