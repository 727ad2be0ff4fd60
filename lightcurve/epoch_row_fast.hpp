// The common case of parse_epoch_row_into (epoch_row_parser.hpp) in one
// pass over the record, without a copy: each field read where it lies,
// each number read once (no token search, no trim, no unescaped copy of the
// flag arrays). A light-curve request parses every asked row whole; the
// general parser's token searches and copies were a third of that cost.
//
// It takes only what the bulk files write: plain scalar fields, arrays
// "[v,v]" (quoted, or unquoted with one value), numbers that fast_float
// reads whole to a normal value, "NaN" and "null", and flags as
// ""True"" / ""False"" / null. Anything else (a space, a zero, a quote out
// of place, a wrong count, an error) makes it give up: the general parser
// then reads the row again and decides, so a row's values or its error are
// the same whichever parser reads it.
#pragma once

#include "lightcurve/epoch_row.hpp"
#include "lightcurve/epoch_row_parser.hpp"

#include <string_view>

namespace gaia::lightcurve {

/// True with `row` filled (every field, as parse_epoch_row_into fills it)
/// when the record is in the common form; false otherwise, `row` then
/// holding a partial row.
bool parse_epoch_row_fast(const epoch_columns& columns, std::string_view record,
                          epoch_row& row);

} // namespace gaia::lightcurve
