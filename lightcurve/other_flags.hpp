// The two derived columns of DataLink's standard structure that the bulk
// files do not hold: g/bp/rp_other_flags, the 25 photometry_flag_* booleans
// of a transit packed into one bit mask per band, and
// rejected_by_photometry. Where each rule comes from, and what of it is
// not pinned down, is in the README ("The DataLink tables").
#pragma once

#include "lightcurve/epoch_row.hpp"

#include <cstdint>

namespace gaia::lightcurve {

/// The bit (0 = least significant) photometry flag `f` sets in the mask.
/// The rejects come first, then noisy_data, then the unavailable flags:
/// sm_reject 0, af1..af9_reject 1..9, bp_reject 10, rp_reject 11,
/// noisy_data 12, sm_unavailable 13, af1..af9_unavailable 14..22,
/// bp_unavailable 23, rp_unavailable 24. (That is the bulk column order
/// rotated: bit = (column + 12) mod 25.)
unsigned other_flags_bit(size_t f);

/// The band whose mask carries flag `f`: BP's reject and unavailable flags
/// go to bp_other_flags, RP's to rp_other_flags, every other flag (SM, AF,
/// noisy_data) to g_other_flags.
band_index other_flags_band(size_t f);

/// The mask of band `band` for transit `i`: the bits of its flags that are
/// set (a missing flag sets none).
int64_t other_flags(const epoch_row& row, size_t i, band_index band);

/// rejected_by_photometry of transit `i`: the transit has no G photometry
/// (its g_transit_flux is missing). A missing BP/RP value, or any reject
/// flag of a CCD whose value is still there, does not set it.
flag rejected_by_photometry(const epoch_row& row, size_t i);

} // namespace gaia::lightcurve
