#include "cli/records.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <simdjson.h>

#include <algorithm>

#include "upsert/error.hpp"

namespace upsert::cli {

namespace {

// Lines of the input, counted and hashed as they are read: the position after a line is exact
// (std::getline takes the newline, which is not in the line; the last line may have none).
class Lines {
 public:
  explicit Lines(std::istream& in) : in_(in) {}

  bool next(std::string& line) {
    if (!std::getline(in_, line)) return false;
    hash(line);
    if (!in_.eof()) hash("\n");
    ++at_.line;
    return true;
  }

  bool skip_to(std::uint64_t offset) {
    std::string line;
    while (at_.offset < offset) {
      if (!next(line)) return false;
    }
    return at_.offset == offset;
  }

  const InputPosition& position() const { return at_; }

 private:
  void hash(std::string_view bytes) {
    std::uint64_t h = at_.hash;
    for (unsigned char c : bytes) h = (h ^ c) * 0x100000001b3ULL;
    at_.hash = h;
    at_.offset += bytes.size();
  }

  std::istream& in_;
  InputPosition at_;
};

// RFC 4180 CSV: fields separated by commas, optionally quoted with "", quotes doubled inside;
// a quoted field may span lines. An unquoted empty field is empty text (which a key refuses).
class CsvReader : public RecordReader {
 public:
  CsvReader(std::istream& in, std::vector<std::string> columns) : lines_(in) {
    std::size_t header_line = 0;
    std::vector<std::string> header;
    std::string error;
    if (!read_fields(header, header_line, error)) {
      throw Error(ErrorCategory::invalid_argument, "the CSV input is empty: it needs a header row naming the columns");
    }
    if (!error.empty()) throw Error(ErrorCategory::invalid_argument, "CSV header: " + error);
    for (const auto& c : columns) {
      auto it = std::find(header.begin(), header.end(), c);
      if (it == header.end()) {
        throw Error(ErrorCategory::invalid_argument,
                    fmt::format("the CSV header has no column \"{}\" (it has: {})", c, fmt::join(header, ", ")));
      }
      positions_.push_back(static_cast<std::size_t>(it - header.begin()));
    }
    width_ = header.size();
  }

  std::optional<Record> next() override {
    std::vector<std::string> fields;
    Record r;
    while (true) {
      if (!read_fields(fields, r.line, r.error)) return std::nullopt;
      if (!(fields.size() == 1 && fields[0].empty() && r.error.empty())) break;  // skip blank lines
    }
    if (r.error.empty() && fields.size() != width_) {
      r.error = fmt::format("{} fields where the header has {}", fields.size(), width_);
    }
    for (auto p : positions_) {
      bool present = p < fields.size();
      r.present.push_back(present);
      r.fields.push_back(present ? Field(fields[p]) : std::nullopt);
    }
    r.end = lines_.position();
    return r;
  }

  InputPosition position() const override { return lines_.position(); }
  bool skip_to(std::uint64_t offset) override { return lines_.skip_to(offset); }

 private:
  bool read_fields(std::vector<std::string>& out, std::size_t& start_line, std::string& error) {
    out.clear();
    error.clear();
    std::string line;
    if (!lines_.next(line)) return false;
    start_line = lines_.position().line;
    std::string field;
    bool quoted = false, was_quoted = false;
    for (std::size_t i = 0;; ++i) {
      if (i == line.size()) {
        if (quoted) {
          std::string more;
          if (!lines_.next(more)) {
            error = "a quoted field is not closed before the end of the input";
            break;
          }
          field += '\n';
          line = std::move(more);
          i = static_cast<std::size_t>(-1);
          continue;
        }
        break;
      }
      char c = line[i];
      if (quoted) {
        if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
          field += '"';
          ++i;
        } else if (c == '"') {
          quoted = false;
        } else {
          field += c;
        }
      } else if (c == '"' && field.empty() && !was_quoted) {
        quoted = was_quoted = true;
      } else if (c == ',') {
        out.push_back(std::move(field));
        field.clear();
        was_quoted = false;
      } else if (c == '\r' && i + 1 == line.size()) {
        // CRLF line ends.
      } else {
        field += c;
      }
    }
    out.push_back(std::move(field));
    return true;
  }

  Lines lines_;
  std::vector<std::size_t> positions_;
  std::size_t width_ = 0;
};

// JSON Lines: one object per line; numbers, strings and booleans become text, null is NULL.
class JsonlReader : public RecordReader {
 public:
  JsonlReader(std::istream& in, std::vector<std::string> columns) : lines_(in), columns_(std::move(columns)) {}

  InputPosition position() const override { return lines_.position(); }
  bool skip_to(std::uint64_t offset) override { return lines_.skip_to(offset); }

  std::optional<Record> next() override {
    std::string line;
    do {
      if (!lines_.next(line)) return std::nullopt;
    } while (line.find_first_not_of(" \t\r") == std::string::npos);
    Record r;
    r.line = lines_.position().line;
    r.end = lines_.position();
    r.present.assign(columns_.size(), false);
    r.fields.assign(columns_.size(), std::nullopt);
    simdjson::padded_string padded(line);
    simdjson::dom::element doc;
    if (auto error = parser_.parse(padded).get(doc)) {
      r.error = fmt::format("not valid JSON ({})", simdjson::error_message(error));
      return r;
    }
    simdjson::dom::object object;
    if (doc.get(object)) {
      r.error = "not a JSON object";
      return r;
    }
    for (std::size_t i = 0; i < columns_.size(); ++i) {
      simdjson::dom::element value;
      if (object.at_key(columns_[i]).get(value)) continue;
      r.present[i] = true;
      switch (value.type()) {
        case simdjson::dom::element_type::NULL_VALUE: break;
        case simdjson::dom::element_type::STRING: r.fields[i] = std::string(std::string_view(value)); break;
        case simdjson::dom::element_type::INT64: r.fields[i] = std::to_string(std::int64_t(value)); break;
        case simdjson::dom::element_type::UINT64: r.fields[i] = std::to_string(std::uint64_t(value)); break;
        case simdjson::dom::element_type::DOUBLE: r.fields[i] = fmt::format("{}", double(value)); break;
        case simdjson::dom::element_type::BOOL: r.fields[i] = bool(value) ? "true" : "false"; break;
        default: r.error = fmt::format("field \"{}\" is an array or object, not a value", columns_[i]); break;
      }
    }
    return r;
  }

 private:
  Lines lines_;
  std::vector<std::string> columns_;
  simdjson::dom::parser parser_;
};

}  // namespace

std::unique_ptr<RecordReader> csv_reader(std::istream& in, std::vector<std::string> columns) {
  return std::make_unique<CsvReader>(in, std::move(columns));
}

std::unique_ptr<RecordReader> jsonl_reader(std::istream& in, std::vector<std::string> columns) {
  return std::make_unique<JsonlReader>(in, std::move(columns));
}

}  // namespace upsert::cli
