// Flux arrays: only a row's min and max matter, and in a typical array of 40
// values only a handful ever become a new extreme. So a token is first
// looked at, not parsed. A plain decimal >= 1 ("1820.8582445068785":
// digits, at most one '.', the first digit 1-9, up to 32 bytes and 22
// integer digits) is always a valid finite number, and two plain decimals
// compare by their text: more integer digits is larger; with as many, byte
// order is numeric order (a token that is a prefix of the other is not
// larger). Correct rounding is monotonic, so the plain decimal that is
// largest by its text gives the largest double, and one equal to it the
// same bits (both are >= 1: no -0.0). So a band's min and max are kept as
// the text of the token that set them and parsed once, at the end of the
// array: two parses an array instead of one per new extreme. A token that
// is not plain (an exponent, a sign, a leading 0, NaN, null) is parsed when
// it comes, as it always was; a text extreme compared with its value is
// parsed then, unless powers of ten decide (a plain token with k integer
// digits is in [10^(k-1), 10^k]).
#include "archive/flux_tokens.hpp"

#include "archive/csv_scan.hpp"
#include "archive/ecsv_reader.hpp"
#include "archive/simd_level.hpp"

#include <fast_float/fast_float.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <stdexcept>
#include <string>
#include <system_error>

#if defined(__SSE2__)
#include <immintrin.h>
#endif

namespace gaia {

namespace {

/// Parses [b, e) (already trimmed) as a whole, finite double.
bool parse_trimmed(const char* b, const char* e, double& out) {
  double v;
  auto r = fast_float::from_chars(b, e, v);
  if (r.ec != std::errc() || r.ptr != e || !std::isfinite(v)) return false;
  out = v;
  return true;
}

/// 10^k, exact in a double for k <= 22.
constexpr double pow10_table[] = {
  1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,  1e8,  1e9,  1e10, 1e11,
  1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};
constexpr unsigned max_int_digits = 22;

/// What one look at a token shows (see look_at_token).
struct token_shape {
  unsigned len = 0;         ///< bytes up to the next ',' or the field end
  unsigned int_digits = 0;  ///< leading digits
  bool plain = false;       ///< 1-32 bytes, digits and at most one '.',
                            ///< first 1-9: always a valid number
};

/// Byte by byte: the reference for the vector copy, and the code for CPUs
/// without SSE2.
struct scalar_ops {
  /// Looks at the token at `t` (t < e): its length, leading digits and
  /// whether it is plain.
  static token_shape look_at_token(const char* t, const char* e) {
    token_shape s;
    const size_t room = static_cast<size_t>(e - t);
    size_t len = 0;
    bool plain = true;
    unsigned dots = 0;
    while (len < room && len <= 32 && t[len] != ',') {
      const char c = t[len];
      if (c == '.') ++dots;
      else if (c < '0' || c > '9') plain = false;
      ++len;
    }
    if (len == 0 || len > 32) return s;  // longer than 32 bytes: parse it
    s.len = static_cast<unsigned>(len);
    while (s.int_digits < len && t[s.int_digits] >= '0' && t[s.int_digits] <= '9')
      ++s.int_digits;
    s.plain = plain && dots <= 1 && *t != '0';
    return s;
  }

  /// Index of the first differing byte of two 32-byte spans (32 if none).
  static unsigned first_difference(const char* a, const char* b) {
    unsigned i = 0;
    while (i < 32 && a[i] == b[i]) ++i;
    return i;
  }
};

#if defined(__SSE2__)
/// Two 16-byte compares a token: plain x86-64.
struct sse2_ops {
  static uint32_t mask32(__m128i lo, __m128i hi) {
    return static_cast<uint32_t>(_mm_movemask_epi8(lo)) |
           (static_cast<uint32_t>(_mm_movemask_epi8(hi)) << 16);
  }

  static __m128i is_digit(__m128i v) {
    return _mm_and_si128(_mm_cmpgt_epi8(v, _mm_set1_epi8('0' - 1)),
                         _mm_cmplt_epi8(v, _mm_set1_epi8('9' + 1)));
  }

  /// As scalar_ops (32 readable bytes at t): one pass of vector compares.
  static token_shape look_at_token(const char* t, const char* e) {
    token_shape s;
    const size_t room = static_cast<size_t>(e - t);
    const __m128i a = _mm_loadu_si128(reinterpret_cast<const __m128i*>(t));
    const __m128i b = _mm_loadu_si128(reinterpret_cast<const __m128i*>(t + 16));
    const __m128i comma = _mm_set1_epi8(',');
    const __m128i dot = _mm_set1_epi8('.');
    const uint32_t commas = mask32(_mm_cmpeq_epi8(a, comma), _mm_cmpeq_epi8(b, comma));
    const uint32_t digits = mask32(is_digit(a), is_digit(b));
    const uint32_t dots = mask32(_mm_cmpeq_epi8(a, dot), _mm_cmpeq_epi8(b, dot));
    size_t len = commas != 0 ? static_cast<size_t>(__builtin_ctz(commas)) : 32;
    if (len > room) len = room;
    else if (commas == 0) return s;  // longer than 32 bytes: parse it
    if (len == 0) return s;
    const uint32_t want = len == 32 ? ~uint32_t{0} : (uint32_t{1} << len) - 1;
    s.len = static_cast<unsigned>(len);
    s.int_digits =
      digits == ~uint32_t{0} ? 32 : static_cast<unsigned>(__builtin_ctz(~digits));
    if (s.int_digits > s.len) s.int_digits = s.len;
    // At most one '.': then a plain token is always a valid number, so
    // passing over one never hides a malformed token from the counts.
    const uint32_t token_dots = dots & want;
    s.plain = ((digits | dots) & want) == want && *t != '0' &&
              (token_dots & (token_dots - 1)) == 0;
    return s;
  }

  static unsigned first_difference(const char* a, const char* b) {
    auto load = [](const char* p) {
      return _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
    };
    const uint32_t same = mask32(_mm_cmpeq_epi8(load(a), load(b)),
                                 _mm_cmpeq_epi8(load(a + 16), load(b + 16)));
    return same == ~uint32_t{0} ? 32 : static_cast<unsigned>(__builtin_ctz(~same));
  }
};
#endif

/// A plain token: its text, its integer digits and the rank that orders
/// it by those and its first 7 bytes.
struct plain_token {
  const char* p = nullptr;
  unsigned len = 0;
  unsigned k = 0;     ///< integer digits: the value is in [10^(k-1), 10^k]
  /// k in the top byte, then bytes 0-6 big-endian, zero past the token's
  /// end: a larger rank is a larger value (or an equal one).
  uint64_t rank = 0;
};

/// The rank of the plain token [p, p + len) with k integer digits (8
/// readable bytes at p).
inline uint64_t rank_of(const char* p, unsigned len, unsigned k) {
  uint64_t v;
  std::memcpy(&v, p, sizeof v);
  v = __builtin_bswap64(v);
  if (len < 8) v &= ~(~uint64_t{0} >> (8 * len));
  return (uint64_t{k} << 56) | (v >> 8);
}

/// Numeric order of two plain tokens from their text: <0 when a's value is
/// <= b's, >0 when >=, 0 when the digits are the same. (A prefix is not
/// larger: "12.5" <= "12.50" <= "12.51".)
template <class Ops>
int compare_plain(const plain_token& a, const plain_token& b) {
  if (a.rank != b.rank) return a.rank < b.rank ? -1 : 1;
  if (a.len <= 7 && b.len <= 7) return 0;  // the whole text is in the rank
  const unsigned d = Ops::first_difference(a.p, b.p);
  if (d < a.len && d < b.len)
    return static_cast<unsigned char>(a.p[d]) < static_cast<unsigned char>(b.p[d]) ? -1 : 1;
  return static_cast<int>(a.len) - static_cast<int>(b.len);
}

/// The value of a plain token: always a finite number (at most 22 integer
/// digits, at most 32 bytes).
double parse_plain(const plain_token& t) {
  double v;
  if (!parse_trimmed(t.p, t.p + t.len, v))
    throw std::logic_error("flux_tokens: the plain token '" + std::string(t.p, t.len) +
                           "' did not parse");
  return v;
}

/// A band's min or max so far in one array: the text of a plain token, not
/// parsed yet, or a value (+-inf before any).
struct extreme {
  plain_token text;  ///< text.p == nullptr: `value` holds it
  double value;

  /// The value, parsing the text the first time it is needed.
  double materialize() {
    if (text.p != nullptr) {
      value = parse_plain(text);
      text.p = nullptr;
    }
    return value;
  }
};

/// Folds a plain token into a band's min (`is_min`) or max.
template <class Ops>
void fold_plain(extreme& x, const plain_token& t, bool is_min) {
  if (x.text.p != nullptr) {
    const int c = compare_plain<Ops>(t, x.text);
    if (is_min ? c < 0 : c > 0) x.text = t;
    return;
  }
  // Against a value: t is in [10^(k-1), 10^k].
  const double v = x.value;
  const bool t_above = v < pow10_table[t.k - 1];
  const bool t_below = v >= pow10_table[t.k];
  if (is_min ? t_below : t_above) {
    x.text = t;  // equal at most when both are the same double >= 1
    return;
  }
  if (is_min ? t_above : t_below) return;
  const double tv = parse_plain(t);
  if (is_min ? tv < v : tv > v) x.value = tv;
}

/// Folds a parsed finite value into a band's min or max: replaces it only
/// when strictly beyond, as band_extent::add does (so -0.0 after 0.0 keeps
/// 0.0).
inline void fold_value(extreme& x, double v, bool is_min) {
  if (x.text.p != nullptr) {
    // The text's value is in [10^(k-1), 10^k], and >= 1.
    if (is_min ? v < pow10_table[x.text.k - 1] : v >= pow10_table[x.text.k]) {
      x.text.p = nullptr;
      x.value = v;
      return;
    }
    if (is_min ? v >= pow10_table[x.text.k] : v < pow10_table[x.text.k - 1]) return;
    x.materialize();
  }
  if (is_min ? v < x.value : v > x.value) x.value = v;
}

/// Where a token's number starts: a leading '+' is passed over (strtod and
/// Python read "+1.5" as 1.5; std::from_chars does not), unless another
/// sign follows it.
inline const char* after_plus(const char* t, const char* e) {
  if (e - t >= 2 && *t == '+' && t[1] != '+' && t[1] != '-') return t + 1;
  return t;
}

} // namespace

bool parse_flux_token(std::string_view token, double& out) {
  const char* e = token.data() + token.size();
  const char* b = ecsv_detail::skip_spaces(token.data(), e);
  e = ecsv_detail::trim_right(b, e);
  return parse_trimmed(after_plus(b, e), e, out);
}

namespace {

using ecsv_detail::skip_spaces;
using ecsv_detail::trim_right;

/// add_flux_values with one set of instructions.
template <class Ops>
uint64_t add_values(const char* b, const char* e, band_extent& band) {
  b = skip_spaces(b, e);
  e = trim_right(b, e);
  if (b == e) return 0;  // an empty cell: no values, nothing wrong
  // Only a bracketed array holds values; "42.5" or "[1.5," is not one.
  if (e - b < 2 || *b != '[' || e[-1] != ']') return 1;
  ++b;
  --e;
  if (skip_spaces(b, e) == e) return 0;  // "[]"
  uint64_t skipped = 0;
  extreme lo{{}, std::numeric_limits<double>::infinity()};
  extreme hi{{}, -std::numeric_limits<double>::infinity()};
  for (;;) {
    const char* t = b;
    if (t < e && *t >= '1' && *t <= '9') {
      const token_shape ts = Ops::look_at_token(t, e);
      if (ts.plain && ts.int_digits <= max_int_digits) {
        const plain_token pt{t, ts.len, ts.int_digits, rank_of(t, ts.len, ts.int_digits)};
        // Most tokens are inside both extremes by their rank alone.
        if (lo.text.p == nullptr || hi.text.p == nullptr || pt.rank <= lo.text.rank ||
            pt.rank >= hi.text.rank) {
          fold_plain<Ops>(lo, pt, true);
          fold_plain<Ops>(hi, pt, false);
        }
        b = t + ts.len;
        if (b == e) break;
        ++b;  // the ','
        continue;
      }
    }
    t = skip_spaces(t, e);
    const char* num = after_plus(t, e);
    double v;
    auto r = fast_float::from_chars(num, e, v);
    const char* after = r.ptr;
    if (r.ec == std::errc()) after = skip_spaces(after, e);
    if (r.ec == std::errc() && (after == e || *after == ',')) {
      if (std::isfinite(v)) {
        fold_value(lo, v, true);
        fold_value(hi, v, false);
      } else if (!std::isnan(v)) {
        ++skipped;  // Infinity, or a number too large for a double
      }             // NaN: the archive's way of writing "no value"
      if (after == e) break;
      b = after + 1;
      continue;
    }
    // Malformed token ("null", "1.0x", ""): skip to the next separator.
    ++skipped;
    auto* comma = static_cast<const char*>(std::memchr(t, ',', e - t));
    if (comma == nullptr) break;
    b = comma + 1;
  }
  // The two survivors, parsed once (one parse when they are one token).
  if (lo.text.p != nullptr && lo.text.p == hi.text.p) {
    hi.value = lo.materialize();
    hi.text.p = nullptr;
  }
  if (lo.text.p != nullptr || std::isfinite(lo.value)) {  // a value at all
    band.add(lo.materialize());
    band.add(hi.materialize());
  }
  return skipped;
}

} // namespace

uint64_t ecsv_detail::add_flux_values(const char* b, const char* e, band_extent& band) {
#if defined(__SSE2__)
  if (active_simd_level() != simd_level::scalar) return add_values<sse2_ops>(b, e, band);
#endif
  return add_values<scalar_ops>(b, e, band);
}

} // namespace gaia
