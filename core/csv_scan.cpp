// find_quote_or_newline: the scan that hops over a quoted field (a flux
// array of ~1 KB). It runs over most of every row's bytes before the last
// needed column, so it is vectorised, with AVX2 picked at run time.
#include "core/csv_scan.hpp"

#include <cstdint>

#if defined(__SSE2__)
#include <immintrin.h>
#endif

namespace gaia::ecsv_detail {

namespace {

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

} // namespace

const char* find_quote_or_newline(const char* p) {
#if defined(__SSE2__)
  return has_avx2 ? find_quote_or_newline_avx2(p)
                  : find_quote_or_newline_sse2(p);
#else
  while (*p != '"' && *p != '\n') ++p;
  return p;
#endif
}

} // namespace gaia::ecsv_detail
