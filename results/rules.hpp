// The benchmark's rule, in one place: per band ((max - min) / min) * 100 in
// double, in that order, when min > 0; the larger band wins; a source
// qualifies when that is strictly greater than 100.
#pragma once

#include "core/defaults.hpp"
#include "core/source_aggregate.hpp"

#include <optional>

namespace gaia {

/// The band's change in percent, or nothing for an empty band or min <= 0.
inline std::optional<double> band_change(const band_extent& b) {
  if (b.empty() || !(b.min > 0))
    return std::nullopt;
  return ((b.max - b.min) / b.min) * 100;
}

/// The larger of the two bands' changes, or nothing when neither has one.
inline std::optional<double> percentage_change(const source_aggregate& s) {
  auto bp = band_change(s.bp);
  auto rp = band_change(s.rp);
  if (bp && rp)
    return *bp > *rp ? *bp : *rp;
  return bp ? bp : rp;
}

/// Strictly above the threshold: exactly 100 does not qualify.
inline bool qualifies(double percent) {
  return percent > defaults::threshold_percent;
}

} // namespace gaia
