// One number of a bulk row's text read as a double or float, exactly as
// std::from_chars (chars_format::general) reads it, only faster: the light
// curves' select workers read every value of every asked row.
#pragma once

#include <string_view>

namespace gaia::lightcurve {

/// True, with `out` set, when std::from_chars would read the whole of
/// `token` without an error; the same correctly rounded value, to the bit.
/// False for what it rejects: "", "+1", "1e", "0x1p3", "1e400" and
/// "1e-400" (out of range). "nan", "inf" and "infinity" (any case) are
/// read as std::from_chars reads them; the caller decides about them.
bool read_real_text(std::string_view token, double& out);
bool read_real_text(std::string_view token, float& out);

} // namespace gaia::lightcurve
