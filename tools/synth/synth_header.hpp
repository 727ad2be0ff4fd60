// The ECSV header of a real 48-column bulk file, column by column.
#pragma once

#include <string>

namespace gaia::synth {

/// Number of columns of a bulk file.
inline constexpr int column_count = 48;

/// The 365 '#' lines of a real bulk file followed by the 48-column header
/// row, every line ended with `eol` ("\n" or "\r\n").
std::string ecsv_header(const char* eol);

} // namespace gaia::synth
