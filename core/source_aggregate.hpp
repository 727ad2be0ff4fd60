// What the import keeps of one source: min and max of the valid BP and RP
// flux values. Everything downstream (checkpoints, merge, compute, export)
// works on these 40-byte records.
#pragma once

#include <cstdint>
#include <limits>

namespace gaia {

/// Min and max of the valid values of one band. Empty until a value is added
/// (min = +inf, max = -inf, so merging needs no special case).
struct band_extent {
  double min = std::numeric_limits<double>::infinity();
  double max = -std::numeric_limits<double>::infinity();

  bool empty() const { return !(min <= max); }
  void add(double v) {
    if (v < min) min = v;
    if (v > max) max = v;
  }
  void merge(const band_extent& o) {
    if (o.min < min) min = o.min;
    if (o.max > max) max = o.max;
  }
  friend bool operator==(const band_extent& a, const band_extent& b) {
    return a.min == b.min && a.max == b.max;
  }
};

/// One source's aggregate over the rows seen so far.
struct source_aggregate {
  int64_t source_id = 0;
  band_extent bp;
  band_extent rp;

  void merge(const source_aggregate& o) {
    bp.merge(o.bp);
    rp.merge(o.rp);
  }
};

} // namespace gaia
