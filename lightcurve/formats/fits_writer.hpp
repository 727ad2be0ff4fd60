// Writes a table as a FITS binary table (cfitsio), as DataLink's fits
// format: an empty primary HDU, then one BINTABLE. Column types: long K,
// double D, float E, short I, boolean L; an array column is a
// variable-length array (1PK, 1PD, 1PE, 1PI, 1PL; cfitsio writes each
// column's longest array into its TFORM when the file is closed). The
// parameters are header keywords (names over 8 characters as HIERARCH),
// the time frame TIMESYS/JDREF/TREFPOS/TIMEUNIT, units as DataLink writes
// them ("'electron'.s**-1": FITS has no electron; astropy keeps it
// unrecognized, as users of DataLink's FITS files see it).
// NaN stays NaN; a missing boolean is FITS's null logical (a 0 byte).
// Rows are written in batches (table_writer.hpp). cfitsio moves the whole
// heap of variable-length arrays each time the table grows, so the rows
// the table will have (`expected_rows`, 0: unknown) are added at once and
// rows beyond them in doubling steps. Rows added but never written are
// dropped at the end, and that costs cfitsio memory of the heap's size
// (its heap check): memory stays bounded when `expected_rows` is the
// table's row count.
#pragma once

#include "lightcurve/formats/table_writer.hpp"

#include <memory>
#include <string>

namespace gaia::lightcurve {

/// Built in memory (one source's table): the file goes to `out` at
/// finish(). Errors throw output_error with cfitsio's message.
std::unique_ptr<table_writer> fits_memory_writer(byte_sink& out, const table& header,
                                                 size_t expected_rows);

/// Written to the file `path` as it goes (replacing a file there), so
/// memory holds cfitsio's buffers and one batch. Errors throw output_error
/// naming `path` with cfitsio's message.
std::unique_ptr<table_writer> fits_file_writer(const std::string& path, const table& header,
                                               size_t expected_rows);

} // namespace gaia::lightcurve
