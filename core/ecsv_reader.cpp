// The ECSV import: streamed text -> one source_aggregate per row.
//
// Speed matters more here than anywhere else: a row is ~25 KB of text of
// which only source_id and the two flux arrays (~6%) are needed. So the text
// is decompressed straight into one reusable buffer, fields before the last
// needed column are hopped over (a quoted array costs one vector scan), the
// flux arrays are parsed in place, and the rest of the row is passed with a
// single memchr('\n'). Nothing is allocated per row.
#include "core/ecsv_reader.hpp"

#include "core/errors.hpp"

#include <fast_float/fast_float.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>
#include <memory>

#if defined(__SSE2__)
#include <immintrin.h>
#endif

namespace gaia {

namespace {

/// Initial text buffer. Inflate writes it and the parser reads it right
/// after, so it should stay in L2; it grows only for a longer single line.
constexpr size_t initial_buffer_size = 1024 * 1024;

/// Bytes after the buffer's end that vector loads may touch.
constexpr size_t buffer_slack = 128;

constexpr size_t max_skip_examples = 5;

bool is_space(char c) { return c == ' ' || c == '\t'; }

const char* skip_spaces(const char* b, const char* e) {
  while (b < e && is_space(*b)) ++b;
  return b;
}

/// Also drops a '\r' so the last field of a CRLF line is clean.
const char* trim_right(const char* b, const char* e) {
  while (e > b && (is_space(e[-1]) || e[-1] == '\r')) --e;
  return e;
}

#if defined(__SSE2__)
/// First '"' or '\n' at or after `p`, 32 bytes a step.
const char* find_quote_or_newline_sse2(const char* p) {
  const __m128i quote = _mm_set1_epi8('"');
  const __m128i newline = _mm_set1_epi8('\n');
  for (;; p += 32) {
    __m128i a = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 16));
    unsigned ma = static_cast<unsigned>(_mm_movemask_epi8(_mm_or_si128(
      _mm_cmpeq_epi8(a, quote), _mm_cmpeq_epi8(a, newline))));
    unsigned mb = static_cast<unsigned>(_mm_movemask_epi8(_mm_or_si128(
      _mm_cmpeq_epi8(b, quote), _mm_cmpeq_epi8(b, newline))));
    unsigned m = ma | (mb << 16);
    if (m != 0) return p + __builtin_ctz(m);
  }
}

/// The same, 64 bytes a step, for CPUs with AVX2 (the binary is built for
/// plain x86-64, so this is picked at run time).
__attribute__((target("avx2"))) const char* find_quote_or_newline_avx2(
  const char* p) {
  const __m256i quote = _mm256_set1_epi8('"');
  const __m256i newline = _mm256_set1_epi8('\n');
  for (;; p += 64) {
    __m256i a = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
    __m256i b = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + 32));
    uint64_t ma = static_cast<uint32_t>(_mm256_movemask_epi8(_mm256_or_si256(
      _mm256_cmpeq_epi8(a, quote), _mm256_cmpeq_epi8(a, newline))));
    uint64_t mb = static_cast<uint32_t>(_mm256_movemask_epi8(_mm256_or_si256(
      _mm256_cmpeq_epi8(b, quote), _mm256_cmpeq_epi8(b, newline))));
    uint64_t m = ma | (mb << 32);
    if (m != 0) return p + __builtin_ctzll(m);
  }
}

// __builtin_cpu_init first: this runs as a static initialiser, possibly
// before the one that fills in the CPU model.
const bool has_avx2 = [] {
  __builtin_cpu_init();
  return __builtin_cpu_supports("avx2") != 0;
}();
#endif

/// First '"' or '\n' at or after `p`. The caller guarantees a '\n' before
/// the end of the data and readable memory up to 64 bytes past it.
const char* find_quote_or_newline(const char* p) {
#if defined(__SSE2__)
  return has_avx2 ? find_quote_or_newline_avx2(p)
                  : find_quote_or_newline_sse2(p);
#else
  while (*p != '"' && *p != '\n') ++p;
  return p;
#endif
}

/// Parses [b, e) (already trimmed) as a whole, finite double.
bool parse_trimmed(const char* b, const char* e, double& out) {
  double v;
  auto r = fast_float::from_chars(b, e, v);
  if (r.ec != std::errc() || r.ptr != e || !std::isfinite(v)) return false;
  out = v;
  return true;
}

// --- Flux arrays.
//
// Only a row's min and max matter, and in a typical array of 40 values only
// a handful ever become a new extreme. So a token is first looked at, not
// parsed: if it is a plain decimal >= 1 ("1820.8582445068785") and its digits
// show it cannot be above the current max nor below the current min, it is
// passed over. Correct rounding is monotonic, so a decimal that is <= the
// max's decimal gives a double <= max: skipping it never changes a result,
// whether or not it would have parsed. Everything else is parsed exactly.

/// 10^k, exact in a double for k <= 22.
constexpr double pow10_table[] = {
  1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
  1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
constexpr unsigned max_int_digits = 22;

/// What one look at a token shows (see look_at_token).
struct token_shape {
  unsigned len = 0;         ///< bytes up to the next ',' or the field end
  unsigned int_digits = 0;  ///< leading digits
  bool plain = false;       ///< 1-32 bytes, only digits and '.', first 1-9
};

/// The token that set a band's current min or max, when it was plain.
/// Plain fields, not a token_shape: copying a just-written struct as a
/// whole stalls on store forwarding, which cost more than the parse saved.
struct extreme_text {
  const char* p = nullptr;
  unsigned len = 0;
  unsigned int_digits = 0;
};

#if defined(__SSE2__)
uint32_t mask32(__m128i lo, __m128i hi) {
  return static_cast<uint32_t>(_mm_movemask_epi8(lo)) |
         (static_cast<uint32_t>(_mm_movemask_epi8(hi)) << 16);
}

__m128i is_digit(__m128i v) {
  return _mm_and_si128(_mm_cmpgt_epi8(v, _mm_set1_epi8('0' - 1)),
                       _mm_cmplt_epi8(v, _mm_set1_epi8('9' + 1)));
}
#endif

/// Looks at the token at `t` (t < e, 32 readable bytes): one pass of vector
/// compares, no parsing.
token_shape look_at_token(const char* t, const char* e) {
  token_shape s;
  size_t room = static_cast<size_t>(e - t);
#if defined(__SSE2__)
  __m128i a = _mm_loadu_si128(reinterpret_cast<const __m128i*>(t));
  __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(t + 16));
  const __m128i comma = _mm_set1_epi8(',');
  const __m128i dot = _mm_set1_epi8('.');
  uint32_t commas = mask32(_mm_cmpeq_epi8(a, comma), _mm_cmpeq_epi8(b, comma));
  uint32_t digits = mask32(is_digit(a), is_digit(b));
  uint32_t dots = mask32(_mm_cmpeq_epi8(a, dot), _mm_cmpeq_epi8(b, dot));
  size_t len = commas != 0 ? static_cast<size_t>(__builtin_ctz(commas)) : 32;
  if (len > room) len = room;
  else if (commas == 0) return s;  // longer than 32 bytes: parse it
  if (len == 0) return s;
  uint32_t want = len == 32 ? ~uint32_t{0} : (uint32_t{1} << len) - 1;
  s.len = static_cast<unsigned>(len);
  s.int_digits = digits == ~uint32_t{0}
                   ? 32
                   : static_cast<unsigned>(__builtin_ctz(~digits));
  if (s.int_digits > s.len) s.int_digits = s.len;
  s.plain = ((digits | dots) & want) == want && *t != '0';
#else
  size_t len = 0;
  bool plain = true;
  while (len < room && t[len] != ',') {
    char c = t[len];
    if (!((c >= '0' && c <= '9') || c == '.')) plain = false;
    ++len;
  }
  if (len == 0 || len > 32) return s;
  s.len = static_cast<unsigned>(len);
  while (s.int_digits < len && t[s.int_digits] >= '0' && t[s.int_digits] <= '9')
    ++s.int_digits;
  s.plain = plain && *t != '0';
#endif
  return s;
}

/// Index of the first differing byte of two 32-byte spans (32 if none).
unsigned first_difference(const char* a, const char* b) {
#if defined(__SSE2__)
  auto load = [](const char* p) {
    return _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
  };
  uint32_t same = mask32(_mm_cmpeq_epi8(load(a), load(b)),
                         _mm_cmpeq_epi8(load(a + 16), load(b + 16)));
  return same == ~uint32_t{0} ? 32 : static_cast<unsigned>(__builtin_ctz(~same));
#else
  unsigned i = 0;
  while (i < 32 && a[i] == b[i]) ++i;
  return i;
#endif
}

/// Compares two plain tokens with the same number of integer digits, so
/// byte order is numeric order. Returns <0 or >0 when the digits decide,
/// 0 when they cannot (equal, or one a prefix of the other).
inline int compare_plain(const char* t, unsigned len, const extreme_text& x) {
  unsigned d = first_difference(t, x.p);
  if (d >= len || d >= x.len) return 0;
  return static_cast<unsigned char>(t[d]) < static_cast<unsigned char>(x.p[d])
           ? -1
           : 1;
}

/// True when a plain token provably changes neither min nor max.
/// `k` leading digits put the decimal in [10^(k-1), 10^k).
inline bool inside_extremes(const char* t, unsigned len, unsigned k,
                            const band_extent& band, const extreme_text& lo,
                            const extreme_text& hi) {
  bool below_max = band.max >= pow10_table[k] ||
                   (hi.p != nullptr && hi.int_digits == k &&
                    compare_plain(t, len, hi) < 0);
  if (!below_max) return false;
  return band.min < pow10_table[k - 1] ||
         (lo.p != nullptr && lo.int_digits == k &&
          compare_plain(t, len, lo) > 0);
}

/// Adds every valid value of an array field's contents to `band`. Needs 32
/// readable bytes after `e`.
void add_flux_values(const char* b, const char* e, band_extent& band) {
  b = skip_spaces(b, e);
  e = trim_right(b, e);
  if (b < e && *b == '[') ++b;
  if (e > b && e[-1] == ']') --e;
  if (b == e) return;
  extreme_text lo, hi;
  for (;;) {
    const char* t = b;
    unsigned len = 0;
    unsigned k = 0;
    bool plain = false;
    if (t < e && *t >= '1' && *t <= '9') {
      token_shape ts = look_at_token(t, e);
      len = ts.len;
      k = ts.int_digits;
      plain = ts.plain && k <= max_int_digits;
      if (plain && inside_extremes(t, len, k, band, lo, hi)) {
        b = t + len;
        if (b == e) return;
        ++b;  // the ','
        continue;
      }
    }
    t = skip_spaces(t, e);
    double v;
    auto r = fast_float::from_chars(t, e, v);
    const char* after = r.ptr;
    if (r.ec == std::errc()) after = skip_spaces(after, e);
    if (r.ec == std::errc() && (after == e || *after == ',')) {
      if (std::isfinite(v)) {
        double old_min = band.min, old_max = band.max;
        band.add(v);
        // Remember the text only when it is exactly the plain token seen.
        const char* text = plain && t == b && r.ptr == t + len ? t : nullptr;
        if (band.min != old_min) lo = {text, len, k};
        if (band.max != old_max) hi = {text, len, k};
      }
      if (after == e) return;
      b = after + 1;
      continue;
    }
    // Malformed token ("null", "1.0x", ""): skip to the next separator.
    auto* comma = static_cast<const char*>(std::memchr(t, ',', e - t));
    if (comma == nullptr) return;
    b = comma + 1;
  }
}

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
  static const char* line_end(const char* p, const char* end) {
    return static_cast<const char*>(std::memchr(p, '\n', end - p));
  }

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

bool parse_flux_token(std::string_view token, double& out) {
  const char* e = token.data() + token.size();
  const char* b = skip_spaces(token.data(), e);
  while (e > b && is_space(e[-1])) --e;
  return parse_trimmed(b, e, out);
}

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
