// The parts both DataLink structures share: the release parameters, the
// time frame, a band's five columns and a variability reject column, each
// with DataLink's metadata (from the standard product in tests/fixtures).
#pragma once

#include "lightcurve/epoch_row.hpp"
#include "lightcurve/table.hpp"

#include <string>
#include <vector>

namespace gaia::lightcurve {

table_column make_column(std::string name, value_type type, std::string unit, std::string ucd,
                         std::string utype, std::string description);

/// The nine text parameters (citation ... creator).
std::vector<table_param> release_params();

/// TCB at the barycentre, days from 2455197.5 (BJD 2010-01-01T00:00:00).
time_frame gaia_time_frame();

/// One band's time, flux, flux_error, flux_over_error and mag of one row,
/// one value per transit.
std::vector<table_column> band_columns(const epoch_row& row, band_index band);

/// variability_flag_<band>_reject of one row.
table_column variability_reject_column(const epoch_row& row, band_index band);

} // namespace gaia::lightcurve
