// Flux arrays: only a row's min and max matter, and in a typical array of 40
// values only a handful ever become a new extreme. So a token is first
// looked at, not parsed: if it is a plain decimal >= 1 ("1820.8582445068785")
// and its digits show it cannot be above the current max nor below the
// current min, it is passed over. Correct rounding is monotonic, so a
// decimal that is <= the max's decimal gives a double <= max: skipping it
// never changes a result, whether or not it would have parsed. Everything
// else is parsed exactly.
#include "archive/flux_tokens.hpp"

#include "archive/csv_scan.hpp"
#include "archive/ecsv_reader.hpp"

#include <fast_float/fast_float.h>

#include <cmath>
#include <cstdint>
#include <cstring>
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
  // At most one '.': then a plain token is always a valid number, so
  // passing over one never hides a malformed token from the counts.
  const uint32_t token_dots = dots & want;
  s.plain = ((digits | dots) & want) == want && *t != '0' &&
            (token_dots & (token_dots - 1)) == 0;
#else
  size_t len = 0;
  bool plain = true;
  unsigned dots = 0;
  while (len < room && t[len] != ',') {
    char c = t[len];
    if (c == '.') ++dots;
    else if (c < '0' || c > '9') plain = false;
    ++len;
  }
  if (dots > 1) plain = false;
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

uint64_t ecsv_detail::add_flux_values(const char* b, const char* e,
                                      band_extent& band) {
  b = skip_spaces(b, e);
  e = trim_right(b, e);
  if (b == e) return 0;  // an empty cell: no values, nothing wrong
  // Only a bracketed array holds values; "42.5" or "[1.5," is not one.
  if (e - b < 2 || *b != '[' || e[-1] != ']') return 1;
  ++b;
  --e;
  if (skip_spaces(b, e) == e) return 0;  // "[]"
  uint64_t skipped = 0;
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
        if (b == e) return skipped;
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
        double old_min = band.min, old_max = band.max;
        band.add(v);
        // Remember the text only when it is exactly the plain token seen.
        const char* text = plain && t == b && r.ptr == t + len ? t : nullptr;
        if (band.min != old_min) lo = {text, len, k};
        if (band.max != old_max) hi = {text, len, k};
      } else if (!std::isnan(v)) {
        ++skipped;  // Infinity, or a number too large for a double
      }             // NaN: the archive's way of writing "no value"
      if (after == e) return skipped;
      b = after + 1;
      continue;
    }
    // Malformed token ("null", "1.0x", ""): skip to the next separator.
    ++skipped;
    auto* comma = static_cast<const char*>(std::memchr(t, ',', e - t));
    if (comma == nullptr) return skipped;
    b = comma + 1;
  }
}

} // namespace gaia
