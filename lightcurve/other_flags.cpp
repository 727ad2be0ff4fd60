// The bit order of *_other_flags and the rejected_by_photometry rule
// (other_flags.hpp). Both were worked out from the DataLink product in
// tests/fixtures (README, "The DataLink tables").
#include "lightcurve/other_flags.hpp"

#include <cmath>

namespace gaia::lightcurve {

unsigned other_flags_bit(size_t f) {
  return static_cast<unsigned>((f + 12) % photometry_flag_count);
}

band_index other_flags_band(size_t f) {
  if (f == bp_reject || f == bp_unavailable) return band_bp;
  if (f == rp_reject || f == rp_unavailable) return band_rp;
  return band_g;
}

int64_t other_flags(const epoch_row& row, size_t i, band_index band) {
  int64_t mask = 0;
  for (size_t f = 0; f < photometry_flag_count; ++f)
    if (other_flags_band(f) == band && row.photometry_flags[f][i] == flag::yes)
      mask |= int64_t{1} << other_flags_bit(f);
  return mask;
}

flag rejected_by_photometry(const epoch_row& row, size_t i) {
  return std::isnan(row.g.flux[i]) ? flag::yes : flag::no;
}

} // namespace gaia::lightcurve
