// The record machinery every streamed ECSV reader of the bulk files shares:
// the text buffer that decompressed text is written into, and the loop that
// cuts it into records (a UTF-8 BOM, blank and '#' lines, the header row,
// then one record per row, each complete or skipped and counted). The
// import (ecsv_reader.cpp) and the light-curve row selection
// (lightcurve_select/row_select.cpp) each say only what a header row and a
// record mean to them, so both read the very same rows the same way. Not a
// public API.
#pragma once

#include "archive/csv_scan.hpp"
#include "archive/ecsv_reader.hpp"

#include <charconv>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace gaia::ecsv_detail {

/// Splits a header row on commas outside double quotes, trims spaces and
/// surrounding quotes.
std::vector<std::string> split_header(const char* b, const char* e);

[[noreturn]] void line_too_long(const std::string& name, uint64_t line, uint64_t limit);

/// Cuts text into records and counts what it skips. A subclass reads the
/// header row and the records.
class record_parser {
public:
  /// `name` and `stats` must outlive the parser.
  record_parser(const std::string& name, import_stats& stats, uint64_t max_line_bytes)
    : name_(name), stats_(stats), max_line_bytes_(max_line_bytes) {}
  virtual ~record_parser() = default;
  record_parser(const record_parser&) = delete;
  record_parser& operator=(const record_parser&) = delete;

  bool has_header() const { return has_header_; }
  /// The line the next record starts on (1-based).
  uint64_t line() const { return line_; }

  /// Parses the complete records in [p, end) and returns where the first
  /// incomplete one starts (`end` when none is). `*end` is a '\n' sentinel
  /// and 64 readable bytes follow it. At the end of the stream (`at_eof`,
  /// the text then ends with '\n') everything is consumed: a record that
  /// never ends (an open quote) is skipped.
  const char* parse(const char* p, const char* end, bool at_eof);

protected:
  /// The header row [b, e) (without its '\n'). Throws input_error when a
  /// needed column is missing.
  virtual void parse_header(const char* b, const char* e) = 0;
  /// Reads one record starting at `p` (a data row: not blank, not '#');
  /// returns the start of the next one, or nullptr when the record does not
  /// end before `end` (return incomplete() then). Counts the row in
  /// stats_.rows and advances line_ past it.
  virtual const char* parse_record(const char* p, const char* end) = 0;

  /// One field of a record: its text [begin, end) (inside the quotes of a
  /// quoted field) and the ',' or '\n' that follows it.
  struct field {
    const char* begin = nullptr;
    const char* end = nullptr;
    const char* next = nullptr;
  };

  /// Hops over field `col` (0-based), starting at `f`, of the record that
  /// starts at `p`; line breaks inside quotes are added to `breaks`. False
  /// when the record does not end before `end` or its quoting is broken:
  /// then `out` is what parse_record returns (incomplete() or
  /// skip_malformed()). Inline: it runs for every field the import reads.
  bool hop_field(const char* p, const char* f, const char* end, size_t col, field& fld,
                 uint64_t& breaks, const char*& out) {
    if (*f == '"') {
      // A quoted field ends at the '"' that is not half of a "" pair.
      const char* q = f + 1;
      for (;;) {
        q = find_quote_or_newline(q);
        if (q >= end) return (out = incomplete(p, end)), false;
        if (*q == '\n') {
          ++breaks;
          ++q;
          continue;
        }
        if (q[1] != '"') break;
        q += 2;
      }
      fld.begin = f + 1;
      fld.end = q;
      const char* next = q + 1;
      if (*next == '\r') {
        if (next + 1 >= end) return (out = incomplete(p, end)), false;
        if (next[1] == '\n') ++next;
      }
      if (next >= end) return (out = incomplete(p, end)), false;
      if (*next != ',' && *next != '\n')
        return (out = skip_malformed(p, next, end,
                                     "a closing quote not followed by ',' in field " +
                                       std::to_string(col + 1))),
               false;
      fld.next = next;
      return true;
    }
    const char* next = f;
    while (*next != ',' && *next != '\n' && *next != '"') ++next;
    if (next >= end) return (out = incomplete(p, end)), false;
    if (*next == '"')
      return (out = skip_malformed(p, next, end,
                                   "a quote inside unquoted field " + std::to_string(col + 1))),
             false;
    fld.begin = f;
    fld.end = next;
    fld.next = next;
    return true;
  }

  /// The rest of a record after its last needed field `col`, which ends at
  /// `next` (',' or '\n'): counts its fields into `fields` and its quoted
  /// line breaks into `breaks`, checks its quoting, finds the '\n' that ends
  /// it (`record_end`). False like hop_field.
  bool finish_record(const char* p, const char* next, const char* end, size_t col,
                     uint64_t& fields, uint64_t& breaks, const char*& record_end,
                     const char*& out) {
    fields = col + 1;
    record_end = next;
    if (*next != ',') return true;
    tail_scan t = scan_record_tail(next, end);
    if (t.malformed != nullptr)
      return (out = skip_malformed(p, t.malformed, end,
                                   "a quote out of place after field " + std::to_string(col + 1))),
             false;
    if (t.end == nullptr) return (out = incomplete(p, end)), false;
    fields += t.separators;
    breaks += t.line_breaks;
    record_end = t.end;
    return true;
  }

  /// Reads a source_id field: a whole int64, spaces around allowed. False
  /// when it is not one; `text` keeps the trimmed field for the reason.
  static bool read_source_id(const field& fld, int64_t& id, std::string_view& text) {
    const char* b = skip_spaces(fld.begin, fld.end);
    const char* e = trim_right(b, fld.end);
    text = std::string_view(b, static_cast<size_t>(e - b));
    auto r = std::from_chars(b, e, id);
    return b != e && r.ec == std::errc() && r.ptr == e;
  }

  /// A complete record [p, record_end] of `fields` fields: counts it, and
  /// skips it (false) when its field count is not the header row's or its
  /// source_id is bad (`id_ok`, `id_text` from read_source_id). Throws
  /// input_error when it is longer than max_line_bytes.
  bool sound_record(const char* p, const char* record_end, uint64_t fields, bool id_ok,
                    std::string_view id_text);

  void skip(const std::string& reason);
  void example(const std::string& reason);
  /// Ends a record whose quoting is broken at `bad`: it runs to the end of
  /// that line. Returns the next record's start, or nullptr when that line
  /// is not complete yet.
  const char* skip_malformed(const char* p, const char* bad, const char* end,
                             const std::string& reason);
  /// A record that does not end before `end`: wait for more text (nullptr),
  /// or at the end of the stream skip it (only an open quote can make it
  /// run there).
  const char* incomplete(const char* p, const char* end);
  const std::string& name_;
  import_stats& stats_;
  uint64_t max_line_bytes_;
  uint64_t line_ = 1;
  size_t fields_ = 0; ///< the header row's field count (parse_header sets it)

private:
  bool has_header_ = false;
  bool bom_checked_ = false;
  bool at_eof_ = false;
};

/// The one text buffer of a streamed reader (a text_sink's room/wrote):
/// decompressed text is written straight into it and every complete record
/// is parsed in place; [start, len) holds at most one incomplete record,
/// for which the buffer grows up to max_line_bytes, then the read fails
/// naming the line. Nothing is allocated per row.
class record_buffer {
public:
  record_buffer(const std::string& name, uint64_t max_line_bytes, record_parser& parser);
  ~record_buffer();
  record_buffer(const record_buffer&) = delete;
  record_buffer& operator=(const record_buffer&) = delete;

  std::pair<char*, size_t> room();
  void wrote(size_t n);
  /// The text ended: reads an unterminated last line; throws input_error
  /// when there was no header row. Once only; later calls do nothing.
  void finish();

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

} // namespace gaia::ecsv_detail
