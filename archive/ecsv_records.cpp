// The record loop and the text buffer the streamed ECSV readers share (see
// ecsv_records.hpp):
//
//   room()/wrote() ─► buffer [start, len) + sentinel '\n'
//          ─► record_parser::parse(): complete records ─► the subclass
//          ─► an incomplete record stays at `start`; the buffer grows up to
//             max_line_bytes for it, then the read fails naming the line
#include "archive/ecsv_records.hpp"

#include "archive/buffer_cache.hpp"
#include "archive/csv_scan.hpp"
#include "core/errors.hpp"

#include <algorithm>
#include <cstring>

namespace gaia::ecsv_detail {

namespace {

/// Initial text buffer. Inflate writes it and the parser reads it right
/// after, so it should stay in L2; it grows only for a longer single row.
constexpr size_t initial_buffer_size = 1024 * 1024;

/// Text handed to the inflater at a time: the records in it are parsed
/// right after, while the text is still in L2. Smaller costs more: ISA-L
/// copies its 32 KiB window at the end of every call. Measured (CPU of
/// whole runs, interleaved): 256 KiB 3 % less than 1 MiB; 128 KiB 1 %,
/// 64 KiB 1 % more.
constexpr size_t fill_chunk = 256 * 1024;

/// Bytes after the buffer's end that vector loads may touch.
constexpr size_t buffer_slack = 128;

constexpr size_t max_skip_examples = 5;

/// A line that holds nothing but spaces, tabs and '\r'.
inline bool is_blank(char c) { return c == ' ' || c == '\t' || c == '\r'; }

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

void line_too_long(const std::string& name, uint64_t line, uint64_t limit) {
  throw input_error(name + ": line " + std::to_string(line) +
                    " is longer than max_line_bytes (" + std::to_string(limit) + " bytes)");
}

const char* record_parser::parse(const char* p, const char* end, bool at_eof) {
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
        has_header_ = true;
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

bool record_parser::sound_record(const char* p, const char* record_end, uint64_t fields,
                                 bool id_ok, std::string_view id_text) {
  if (static_cast<uint64_t>(record_end + 1 - p) > max_line_bytes_)
    line_too_long(name_, line_, max_line_bytes_);
  ++stats_.rows;
  if (fields != fields_) {
    skip(std::to_string(fields) + " fields, the header has " + std::to_string(fields_));
    return false;
  }
  if (!id_ok) {
    skip("bad source_id '" + std::string(id_text.substr(0, 40)) + "'");
    return false;
  }
  return true;
}

void record_parser::skip(const std::string& reason) {
  ++stats_.skipped_rows;
  example(reason);
}

void record_parser::example(const std::string& reason) {
  if (stats_.skip_examples.size() < max_skip_examples)
    stats_.skip_examples.push_back("line " + std::to_string(line_) + ": " + reason);
}

const char* record_parser::skip_malformed(const char* p, const char* bad, const char* end,
                                          const std::string& reason) {
  auto* nl = static_cast<const char*>(std::memchr(bad, '\n', end - bad));
  if (nl == nullptr) return nullptr;
  ++stats_.rows;
  skip(reason);
  line_ += 1 + static_cast<uint64_t>(std::count(p, nl, '\n'));
  return nl + 1;
}

const char* record_parser::incomplete(const char* p, const char* end) {
  if (!at_eof_) return nullptr;
  ++stats_.rows;
  skip("a quoted field is never closed (the file ends inside it)");
  line_ += static_cast<uint64_t>(std::count(p, end, '\n'));
  return end;
}

struct record_buffer::impl {
  const std::string& name;
  uint64_t limit;
  record_parser& parser;
  text_buffer buf{initial_buffer_size};
  // [start, len) holds text not parsed yet: at most one incomplete record.
  // One byte of the capacity stays free for the '\n' appended to an
  // unterminated last line; the slack holds the '\n' sentinel.
  size_t start = 0;
  size_t len = 0;
  bool done = false;

  impl(const std::string& n, uint64_t l, record_parser& p)
    : name(n), limit(std::max<uint64_t>(l, 1)), parser(p) {}

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

record_buffer::record_buffer(const std::string& name, uint64_t max_line_bytes,
                             record_parser& parser)
  : impl_(std::make_unique<impl>(name, max_line_bytes, parser)) {}

record_buffer::~record_buffer() = default;

std::pair<char*, size_t> record_buffer::room() {
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
  return {m.buf.data.get() + m.len, std::min(fill_chunk, m.buf.capacity - 1 - m.len)};
}

void record_buffer::wrote(size_t n) {
  auto& m = *impl_;
  // Only new bytes with a line end can complete a record.
  const bool line_end = std::memchr(m.buf.data.get() + m.len, '\n', n) != nullptr;
  m.len += n;
  if (line_end) m.parse(false);
  m.check_limit();
}

void record_buffer::finish() {
  auto& m = *impl_;
  if (m.done) return;
  m.done = true;
  if (m.start < m.len) {
    char* base = m.buf.data.get();
    if (base[m.len - 1] != '\n') base[m.len++] = '\n';
    m.parse(true);
  }
  if (!m.parser.has_header())
    throw input_error(m.name + ": no header row (empty or only '#' lines)");
}

} // namespace gaia::ecsv_detail
