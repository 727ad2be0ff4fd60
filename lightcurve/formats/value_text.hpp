// How the text formats write one value: shortest round-trip digits
// (core/shortest_text.hpp, what std::to_chars writes), so a reader gets back
// the very double or float; the float32 columns with float digits, not the
// double's.
#pragma once

#include "lightcurve/table.hpp"

#include <string>

namespace gaia::lightcurve {

void append_integer(std::string& out, int64_t v);

/// Appends element `i` of column `c` (row i of a scalar column) as text: integers in decimal, finite
/// numbers in shortest form, NaN as `nan_text`, booleans as
/// true_text/false_text, a missing boolean as `missing_text`.
struct value_spelling {
  const char* nan_text;
  const char* true_text;
  const char* false_text;
  const char* missing_text;
  /// An infinity's text ("+Inf"/"-Inf" in VOTable's TABLEDATA,
  /// "Infinity"/"-Infinity" in JSON arrays); none: as std::to_chars writes
  /// it ("inf", which astropy's ECSV and CSV readers take).
  const char* plus_infinity = nullptr;
  const char* minus_infinity = nullptr;
};
void append_value(std::string& out, const table_column& c, size_t i, const value_spelling& s);

/// `text` with &, <, > and " escaped for XML.
std::string xml_escape(const std::string& text);

} // namespace gaia::lightcurve
