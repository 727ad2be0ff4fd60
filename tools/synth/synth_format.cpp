// Java's Double.toString / Float.toString layout on top of std::to_chars'
// shortest round-trip digits.
#include "tools/synth/synth.hpp"
#include "tools/synth/synth_format.hpp"

#include <algorithm>
#include <charconv>
#include <cmath>
#include <cstring>

namespace gaia::synth {

namespace {

/// Lays out shortest scientific digits ("d.ddde+XX" from to_chars) the way
/// Java does: plain for decimal exponents -3..6 (|v| in [1e-3, 1e7)), else
/// "d.dddE<exp>". Both forms keep at least one digit after the point.
void append_java_layout(std::string& out, const char* sci, const char* end) {
  const char* p = sci;
  if (*p == '-') out += *p++;
  char digits[32];
  int n = 0;
  for (; p < end && *p != 'e'; ++p)
    if (*p != '.') digits[n++] = *p;
  int exp = 0;
  std::from_chars(p + 1 + (p[1] == '+' ? 1 : 0), end, exp);

  if (exp >= -3 && exp < 7) {
    if (exp < 0) {
      out += "0.";
      out.append(static_cast<size_t>(-exp - 1), '0');
      out.append(digits, static_cast<size_t>(n));
      return;
    }
    const int int_len = exp + 1;
    if (n <= int_len) {
      out.append(digits, static_cast<size_t>(n));
      out.append(static_cast<size_t>(int_len - n), '0');
      out += ".0";
    } else {
      out.append(digits, static_cast<size_t>(int_len));
      out += '.';
      out.append(digits + int_len, static_cast<size_t>(n - int_len));
    }
    return;
  }
  out += digits[0];
  out += '.';
  if (n > 1)
    out.append(digits + 1, static_cast<size_t>(n - 1));
  else
    out += '0';
  out += 'E';
  char buf[8];
  auto r = std::to_chars(buf, buf + sizeof buf, exp);
  out.append(buf, r.ptr);
}

/// NaN and infinities are spelled as Java spells them; true when handled.
template <class F>
bool append_special(std::string& out, F v) {
  if (std::isnan(v)) {
    out += "NaN";
    return true;
  }
  if (std::isinf(v)) {
    out += v < 0 ? "-Infinity" : "Infinity";
    return true;
  }
  return false;
}

/// Java writes at least two significant digits: when one digit is enough
/// to round-trip, it takes the closest two-digit decimal instead (4.9E-324,
/// not 5.0E-324, for the smallest subnormal). That differs from "d.0" only
/// for the few-bit subnormals; it is kept only if it still round-trips.
template <class F>
void append_java(std::string& out, F v) {
  if (append_special(out, v)) return;
  char buf[40];
  auto r = std::to_chars(buf, buf + sizeof buf, v, std::chars_format::scientific);
  const char* digits = buf + (buf[0] == '-' ? 1 : 0);
  if (digits[1] == 'e') { // one significant digit
    char two[40];
    auto r2 = std::to_chars(two, two + sizeof two, v, std::chars_format::scientific, 1);
    F back{};
    std::from_chars(two, r2.ptr, back);
    if (back == v) {
      // "d.0e+XX" -> "de+XX": the layout adds the ".0" back where needed.
      char* e = std::find(two, r2.ptr, 'e');
      if (e[-1] == '0') {
        std::memmove(e - 2, e, static_cast<size_t>(r2.ptr - e));
        r2.ptr -= 2;
      }
      append_java_layout(out, two, r2.ptr);
      return;
    }
  }
  append_java_layout(out, buf, r.ptr);
}

} // namespace

void append_java_double(std::string& out, double v) { append_java(out, v); }

void append_java_float(std::string& out, float v) { append_java(out, v); }

void append_int(std::string& out, int64_t v) {
  char buf[24];
  auto r = std::to_chars(buf, buf + sizeof buf, v);
  out.append(buf, r.ptr);
}

std::string java_double(double v) {
  std::string out;
  append_java_double(out, v);
  return out;
}

} // namespace gaia::synth
