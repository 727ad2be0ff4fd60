// The ECSV import: streamed text -> one source_aggregate per valid row.
//
// Speed matters more here than anywhere else: a row is ~25 KB of text of
// which only source_id and the two flux arrays (~6%) are needed. So the text
// is decompressed straight into one reusable buffer; fields up to the last
// needed column are hopped over (a quoted array costs one vector scan,
// csv_scan.cpp) and the flux arrays parsed in place (flux_tokens.cpp); the
// rest of the row is only counted and checked, 64 bytes a step
// (scan_record_tail), so that a row with a field too many or too few is
// skipped instead of read with shifted columns. Nothing is allocated per
// row.
//
//   read() ─► buffer [start, len) + sentinel '\n'
//          ─► parse(): complete records ─► on_row / skipped and counted
//          ─► an incomplete record stays at `start`; the buffer grows up to
//             max_line_bytes for it, then the import fails naming the line
#include "archive/ecsv_reader.hpp"

#include "archive/buffer_cache.hpp"
#include "archive/csv_scan.hpp"
#include "core/errors.hpp"
#include "archive/flux_tokens.hpp"
#include "archive/source_table.hpp"

#include <algorithm>
#include <charconv>
#include <cstring>
#include <memory>

namespace gaia {

namespace {

using ecsv_detail::add_flux_values;
using ecsv_detail::find_quote_or_newline;
using ecsv_detail::scan_record_tail;
using ecsv_detail::skip_spaces;
using ecsv_detail::tail_scan;
using ecsv_detail::trim_right;

/// Initial text buffer. Inflate writes it and the parser reads it right
/// after, so it should stay in L2; it grows only for a longer single row.
constexpr size_t initial_buffer_size = 1024 * 1024;

/// Bytes after the buffer's end that vector loads may touch.
constexpr size_t buffer_slack = 128;

constexpr size_t max_skip_examples = 5;

/// A line that holds nothing but spaces, tabs and '\r'.
inline bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\r'; }

/// Splits the header row on commas outside double quotes, trims spaces and
/// surrounding quotes.
std::vector<std::string> split_header(const char* b, const char* e) {
  std::vector<std::string> names;
  e = trim_right(b, e);
  std::string cur;
  bool quoted = false;
  for (const char* p = b;; ++p) {
    if (p == e || (*p == ',' && !quoted)) {
      const char* nb = skip_spaces(cur.data(), cur.data() + cur.size());
      const char* ne = trim_right(nb, cur.data() + cur.size());
      if (ne - nb >= 2 && *nb == '"' && ne[-1] == '"') ++nb, --ne;
      names.emplace_back(nb, ne);
      cur.clear();
      if (p == e) break;
      continue;
    }
    if (*p == '"') quoted = !quoted;
    cur.push_back(*p);
  }
  return names;
}

/// The first value of a flux cell that add_flux_values skips, quoted, for
/// a log line ("'1.0x'"), or why the cell holds none.
std::string first_bad_value(const char* b, const char* e) {
  b = skip_spaces(b, e);
  e = trim_right(b, e);
  if (e - b < 2 || *b != '[' || e[-1] != ']')
    return "'" + std::string(b, std::min<size_t>(e - b, 40)) +
           "' (not a bracketed array)";
  ++b;
  --e;
  for (const char* t = b; t <= e;) {
    const char* c = static_cast<const char*>(std::memchr(t, ',', e - t));
    const char* te = c != nullptr ? c : e;
    std::string token(t, te);
    double v;
    std::string trimmed(skip_spaces(token.data(), token.data() + token.size()),
                        trim_right(token.data(), token.data() + token.size()));
    if (!parse_flux_token(token, v) && trimmed != "NaN" && trimmed != "nan")
      return "'" + token.substr(0, 40) + "'";
    if (c == nullptr) break;
    t = c + 1;
  }
  return "a value";
}

[[noreturn]] void line_too_long(const std::string& name, uint64_t line,
                                uint64_t limit) {
  throw input_error(name + ": line " + std::to_string(line) +
                    " is longer than max_line_bytes (" +
                    std::to_string(limit) + " bytes)");
}

/// Parses records; keeps the state that spans buffer refills.
class epoch_parser {
public:
  epoch_parser(const std::string& name,
               const std::function<void(const source_aggregate&)>& on_row,
               import_stats& stats, uint64_t max_line_bytes)
    : name_(name), on_row_(on_row), stats_(stats),
      max_line_bytes_(max_line_bytes) {}

  bool has_header() const { return has_header_; }
  /// The line the next record starts on (1-based).
  uint64_t line() const { return line_; }

  /// Parses the complete records in [p, end) and returns where the first
  /// incomplete one starts (`end` when none is). `*end` is a '\n' sentinel
  /// and 64 readable bytes follow it. At the end of the stream (`at_eof`,
  /// the text then ends with '\n') everything is consumed: a record that
  /// never ends (an open quote) is skipped.
  const char* parse(const char* p, const char* end, bool at_eof) {
    at_eof_ = at_eof;
    if (!bom_checked_) {
      // The first call sees the whole first line (or the whole stream).
      bom_checked_ = true;
      if (end - p >= 3 && std::memcmp(p, "\xEF\xBB\xBF", 3) == 0) p += 3;
    }
    while (p < end) {
      const char* q = p;
      while (is_blank(*q)) ++q;
      if (*q == '\n') {
        if (q >= end) return p;
        ++line_;
        p = q + 1;
        continue;
      }
      if (*p == '#' || !has_header_) {
        auto* nl = static_cast<const char*>(std::memchr(p, '\n', end - p));
        if (nl == nullptr) return p;
        if (*p == '#') {
          if (has_header_) {
            ++stats_.rows;
            skip("a '#' line after the header row");
          }
        } else {
          parse_header(p, nl);
        }
        ++line_;
        p = nl + 1;
        continue;
      }
      const char* next = parse_record(p, end);
      if (next == nullptr) return p;
      p = next;
    }
    return p;
  }

private:
  void parse_header(const char* b, const char* e) {
    auto names = split_header(b, e);
    auto find = [&](const char* col) {
      auto it = std::find(names.begin(), names.end(), col);
      if (it == names.end())
        throw input_error(name_ + ": header row has no column '" + col + "'");
      return static_cast<size_t>(it - names.begin());
    };
    id_col_ = find("source_id");
    bp_col_ = find("bp_flux");
    rp_col_ = find("rp_flux");
    last_col_ = std::max({id_col_, bp_col_, rp_col_});
    fields_ = names.size();
    has_header_ = true;
  }

  void skip(const std::string& reason) {
    ++stats_.skipped_rows;
    example(reason);
  }

  void example(const std::string& reason) {
    if (stats_.skip_examples.size() < max_skip_examples)
      stats_.skip_examples.push_back("line " + std::to_string(line_) + ": " +
                                     reason);
  }

  /// Ends a record whose quoting is broken at `bad`: it runs to the end of
  /// that line. Returns the next record's start, or nullptr when that line
  /// is not complete yet.
  const char* skip_malformed(const char* p, const char* bad, const char* end,
                             const std::string& reason) {
    auto* nl = static_cast<const char*>(std::memchr(bad, '\n', end - bad));
    if (nl == nullptr) return nullptr;
    ++stats_.rows;
    skip(reason);
    line_ += 1 + static_cast<uint64_t>(std::count(p, nl, '\n'));
    return nl + 1;
  }

  /// Parses one record starting at `p`; returns the start of the next one,
  /// or nullptr when the record does not end before `end`.
  const char* parse_record(const char* p, const char* end) {
    source_aggregate agg;
    uint64_t skipped_values = 0;
    uint64_t breaks = 0;   // line breaks inside quoted fields
    const char* bad_id = nullptr;
    const char* bad_id_end = nullptr;
    const char* bad_cell = nullptr;
    const char* bad_cell_end = nullptr;
    const char* f = p;
    uint64_t fields = 0;
    const char* record_end = nullptr;
    for (size_t col = 0;; ++col) {
      const char* cb;
      const char* ce;
      const char* next;
      if (*f == '"') {
        // A quoted field ends at the '"' that is not half of a "" pair.
        const char* q = f + 1;
        for (;;) {
          q = find_quote_or_newline(q);
          if (q >= end) return incomplete(p, end);
          if (*q == '\n') {
            ++breaks;
            ++q;
            continue;
          }
          if (q[1] != '"') break;
          q += 2;
        }
        cb = f + 1;
        ce = q;
        next = q + 1;
        if (*next == '\r') {
          if (next + 1 >= end) return incomplete(p, end);
          if (next[1] == '\n') ++next;
        }
        if (next >= end) return incomplete(p, end);
        if (*next != ',' && *next != '\n')
          return skip_malformed(p, next, end,
                                "a closing quote not followed by ',' in field " +
                                  std::to_string(col + 1));
      } else {
        next = f;
        while (*next != ',' && *next != '\n' && *next != '"') ++next;
        if (next >= end) return incomplete(p, end);
        if (*next == '"')
          return skip_malformed(p, next, end,
                                "a quote inside unquoted field " +
                                  std::to_string(col + 1));
        cb = f;
        ce = next;
      }
      if (col == id_col_) {
        const char* ib = skip_spaces(cb, ce);
        const char* ie = trim_right(ib, ce);
        auto r = std::from_chars(ib, ie, agg.source_id);
        if (ib == ie || r.ec != std::errc() || r.ptr != ie) {
          bad_id = ib;
          bad_id_end = ie;
        }
      } else if (col == bp_col_ || col == rp_col_) {
        uint64_t n = add_flux_values(cb, ce, col == bp_col_ ? agg.bp : agg.rp);
        if (n > 0 && bad_cell == nullptr) {
          bad_cell = cb;
          bad_cell_end = ce;
        }
        skipped_values += n;
      }
      if (*next == '\n' || col == last_col_) {
        fields = col + 1;
        record_end = next;
        if (*next == ',') {
          // Past the needed columns: count the rest, check its quoting.
          tail_scan t = scan_record_tail(next, end);
          if (t.malformed != nullptr)
            return skip_malformed(p, t.malformed, end,
                                  "a quote out of place after field " +
                                    std::to_string(col + 1));
          if (t.end == nullptr) return incomplete(p, end);
          fields += t.separators;
          breaks += t.line_breaks;
          record_end = t.end;
        }
        break;
      }
      f = next + 1;
    }
    if (static_cast<uint64_t>(record_end + 1 - p) > max_line_bytes_)
      line_too_long(name_, line_, max_line_bytes_);
    ++stats_.rows;
    if (fields != fields_) {
      skip(std::to_string(fields) + " fields, the header has " +
           std::to_string(fields_));
    } else if (bad_id != nullptr) {
      skip("bad source_id '" +
           std::string(bad_id, std::min<size_t>(bad_id_end - bad_id, 40)) +
           "'");
    } else {
      if (skipped_values > 0) {
        stats_.skipped_values += skipped_values;
        example("skipped flux value " + first_bad_value(bad_cell, bad_cell_end));
      }
      on_row_(agg);
    }
    line_ += 1 + breaks;
    return record_end + 1;
  }

  /// A record that does not end before `end`: wait for more text, or at the
  /// end of the stream skip it (only an open quote can make it run there).
  const char* incomplete(const char* p, const char* end) {
    if (!at_eof_) return nullptr;
    ++stats_.rows;
    skip("a quoted field is never closed (the file ends inside it)");
    line_ += static_cast<uint64_t>(std::count(p, end, '\n'));
    return end;
  }

  const std::string& name_;
  const std::function<void(const source_aggregate&)>& on_row_;
  import_stats& stats_;
  uint64_t max_line_bytes_;
  bool has_header_ = false;
  bool bom_checked_ = false;
  bool at_eof_ = false;
  uint64_t line_ = 1;
  size_t fields_ = 0;
  size_t id_col_ = 0, bp_col_ = 0, rp_col_ = 0, last_col_ = 0;
};

/// An uninitialised char buffer with slack bytes after its capacity.
/// (The buffer comes from this thread's spares: see buffer_cache.hpp.)
struct text_buffer {
  cached_buffer data;
  size_t capacity = 0;

  explicit text_buffer(size_t cap) : data(cap + buffer_slack), capacity(cap) {
    std::memset(data.get() + cap, 0, buffer_slack);
  }
};

} // namespace

struct ecsv_stream::impl {
  std::string name;
  std::function<void(const source_aggregate&)> on_row;
  uint64_t limit;
  import_stats stats;
  epoch_parser parser;
  text_buffer buf{initial_buffer_size};
  // [start, len) holds text not parsed yet: at most one incomplete record.
  // One byte of the capacity stays free for the '\n' appended to an
  // unterminated last line; the slack holds the '\n' sentinel.
  size_t start = 0;
  size_t len = 0;
  bool done = false;

  impl(std::string n, std::function<void(const source_aggregate&)> f,
       const read_options& opts)
    : name(std::move(n)), on_row(std::move(f)),
      limit(std::max<uint64_t>(opts.max_line_bytes, 1)),
      parser(name, on_row, stats, limit) {}

  void check_limit() const {
    if (len - start > limit) line_too_long(name, parser.line(), limit);
  }

  void parse(bool at_eof) {
    char* base = buf.data.get();
    base[len] = '\n'; // the sentinel that stops every scan
    const char* stop = parser.parse(base + start, base + len, at_eof);
    start = static_cast<size_t>(stop - base);
  }
};

ecsv_stream::ecsv_stream(std::string name,
                         std::function<void(const source_aggregate&)> on_row,
                         const read_options& opts)
  : impl_(std::make_unique<impl>(std::move(name), std::move(on_row), opts)) {}

ecsv_stream::~ecsv_stream() = default;

std::pair<char*, size_t> ecsv_stream::room() {
  auto& m = *impl_;
  if (m.len + 1 >= m.buf.capacity) {
    if (m.start > 0) {
      std::memmove(m.buf.data.get(), m.buf.data.get() + m.start, m.len - m.start);
      m.len -= m.start;
      m.start = 0;
    } else {
      // One record fills the whole buffer: double it, up to the limit.
      m.check_limit();
      text_buffer bigger(std::max<uint64_t>(
        m.buf.capacity + 1, std::min<uint64_t>(m.buf.capacity * 2, m.limit + 2)));
      std::memcpy(bigger.data.get(), m.buf.data.get(), m.len);
      m.buf = std::move(bigger);
    }
  }
  return {m.buf.data.get() + m.len, m.buf.capacity - 1 - m.len};
}

void ecsv_stream::wrote(size_t n) {
  auto& m = *impl_;
  m.stats.uncompressed_bytes += n;
  // Only new bytes with a line end can complete a record.
  const bool line_end = std::memchr(m.buf.data.get() + m.len, '\n', n) != nullptr;
  m.len += n;
  if (line_end) m.parse(false);
  m.check_limit();
}

import_stats ecsv_stream::finish() {
  auto& m = *impl_;
  if (!m.done) {
    m.done = true;
    if (m.start < m.len) {
      char* base = m.buf.data.get();
      if (base[m.len - 1] != '\n') base[m.len++] = '\n';
      m.parse(true);
    }
    if (!m.parser.has_header())
      throw input_error(m.name + ": no header row (empty or only '#' lines)");
  }
  return m.stats;
}

const import_stats& ecsv_stream::stats() const { return impl_->stats; }

import_stats read_epoch_photometry(
  byte_source& src, const std::function<void(const source_aggregate&)>& on_row,
  const read_options& opts) {
  ecsv_stream stream(src.name(), on_row, opts);
  for (;;) {
    auto [room, cap] = stream.room();
    const size_t got = src.read(room, cap);
    if (got == 0) break;
    stream.wrote(got);
  }
  return stream.finish();
}

file_aggregates import_archive_file(const std::string& path,
                                    inflate_backend backend,
                                    const read_options& opts) {
  gzip_reader reader(path, backend);
  source_table table;
  file_aggregates out;
  out.stats = read_epoch_photometry(
    reader, [&](const source_aggregate& a) { table.add(a); }, opts);
  out.stats.uncompressed_bytes = reader.uncompressed_bytes();
  out.sources = table.take_sorted();
  return out;
}

} // namespace gaia
