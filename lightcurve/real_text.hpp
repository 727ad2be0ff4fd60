// One number of a bulk row's text read as a double or float, exactly as
// std::from_chars (chars_format::general) reads it, only faster: the light
// curves' select workers read every value of every asked row.
//
// fast_float and libstdc++'s std::from_chars read the same grammar to the
// same correctly rounded value, but part on a few tokens: fast_float takes
// an out-of-range value as 0 or infinity where std::from_chars reports
// result_out_of_range. So a token that fast_float reads whole to a normal
// number (the archive's values) is taken as it is, inline; any other token
// (zero, a subnormal, an infinity, a NaN, an error, a token read in part)
// is read again by std::from_chars, which decides as it always did.
#pragma once

#include <fast_float/fast_float.h>

#include <cmath>
#include <string_view>
#include <system_error>

namespace gaia::lightcurve {

/// std::from_chars(general) on the whole token: true, with `out` set, when
/// it reads all of it without an error.
bool read_real_text_with_std(std::string_view token, double& out);
bool read_real_text_with_std(std::string_view token, float& out);

/// True, with `out` set, when std::from_chars would read the whole of
/// `token` without an error; the same correctly rounded value, to the bit.
/// False for what it rejects: "", "+1", "1e", "0x1p3", "1e400" and
/// "1e-400" (out of range). "nan", "inf" and "infinity" (any case) are
/// read as std::from_chars reads them; the caller decides about them.
template <class Real>
inline bool read_real_text(std::string_view token, Real& out) {
  const char* const last = token.data() + token.size();
  Real v{};
  const auto fast = fast_float::from_chars(token.data(), last, v);
  if (fast.ec == std::errc() && fast.ptr == last && std::isnormal(v)) {
    out = v;
    return true;
  }
  return read_real_text_with_std(token, out);
}

} // namespace gaia::lightcurve
