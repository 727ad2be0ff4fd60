// Numbers read with fast_float (real_text.hpp). fast_float and libstdc++'s
// std::from_chars read the same grammar to the same correctly rounded
// value, but part on a few tokens: fast_float takes an out-of-range value
// as 0 or infinity where std::from_chars reports result_out_of_range. So a
// token that fast_float reads whole to a normal number (the archive's
// values) is taken as it is; any other token (zero, a subnormal, an
// infinity, a NaN, an error, a token read in part) is read again by
// std::from_chars, which decides as it always did.
#include "lightcurve/real_text.hpp"

#include <fast_float/fast_float.h>

#include <charconv>
#include <cmath>
#include <system_error>

namespace gaia::lightcurve {

namespace {

template <class Real>
bool read_real_text_of(std::string_view token, Real& out) {
  const char* const first = token.data();
  const char* const last = first + token.size();
  Real v{};
  const auto fast = fast_float::from_chars(first, last, v);
  if (fast.ec == std::errc() && fast.ptr == last && std::isnormal(v)) {
    out = v;
    return true;
  }
  const auto r = std::from_chars(first, last, v, std::chars_format::general);
  if (r.ec != std::errc() || r.ptr != last) return false;
  out = v;
  return true;
}

} // namespace

bool read_real_text(std::string_view token, double& out) { return read_real_text_of(token, out); }
bool read_real_text(std::string_view token, float& out) { return read_real_text_of(token, out); }

} // namespace gaia::lightcurve
