// The vector scans of the ECSV import.
//
// find_quote_or_newline hops over a quoted field (a flux array of ~1 KB):
// it runs over the bytes before the last needed column of every row.
// scan_record_tail runs over the rest of the row (mostly the boolean flag
// arrays, whose "" pairs would stop a quote search every few bytes): 64
// bytes a step, quote parity by prefix XOR (one carry-less multiply with
// PCLMUL), separators and the record's end counted outside quotes. Both
// have AVX2 and AVX-512 copies picked at run time (simd_level.hpp); the
// binary is built for plain x86-64, and a scalar copy is the reference.
#include "archive/csv_scan.hpp"

#include "archive/simd_level.hpp"

#include <cstddef>
#include <cstdint>

#if defined(__SSE2__)
#include <immintrin.h>
#endif

namespace gaia::ecsv_detail {

namespace {

/// One bit per byte of a 64-byte block.
struct block_bits {
  uint64_t quote;
  uint64_t comma;
  uint64_t newline;
};

#if defined(__SSE2__)

namespace sse2 {

/// First '"' or '\n' at or after `p`, 32 bytes a step.
const char* find_quote_or_newline(const char* p) {
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

inline uint64_t eq_bits(const __m128i* v, char c) {
  const __m128i k = _mm_set1_epi8(c);
  uint64_t out = 0;
  for (int i = 0; i < 4; ++i)
    out |= static_cast<uint64_t>(static_cast<uint32_t>(
             _mm_movemask_epi8(_mm_cmpeq_epi8(v[i], k))))
           << (16 * i);
  return out;
}

inline block_bits load_block(const char* p) {
  __m128i v[4];
  for (int i = 0; i < 4; ++i)
    v[i] = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 16 * i));
  return {eq_bits(v, '"'), eq_bits(v, ','), eq_bits(v, '\n')};
}

inline uint64_t cr_bits(const char* p) {
  __m128i v[4];
  for (int i = 0; i < 4; ++i)
    v[i] = _mm_loadu_si128(reinterpret_cast<const __m128i*>(p + 16 * i));
  return eq_bits(v, '\r');
}

/// Bit i of the result: the XOR of bits 0..i of x.
inline uint64_t prefix_xor(uint64_t x) {
  x ^= x << 1;
  x ^= x << 2;
  x ^= x << 4;
  x ^= x << 8;
  x ^= x << 16;
  x ^= x << 32;
  return x;
}

#include "archive/csv_scan_tail.inc"

} // namespace sse2

#pragma GCC push_options
#pragma GCC target("avx2,pclmul,popcnt,bmi,bmi2")

namespace avx2 {

/// find_quote_or_newline, 64 bytes a step.
const char* find_quote_or_newline(const char* p) {
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

inline uint64_t eq_bits(__m256i lo, __m256i hi, char c) {
  const __m256i k = _mm256_set1_epi8(c);
  const uint64_t a = static_cast<uint32_t>(
    _mm256_movemask_epi8(_mm256_cmpeq_epi8(lo, k)));
  const uint64_t b = static_cast<uint32_t>(
    _mm256_movemask_epi8(_mm256_cmpeq_epi8(hi, k)));
  return a | (b << 32);
}

inline block_bits load_block(const char* p) {
  const __m256i lo = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
  const __m256i hi =
    _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + 32));
  return {eq_bits(lo, hi, '"'), eq_bits(lo, hi, ','), eq_bits(lo, hi, '\n')};
}

inline uint64_t cr_bits(const char* p) {
  const __m256i lo = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p));
  const __m256i hi =
    _mm256_loadu_si256(reinterpret_cast<const __m256i*>(p + 32));
  return eq_bits(lo, hi, '\r');
}

/// Bit i of the result: the XOR of bits 0..i of x (a carry-less multiply
/// by all ones).
inline uint64_t prefix_xor(uint64_t x) {
  const __m128i v = _mm_set_epi64x(0, static_cast<long long>(x));
  const __m128i ones = _mm_set1_epi8(static_cast<char>(0xFF));
  return static_cast<uint64_t>(
    _mm_cvtsi128_si64(_mm_clmulepi64_si128(v, ones, 0)));
}

#include "archive/csv_scan_tail.inc"

} // namespace avx2

#pragma GCC pop_options

#pragma GCC push_options
#pragma GCC target("avx2,avx512f,avx512bw,pclmul,popcnt,bmi,bmi2")

namespace avx512 {

/// find_quote_or_newline, one 64-byte register a step: the compares give
/// bit masks directly.
const char* find_quote_or_newline(const char* p) {
  const __m512i quote = _mm512_set1_epi8('"');
  const __m512i newline = _mm512_set1_epi8('\n');
  for (;; p += 64) {
    const __m512i v = _mm512_loadu_si512(p);
    const uint64_t m =
      _mm512_cmpeq_epi8_mask(v, quote) | _mm512_cmpeq_epi8_mask(v, newline);
    if (m != 0) return p + __builtin_ctzll(m);
  }
}

inline block_bits load_block(const char* p) {
  const __m512i v = _mm512_loadu_si512(p);
  return {_mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8('"')),
          _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8(',')),
          _mm512_cmpeq_epi8_mask(v, _mm512_set1_epi8('\n'))};
}

inline uint64_t cr_bits(const char* p) {
  return _mm512_cmpeq_epi8_mask(_mm512_loadu_si512(p), _mm512_set1_epi8('\r'));
}

// The same carry-less multiply (its target is a subset of this one's, so
// it inlines here).
using avx2::prefix_xor;

#include "archive/csv_scan_tail.inc"

} // namespace avx512

#pragma GCC pop_options

#endif

// Byte by byte: the reference the vector copies are tested against, and
// the code for CPUs without SSE2.
namespace scalar {

const char* find_quote_or_newline(const char* p) {
  while (*p != '"' && *p != '\n') ++p;
  return p;
}

inline block_bits load_block(const char* p) {
  block_bits m{0, 0, 0};
  for (int i = 0; i < 64; ++i) {
    const uint64_t bit = uint64_t{1} << i;
    if (p[i] == '"') m.quote |= bit;
    if (p[i] == ',') m.comma |= bit;
    if (p[i] == '\n') m.newline |= bit;
  }
  return m;
}

inline uint64_t cr_bits(const char* p) {
  uint64_t m = 0;
  for (int i = 0; i < 64; ++i)
    if (p[i] == '\r') m |= uint64_t{1} << i;
  return m;
}

inline uint64_t prefix_xor(uint64_t x) {
  for (int s = 1; s < 64; s *= 2) x ^= x << s;
  return x;
}

#include "archive/csv_scan_tail.inc"

} // namespace scalar

} // namespace

const char* find_quote_or_newline(const char* p) {
  switch (active_simd_level()) {
#if defined(__SSE2__)
    case simd_level::avx512: return avx512::find_quote_or_newline(p);
    case simd_level::avx2: return avx2::find_quote_or_newline(p);
    case simd_level::sse2: return sse2::find_quote_or_newline(p);
#endif
    default: return scalar::find_quote_or_newline(p);
  }
}

tail_scan scan_record_tail(const char* p, const char* data_end) {
  switch (active_simd_level()) {
#if defined(__SSE2__)
    case simd_level::avx512: return avx512::scan(p, data_end);
    case simd_level::avx2: return avx2::scan(p, data_end);
    case simd_level::sse2: return sse2::scan(p, data_end);
#endif
    default: return scalar::scan(p, data_end);
  }
}

} // namespace gaia::ecsv_detail
