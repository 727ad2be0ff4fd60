// DataLink's DATAMODEL_GAIA epoch photometry (formerly RAW): one table for
// all the sources asked for, one row per source with the bulk file's 48
// columns (ids and n_transits, then every per-transit array as a
// variable-length array column). No real DataLink product of this
// structure was found: names, order and types are the bulk files' (Gaia
// DR3 datamodel section 20.7.1), the metadata text that of the standard
// table and of the bulk files' ECSV header.
#pragma once

#include "lightcurve/epoch_row.hpp"
#include "lightcurve/table.hpp"

#include <vector>

namespace gaia::lightcurve {

/// The table's metadata without rows: a streaming writer opens with it.
table raw_table_header();

/// Appends one source's row to `t` (raw_table_header()'s columns; a batch
/// of the table's rows).
void append_raw_row(table& t, const epoch_row& row);

/// The table of `rows`, whole.
table raw_table(const std::vector<epoch_row>& rows);

} // namespace gaia::lightcurve
