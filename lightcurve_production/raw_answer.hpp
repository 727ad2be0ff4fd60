// The raw structure's answer (DATAMODEL_GAIA): one table, one row per
// found source, written as the parts are read, in batches of rows, so a
// request's memory does not grow with the number of sources
// (lightcurve/formats/table_files.hpp's table_file_writer).
#pragma once

#include "lightcurve/formats/table_files.hpp"
#include "lightcurve_production/messages.hpp"

#include <string>

namespace gaia {

/// Writes the raw table of every row of `req`'s parts to `path` (via its
/// temporary name) as `format`; counts the sources and the skipped rows in
/// `reply`. Throws output_error naming the file when it cannot be written.
void write_raw_answer(const lc_assemble_request& req, lightcurve::table_format format,
                      const std::string& path, lc_assemble_reply& reply);

} // namespace gaia
