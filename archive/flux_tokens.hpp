// The flux arrays of an ECSV row ("[1820.85,NaN,1791.2]"): each valid value
// folded into a band's min and max. Used by ecsv_reader.cpp; not a public
// API (parse_flux_token, the single-token rule, is in ecsv_reader.hpp).
#pragma once

#include "core/source_aggregate.hpp"

#include <cstdint>

namespace gaia::ecsv_detail {

/// Adds every valid value of an array field's contents [b, e) to `band`.
/// The cell must be a bracketed array ("[v,v,...]", spaces allowed);
/// anything else contributes no values. Returns how many values were
/// skipped: malformed tokens ("null", "1.0x", an empty token), infinite
/// ones, and 1 for a non-empty cell that is not an array. "NaN", the
/// archive's missing value, is not counted. Needs 32 readable bytes after
/// `e`.
uint64_t add_flux_values(const char* b, const char* e, band_extent& band);

} // namespace gaia::ecsv_detail
