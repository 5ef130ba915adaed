#pragma once
// Input records for `upsert ingest`: CSV (a header row names the columns) or JSON Lines, read one
// record at a time with its line number, each field as text or NULL.

#include <istream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace upsert::cli {

// One input field: its text, or nullopt for NULL (JSON null; an absent field is "missing").
using Field = std::optional<std::string>;

// A record: for each requested column, whether it was present and its value.
struct Record {
  std::size_t line = 0;       // line number of the record's start, 1-based
  std::vector<bool> present;  // per requested column
  std::vector<Field> fields;  // per requested column
  std::string error;          // a malformed record: why (the fields are then meaningless)
};

class RecordReader {
 public:
  virtual ~RecordReader() = default;
  // The next record, or nullopt at end of input.
  virtual std::optional<Record> next() = 0;
};

// `columns`: the columns to extract, in order. A CSV file must name each in its header.
std::unique_ptr<RecordReader> csv_reader(std::istream& in, std::vector<std::string> columns);
std::unique_ptr<RecordReader> jsonl_reader(std::istream& in, std::vector<std::string> columns);

}  // namespace upsert::cli
