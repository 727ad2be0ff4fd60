// The synthetic scanning law, shared by the row generator (transit counts)
// and the file writer (transit times): sources of one HEALPix level-6 cell
// are seen by the same scans, as in the real data where neighbouring sources
// share most of their transit times and have similar transit counts.
#pragma once

#include "tools/synth/synth_rng.hpp"

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <vector>

namespace gaia::synth {

/// The level-6 cell (16 level-8 pixels, ~0.8 square degrees) of a source.
inline int64_t scan_cell(int64_t source_id) { return (source_id >> 43) >> 4; }

/// Scans over a cell: log-normal around 40.7, tail to a few hundred. A source
/// keeps 60-100 % of them, so transits per source average ~37.
inline size_t cell_scans(int64_t cell) {
  rng r(mix64(0x5ca25, static_cast<uint64_t>(cell)));
  const double n = std::round(40.7 * std::exp(0.55 * r.normal()));
  return static_cast<size_t>(std::clamp(n, 6.0, 400.0));
}

/// The transit epochs (days, DR3 span) of a cell's scans, ascending: visits
/// spread over the mission, 60 % of them seen in both fields of view
/// (106.5 min apart). At least n of them (more only for unusual rows).
inline std::vector<double> cell_epochs(int64_t cell, size_t n) {
  rng r(mix64(0xce11, static_cast<uint64_t>(cell)));
  const size_t count = std::max(cell_scans(cell), n);
  std::vector<double> v;
  v.reserve(count + 1);
  while (v.size() < count) {
    const double t = r.uniform(1666.4, 2704.0);
    v.push_back(t);
    if (r.chance(0.6)) v.push_back(t + 0.0739583);
  }
  v.resize(count);
  std::sort(v.begin(), v.end());
  return v;
}

} // namespace gaia::synth
