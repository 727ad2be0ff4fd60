// The ECSV import: streamed text -> one source_aggregate per row.
//
// Speed matters more here than anywhere else: a row is ~25 KB of text of
// which only source_id and the two flux arrays (~6%) are needed. So the text
// is decompressed straight into one reusable buffer, fields before the last
// needed column are hopped over (a quoted array costs one vector scan, see
// csv_scan.cpp), the flux arrays are parsed in place (flux_tokens.cpp), and
// the rest of the row is passed with a single memchr('\n'). Nothing is
// allocated per row.
#include "core/ecsv_reader.hpp"

#include "core/csv_scan.hpp"
#include "core/errors.hpp"
#include "core/flux_tokens.hpp"

#include <algorithm>
#include <charconv>
#include <cstring>
#include <memory>

namespace gaia {

namespace {

using ecsv_detail::add_flux_values;
using ecsv_detail::find_quote_or_newline;
using ecsv_detail::line_end;
using ecsv_detail::skip_spaces;
using ecsv_detail::trim_right;

/// Initial text buffer. Inflate writes it and the parser reads it right
/// after, so it should stay in L2; it grows only for a longer single line.
constexpr size_t initial_buffer_size = 1024 * 1024;

/// Bytes after the buffer's end that vector loads may touch.
constexpr size_t buffer_slack = 128;

constexpr size_t max_skip_examples = 5;

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

/// Parses complete lines; keeps the state that spans buffer refills.
class epoch_parser {
public:
  epoch_parser(const std::string& name,
               const std::function<void(const source_aggregate&)>& on_row,
               import_stats& stats)
    : name_(name), on_row_(on_row), stats_(stats) {}

  bool has_header() const { return has_header_; }

  /// Parses the lines in [p, end); end[-1] is '\n' and 64 readable bytes
  /// follow `end`.
  void parse_lines(const char* p, const char* end) {
    while (p < end) {
      ++line_;
      if (*p == '#') {
        p = line_end(p, end) + 1;
      } else if (*p == '\n') {
        ++p;
      } else if (*p == '\r' && p[1] == '\n') {
        p += 2;
      } else if (!has_header_) {
        const char* nl = line_end(p, end);
        parse_header(p, nl);
        p = nl + 1;
      } else {
        p = parse_row(p, end);
      }
    }
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
    has_header_ = true;
  }

  void skip(const std::string& reason) {
    ++stats_.skipped_rows;
    if (stats_.skip_examples.size() < max_skip_examples)
      stats_.skip_examples.push_back("line " + std::to_string(line_) + ": " +
                                     reason);
  }

  /// Parses one data row starting at `p`; returns the start of the next line.
  const char* parse_row(const char* p, const char* end) {
    ++stats_.rows;
    source_aggregate agg;
    const char* f = p;
    for (size_t col = 0;; ++col) {
      const char* cb;
      const char* ce;
      const char* next;
      if (*f == '"') {
        // A quoted field ends at the '"' that is not half of a "" pair.
        const char* q = f + 1;
        for (;;) {
          q = find_quote_or_newline(q);
          if (*q == '\n') {
            skip("unterminated quote in column " + std::to_string(col + 1));
            return q + 1;
          }
          if (q[1] != '"') break;
          q += 2;
        }
        cb = f + 1;
        ce = q;
        next = q + 1;
        while (*next != ',' && *next != '\n') ++next;
      } else {
        next = f;
        while (*next != ',' && *next != '\n') ++next;
        cb = f;
        ce = next;
      }
      if (col == id_col_) {
        cb = skip_spaces(cb, ce);
        ce = trim_right(cb, ce);
        auto r = std::from_chars(cb, ce, agg.source_id);
        if (cb == ce || r.ec != std::errc() || r.ptr != ce) {
          skip("bad source_id '" +
               std::string(cb, std::min<size_t>(ce - cb, 40)) + "'");
          return line_end(next, end) + 1;
        }
      } else if (col == bp_col_) {
        add_flux_values(cb, ce, agg.bp);
      } else if (col == rp_col_) {
        add_flux_values(cb, ce, agg.rp);
      }
      if (col == last_col_) {
        on_row_(agg);
        return (*next == '\n' ? next : line_end(next, end)) + 1;
      }
      if (*next == '\n') {
        skip(std::to_string(col + 1) + " columns, need " +
             std::to_string(last_col_ + 1));
        return next + 1;
      }
      f = next + 1;
    }
  }

  const std::string& name_;
  const std::function<void(const source_aggregate&)>& on_row_;
  import_stats& stats_;
  bool has_header_ = false;
  uint64_t line_ = 0;
  size_t id_col_ = 0, bp_col_ = 0, rp_col_ = 0, last_col_ = 0;
};

/// An uninitialised char buffer with slack bytes after its capacity.
struct text_buffer {
  std::unique_ptr<char[]> data;
  size_t capacity = 0;

  explicit text_buffer(size_t cap) { reset(cap); }
  void reset(size_t cap) {
    data.reset(new char[cap + buffer_slack]);
    std::memset(data.get() + cap, 0, buffer_slack);
    capacity = cap;
  }
};

} // namespace

import_stats read_epoch_photometry(
  byte_source& src, const std::function<void(const source_aggregate&)>& on_row) {
  import_stats stats;
  epoch_parser parser(src.name(), on_row, stats);
  text_buffer buf(initial_buffer_size);
  // [start, len) holds text not parsed yet; one byte of the capacity stays
  // free for the '\n' appended to an unterminated last line.
  size_t start = 0;
  size_t len = 0;
  for (;;) {
    if (len + 1 >= buf.capacity) {
      if (start > 0) {
        std::memmove(buf.data.get(), buf.data.get() + start, len - start);
        len -= start;
        start = 0;
      } else {
        // One line fills the whole buffer: double it.
        text_buffer bigger(buf.capacity * 2);
        std::memcpy(bigger.data.get(), buf.data.get(), len);
        buf = std::move(bigger);
      }
    }
    char* base = buf.data.get();
    size_t got = src.read(base + len, buf.capacity - 1 - len);
    stats.uncompressed_bytes += got;
    const char* parse_end;
    if (got == 0) {
      if (start == len) break;
      if (base[len - 1] != '\n') base[len++] = '\n';
      parse_end = base + len;
    } else {
      // Only the new bytes can hold a newline that ends the complete part.
      auto* nl = static_cast<const char*>(memrchr(base + len, '\n', got));
      len += got;
      if (nl == nullptr) continue;
      parse_end = nl + 1;
    }
    // Vector scans may load up to 64 bytes past parse_end: still inside
    // the buffer or its slack; the '\n' that ends the last line stops them.
    parser.parse_lines(base + start, parse_end);
    start = static_cast<size_t>(parse_end - base);
    if (got == 0) break;
  }
  if (!parser.has_header())
    throw input_error(src.name() +
                      ": no header row (empty or only '#' lines)");
  return stats;
}

file_aggregates import_archive_file(const std::string& path,
                                    inflate_backend backend) {
  gzip_reader reader(path, backend);
  file_aggregates out;
  out.stats = read_epoch_photometry(
    reader, [&](const source_aggregate& a) { out.sources.push_back(a); });
  out.stats.uncompressed_bytes = reader.uncompressed_bytes();
  auto& v = out.sources;
  auto by_id = [](const source_aggregate& a, const source_aggregate& b) {
    return a.source_id < b.source_id;
  };
  // The bulk files are already sorted; checking is cheaper than sorting.
  if (!std::is_sorted(v.begin(), v.end(), by_id))
    std::sort(v.begin(), v.end(), by_id);
  size_t w = 0;
  for (size_t r = 0; r < v.size(); ++r) {
    if (w > 0 && v[w - 1].source_id == v[r].source_id)
      v[w - 1].merge(v[r]);
    else
      v[w++] = v[r];
  }
  v.resize(w);
  return out;
}

} // namespace gaia
