// `gaia-dr3 bench --lightcurves`: the light-curve production against the
// variability run over the same files (bench_lightcurves.cpp).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

namespace gaia::cli {

struct lightcurve_bench_args {
  std::filesystem::path work;
  int repeat = 3;
  double scale = 0.2;
  int files = 0;                     ///< 0: all 3,386 ranges
  uint64_t ids = 0; ///< 0: the real share (draw_lightcurve_ids)
  std::vector<std::string> formats;  ///< `lightcurves --format`, one row each
};

/// Prints the table; 1 when the archive, the ids or the mirror could not
/// be made. A slow figure is reported, never an error.
int lightcurve_bench(const lightcurve_bench_args& a);

} // namespace gaia::cli
