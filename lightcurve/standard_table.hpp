// DataLink's DATAMODEL_STANDARD epoch photometry table (formerly INDIVIDUAL):
// one table per source, one row per transit in the bulk arrays' order, the
// G, BP and RP values side by side, then the variability rejects, the
// per-band other_flags masks and rejected_by_photometry. Parameters,
// names, datatypes, units, ucds and descriptions are those of the DataLink
// product in tests/fixtures (GACS 3.6 layout, retrieved 2026-09-22).
#pragma once

#include "lightcurve/epoch_row.hpp"
#include "lightcurve/table.hpp"

#include <string>

namespace gaia::lightcurve {

/// The standard table of one source.
table standard_table(const epoch_row& row);

/// The same into `t` (empty, or filled by an earlier call): its metadata is
/// kept and its columns' memory reused (a select worker writes thousands).
void standard_table_into(const epoch_row& row, table& t);

/// The file name DataLink gives one source's standard table:
/// "EPOCH_PHOTOMETRY-Gaia DR3 <source_id>.<extension>".
std::string datalink_file_name(int64_t source_id, const std::string& extension);

} // namespace gaia::lightcurve
