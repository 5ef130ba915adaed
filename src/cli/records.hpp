#pragma once
// Input records for `upsert ingest`: CSV (a header row names the columns) or JSON Lines, read one
// record at a time with its line number, each field as text or NULL, and where in the input it
// ends (so that `upsert ingest` can commit how far it got, and resume from there).

#include <cstdint>
#include <istream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace upsert::cli {

// One input field: its text, or nullopt for NULL (JSON null; an absent field is "missing").
using Field = std::optional<std::string>;

// A place in the input: the bytes and lines before it, and a hash of those bytes (64-bit FNV-1a),
// which tells whether a later input still starts with the same bytes.
struct InputPosition {
  std::uint64_t offset = 0;                    // bytes before this place
  std::uint64_t line = 0;                      // lines before this place
  std::uint64_t hash = 0xcbf29ce484222325ULL;  // FNV-1a of the bytes before this place
  bool operator==(const InputPosition&) const = default;
};

// A record: for each requested column, whether it was present and its value.
struct Record {
  std::size_t line = 0;       // line number of the record's start, 1-based
  std::vector<bool> present;  // per requested column
  std::vector<Field> fields;  // per requested column
  std::string error;          // a malformed record: why (the fields are then meaningless)
  InputPosition end;          // just after the record's last line
};

class RecordReader {
 public:
  virtual ~RecordReader() = default;
  // The next record, or nullopt at end of input.
  virtual std::optional<Record> next() = 0;
  // Just after the last record returned (or the CSV header, before the first).
  virtual InputPosition position() const = 0;
  // Reads lines without parsing them until `offset`; false if the input ends first or a line
  // runs past it (the input is not the one that offset was taken from).
  virtual bool skip_to(std::uint64_t offset) = 0;
};

// `columns`: the columns to extract, in order. A CSV file must name each in its header.
std::unique_ptr<RecordReader> csv_reader(std::istream& in, std::vector<std::string> columns);
std::unique_ptr<RecordReader> jsonl_reader(std::istream& in, std::vector<std::string> columns);

}  // namespace upsert::cli
