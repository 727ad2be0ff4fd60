// The rare tokens of read_real_text (real_text.hpp), read by std::from_chars.
#include "lightcurve/real_text.hpp"

#include <charconv>

namespace gaia::lightcurve {

namespace {

template <class Real>
bool read_real_text_with_std_of(std::string_view token, Real& out) {
  const char* const last = token.data() + token.size();
  Real v{};
  const auto r = std::from_chars(token.data(), last, v, std::chars_format::general);
  if (r.ec != std::errc() || r.ptr != last) return false;
  out = v;
  return true;
}

} // namespace

bool read_real_text_with_std(std::string_view token, double& out) {
  return read_real_text_with_std_of(token, out);
}
bool read_real_text_with_std(std::string_view token, float& out) {
  return read_real_text_with_std_of(token, out);
}

} // namespace gaia::lightcurve
