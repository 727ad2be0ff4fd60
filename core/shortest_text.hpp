// Doubles and floats as the shortest text that reads back to the very same
// bits, byte for byte what the plain std::to_chars(first, last, v) of
// libstdc++ writes, but with Dragonbox's digits: results.csv and the
// light-curve tables write millions of them (libstdc++'s Ryu and layout
// take ~40 ns of CPU a double here, this ~25).
#pragma once

#include <string>

namespace gaia {

/// Appends `v` as std::to_chars(first, last, v) writes it: the shorter of
/// fixed and scientific (a tie is fixed: "123456", "1e+05", "1.5e-07",
/// "0.001"); scientific with a signed exponent of at least two digits; a
/// fixed integer beyond the significand's precision with its exact digits
/// (1.2345678901234568e20 is "123456789012345683968"); zero as "0" or "-0";
/// "inf", "-inf", "nan", "-nan". At most 24 bytes.
void append_shortest(std::string& out, double v);
void append_shortest(std::string& out, float v);

} // namespace gaia
