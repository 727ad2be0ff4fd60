// The shortest round-trip text of a double or float (shortest_text.hpp).
// Dragonbox gives the digits and the decimal exponent (the shortest digits
// that read back to v, the closest to v among them, ties to even: what
// libstdc++'s Ryu gives); the layout below is libstdc++'s.
#include "core/shortest_text.hpp"

#include <dragonbox/dragonbox.h>

#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>

namespace gaia {

namespace {

constexpr char shortest_digit_pairs[] =
  "00010203040506070809101112131415161718192021222324252627282930313233343536373839"
  "40414243444546474849505152535455565758596061626364656667686970717273747576777879"
  "8081828384858687888990919293949596979899";

/// Writes the 8 digits of `v` < 10^8, leading zeros included, at `out`:
/// two independent halves in 32-bit arithmetic.
void eight_digits_at(char* out, uint32_t v) {
  const uint32_t high = v / 10000, low = v % 10000;
  std::memcpy(out, shortest_digit_pairs + 2 * (high / 100), 2);
  std::memcpy(out + 2, shortest_digit_pairs + 2 * (high % 100), 2);
  std::memcpy(out + 4, shortest_digit_pairs + 2 * (low / 100), 2);
  std::memcpy(out + 6, shortest_digit_pairs + 2 * (low % 100), 2);
}

/// Writes the decimal digits of `v` so that they end at `end`; returns
/// where they begin. Eight digits at a time, then pairs of the rest.
char* digits_ending_at(char* end, uint64_t v) {
  while (v >= 100000000) {
    end -= 8;
    eight_digits_at(end, static_cast<uint32_t>(v % 100000000));
    v /= 100000000;
  }
  auto rest = static_cast<uint32_t>(v);
  while (rest >= 100) {
    end -= 2;
    std::memcpy(end, shortest_digit_pairs + 2 * (rest % 100), 2);
    rest /= 100;
  }
  if (rest >= 10) {
    end -= 2;
    std::memcpy(end, shortest_digit_pairs + 2 * rest, 2);
  } else {
    *--end = static_cast<char>('0' + rest);
  }
  return end;
}

/// The exact value of an integral double >= 2^53 (libstdc++ writes a fixed
/// integer's every digit, not the shortest digits padded with zeros). Fixed
/// is chosen only below 10^23 < 2^77, so 128 bits hold it.
char* exact_integer(char* out, double v) {
  uint64_t bits;
  std::memcpy(&bits, &v, sizeof bits);
  const auto significand = (bits & ((uint64_t(1) << 52) - 1)) | (uint64_t(1) << 52);
  const int shift = static_cast<int>((bits >> 52) & 0x7ff) - 1075;
  unsigned __int128 n = static_cast<unsigned __int128>(significand) << shift;
  char digits[40];
  char* end = digits + sizeof digits;
  char* first = end;
  // Nineteen digits at a time (10^19 < 2^64), the last chunk unpadded.
  constexpr uint64_t chunk = 10000000000000000000ull;
  while (n >= chunk) {
    const auto low = static_cast<uint64_t>(n % chunk);
    n /= chunk;
    char* from = digits_ending_at(first, low);
    while (from > first - 19) *--from = '0';
    first = from;
  }
  first = digits_ending_at(first, static_cast<uint64_t>(n));
  std::memcpy(out, first, static_cast<size_t>(end - first));
  return out + (end - first);
}

/// A float's fixed integer is below 10^14: a uint64_t holds it exactly.
char* exact_integer(char* out, float v) {
  char digits[24];
  char* end = digits + sizeof digits;
  char* first = digits_ending_at(end, static_cast<uint64_t>(v));
  std::memcpy(out, first, static_cast<size_t>(end - first));
  return out + (end - first);
}

/// Room for the text and for the fixed-size copies that write it (a copy
/// of a constant size is a few moves; one of a variable size, a call).
constexpr size_t shortest_scratch = 64;

/// Writes v's text at `out` (shortest_scratch bytes of room); returns its
/// end.
template <class Float>
char* write_shortest_of(char* out, Float v) {
  if (std::signbit(v)) *out++ = '-';
  if (!std::isfinite(v)) {
    std::memcpy(out, std::isnan(v) ? "nan" : "inf", 3);
    return out + 3;
  }
  if (v == 0) {
    *out++ = '0';
    return out;
  }
  const auto decimal = jkj::dragonbox::to_decimal(v, jkj::dragonbox::policy::sign::ignore);
  // The digits end at digits + 24, with room after them for the copies.
  char digits[48];
  char* const digits_end = digits + 24;
  const char* const first = digits_ending_at(digits_end, decimal.significand);
  const int n = static_cast<int>(digits_end - first); // v = digits * 10^e, n <= 17
  const int e = decimal.exponent;
  const int sci_exp = e + n - 1; // v = d.ddd * 10^sci_exp
  const int abs_exp = sci_exp < 0 ? -sci_exp : sci_exp;
  const int sci_len = n + (n > 1 ? 1 : 0) + 2 + (abs_exp >= 100 ? 3 : 2);
  const int fixed_len = e >= 0 ? n + e : sci_exp >= 0 ? n + 1 : n + 1 - sci_exp;
  if (fixed_len <= sci_len) { // then fixed_len <= 23: e <= 22, at most 4 zeros after "0."
    if (e >= 0) {
      // Below 2^53 (2^24) digits followed by zeros are v's exact digits.
      constexpr Float exact_below = Float(uint64_t(1) << std::numeric_limits<Float>::digits);
      if (e > 0 && std::fabs(v) >= exact_below) return exact_integer(out, std::fabs(v));
      std::memcpy(out, first, 17);
      std::memset(out + n, '0', 24);
      return out + n + e;
    }
    if (sci_exp >= 0) { // "123.45"
      const int whole = sci_exp + 1;
      std::memcpy(out, first, 17);
      out[whole] = '.';
      std::memcpy(out + whole + 1, first + whole, 16);
      return out + n + 1;
    }
    // "0.00012345"
    const int zeros = -sci_exp - 1;
    std::memcpy(out, "0.0000", 6);
    std::memcpy(out + 2 + zeros, first, 17);
    return out + 2 + zeros + n;
  }
  out[0] = first[0];
  if (n > 1) {
    out[1] = '.';
    std::memcpy(out + 2, first + 1, 16);
    out += n + 1;
  } else {
    out += 1;
  }
  out[0] = 'e';
  out[1] = sci_exp < 0 ? '-' : '+';
  if (abs_exp >= 100) {
    out[2] = static_cast<char>('0' + abs_exp / 100);
    std::memcpy(out + 3, shortest_digit_pairs + 2 * (abs_exp % 100), 2);
    return out + 5;
  }
  std::memcpy(out + 2, shortest_digit_pairs + 2 * abs_exp, 2);
  return out + 4;
}

} // namespace

void append_shortest(std::string& out, double v) {
  char buf[shortest_scratch];
  out.append(buf, write_shortest_of(buf, v));
}

void append_shortest(std::string& out, float v) {
  char buf[shortest_scratch];
  out.append(buf, write_shortest_of(buf, v));
}

} // namespace gaia
