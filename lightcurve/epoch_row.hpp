// One source's epoch photometry exactly as a bulk file's row holds it
// (EpochPhotometry_*.csv.gz, Gaia DR3 datamodel section 20.7.1): the ids,
// n_transits and the per-transit arrays, every array n_transits long. Missing
// values stay missing: NaN in the numeric arrays, flag::missing in the
// boolean ones. The DataLink tables (standard_table.hpp) are built from it.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

namespace gaia::lightcurve {

/// A boolean that may be missing (the bulk files' 'bool[null]' arrays).
enum class flag : int8_t { no = 0, yes = 1, missing = -1 };

/// The five per-transit arrays of one band. In G they are g_transit_time,
/// g_transit_flux, ..._error, ..._over_error, g_transit_mag; in BP/RP
/// bp_obs_time, bp_flux, bp_flux_error, bp_flux_over_error, bp_mag.
struct band_series {
  std::vector<double> time;
  std::vector<double> flux;
  std::vector<double> flux_error;
  std::vector<float> flux_over_error; ///< float32 in the archive
  std::vector<double> mag;
};

/// The 25 photometry_flag_* columns in the bulk files' column order.
enum photometry_flag : size_t {
  noisy_data = 0,
  sm_unavailable = 1,
  af1_unavailable = 2, ///< af1..af9: 2..10
  bp_unavailable = 11,
  rp_unavailable = 12,
  sm_reject = 13,
  af1_reject = 14, ///< af1..af9: 14..22
  bp_reject = 23,
  rp_reject = 24,
  photometry_flag_count = 25,
};

/// The column name of photometry flag `i` ("photometry_flag_af3_reject").
std::string_view photometry_flag_name(size_t i);

/// variability_flag_{g,bp,rp}_reject, in that order.
enum band_index : size_t { band_g = 0, band_bp = 1, band_rp = 2 };

/// The column name of a variability reject flag ("variability_flag_bp_reject").
std::string_view variability_flag_name(size_t band);

struct epoch_row {
  int64_t solution_id = 0;
  int64_t source_id = 0;
  int32_t n_transits = 0;
  std::vector<int64_t> transit_id;
  band_series g, bp, rp;
  std::vector<int16_t> g_transit_n_obs;
  std::array<std::vector<flag>, photometry_flag_count> photometry_flags;
  std::array<std::vector<flag>, 3> variability_reject; ///< by band_index

  const band_series& band(size_t b) const { return b == band_g ? g : b == band_bp ? bp : rp; }
};

} // namespace gaia::lightcurve
