// Writes a table as a FITS binary table (cfitsio), as DataLink's fits
// format: an empty primary HDU, then one BINTABLE. Column types: long K,
// double D, float E, short I, boolean L; an array column is a
// variable-length array (1PK, 1PD, 1PE, 1PI, 1PL). The parameters are
// header keywords (names over 8 characters as HIERARCH), the time frame
// TIMESYS/JDREF/TREFPOS/TIMEUNIT, units as DataLink writes them
// ("'electron'.s**-1": FITS has no electron; astropy keeps it unrecognized,
// as users of DataLink's FITS files see it).
// NaN stays NaN; a missing boolean is FITS's null logical (a 0 byte).
#pragma once

#include "lightcurve/table.hpp"

#include <ostream>

namespace gaia::lightcurve {

/// Writes the whole FITS file to `out` (built in memory first). Throws
/// output_error with cfitsio's message when cfitsio refuses.
void write_fits(std::ostream& out, const table& t);

} // namespace gaia::lightcurve
