// The flux arrays of an ECSV row ("[1820.85,null,1791.2]"): each valid value
// folded into a band's min and max. Used by ecsv_reader.cpp; not a public
// API (parse_flux_token, the single-token rule, is in ecsv_reader.hpp).
#pragma once

#include "core/source_aggregate.hpp"

namespace gaia::ecsv_detail {

/// Adds every valid value of an array field's contents [b, e) (brackets,
/// spaces and a trailing '\r' allowed) to `band`. Needs 32 readable bytes
/// after `e`.
void add_flux_values(const char* b, const char* e, band_extent& band);

} // namespace gaia::ecsv_detail
