// The names of the bulk files' flag columns (epoch_row.hpp), in their order.
#include "lightcurve/epoch_row.hpp"

namespace gaia::lightcurve {

std::string_view photometry_flag_name(size_t i) {
  static constexpr std::string_view names[photometry_flag_count] = {
    "photometry_flag_noisy_data",      "photometry_flag_sm_unavailable",
    "photometry_flag_af1_unavailable", "photometry_flag_af2_unavailable",
    "photometry_flag_af3_unavailable", "photometry_flag_af4_unavailable",
    "photometry_flag_af5_unavailable", "photometry_flag_af6_unavailable",
    "photometry_flag_af7_unavailable", "photometry_flag_af8_unavailable",
    "photometry_flag_af9_unavailable", "photometry_flag_bp_unavailable",
    "photometry_flag_rp_unavailable",  "photometry_flag_sm_reject",
    "photometry_flag_af1_reject",      "photometry_flag_af2_reject",
    "photometry_flag_af3_reject",      "photometry_flag_af4_reject",
    "photometry_flag_af5_reject",      "photometry_flag_af6_reject",
    "photometry_flag_af7_reject",      "photometry_flag_af8_reject",
    "photometry_flag_af9_reject",      "photometry_flag_bp_reject",
    "photometry_flag_rp_reject",
  };
  return i < photometry_flag_count ? names[i] : std::string_view{};
}

std::string_view variability_flag_name(size_t band) {
  static constexpr std::string_view names[3] = {
    "variability_flag_g_reject", "variability_flag_bp_reject", "variability_flag_rp_reject"};
  return band < 3 ? names[band] : std::string_view{};
}

} // namespace gaia::lightcurve
