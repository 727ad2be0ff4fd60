// generate_rows: the flux values of synthetic sources. Every source is drawn
// from its own generator seeded by (file seed, source_id), so a row does not
// depend on how many rows come before it.
//
// Per source, each of BP and RP is planned first ("qualifying" when its
// max/min ratio is above 2, "quiet" below 1.95), then values are spread
// between the planned minimum and maximum, which are placed exactly. The
// benchmark rule ((max - min) / min * 100 > 100 in either band) therefore
// holds for a controlled share of sources, and the rare cases that test
// readers — max exactly twice min, tiny minima, huge spikes, all-NaN bands —
// are there on purpose.
#include "core/defaults.hpp"
#include "tools/synth/synth.hpp"
#include "tools/synth/synth_rng.hpp"
#include "tools/synth/synth_sky.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

namespace gaia::synth {

namespace {

/// Real file boundaries are cut so files have similar sizes: narrow ranges
/// are the dense parts of the sky. Sources per file ~ width^0.35 reproduces
/// the real 11-28 MB spread of the 20 benchmark files.
constexpr double density_exponent = 0.35;
/// Sources in the 20 benchmark files at scale 1.0 (real: 75,068).
constexpr double benchmark_sources = 75000.0;

constexpr double p_qualify = 0.76;    ///< share planned to qualify (real: 76 %)
constexpr double p_exact_twice = 0.007; ///< of the others: max == 2 * min
constexpr double p_tiny_min = 0.005;  ///< of qualifying: a 1e-16..1e-10 minimum
constexpr double p_spike = 0.03;      ///< of qualifying: one outlier spike
constexpr double p_all_nan_bp = 0.003;
constexpr double p_all_nan_rp = 0.002;
constexpr double p_all_nan_both = 0.00005;

/// Sources per unit of range width at scale 1.0.
double density() {
  static const double value = [] {
    double sum = 0;
    for (const auto& r : ranges_from_boundaries(defaults::file_boundaries))
      sum += std::pow(static_cast<double>(r.last - r.first + 1), density_exponent);
    return benchmark_sources / sum;
  }();
  return value;
}

/// Transits per source: 60-100 % of its cell's scans (mean ~37).
size_t transit_count(rng& r, int64_t source_id) {
  const double scans = static_cast<double>(cell_scans(scan_cell(source_id)));
  const double n = std::round(scans * r.uniform(0.6, 1.0));
  return static_cast<size_t>(std::max(1.0, n));
}

/// Per-source share of NaN transits in BP and RP: mostly few, some many;
/// ~6% on average.
double nan_rate(rng& r) {
  double u = r.uniform();
  if (u < 0.5) return 0.01;
  if (u < 0.9) return 0.08;
  return 0.22;
}

/// Flux for a Vega magnitude in a band with zero point zp.
double flux_of(double mag, double zp) { return std::pow(10.0, -0.4 * (mag - zp)); }

/// A short-mantissa tiny value such as 1.01E-13, as found in the real data.
double tiny_value(rng& r) {
  double mant = std::round(r.uniform(1.0, 9.99) * 100.0) / 100.0;
  int exp = 10 + static_cast<int>(r.below(7));
  return mant * std::pow(10.0, -exp);
}

struct band_plan {
  bool available = false; ///< at least two valid values
  double ratio = 1.0;     ///< planned max / min
  bool exact_twice = false;
  bool qualifies() const { return exact_twice ? false : ratio > 2.0; }
};

/// Fills one band: values between base and base * ratio with the extremes
/// placed exactly, NaN where mask says so.
void fill_band(rng& r, std::vector<double>& out, const std::vector<char>& nan_mask,
               double mean_flux, const band_plan& plan, const std::vector<double>& shape) {
  const size_t n = out.size();
  std::vector<size_t> valid;
  for (size_t i = 0; i < n; ++i)
    if (!nan_mask[i]) valid.push_back(i);
  const double base = mean_flux / std::sqrt(plan.ratio);
  for (size_t i = 0; i < n; ++i) {
    if (nan_mask[i]) {
      out[i] = nan;
      continue;
    }
    // Kept off 0 and 1: only the two placed values are the extremes.
    double u = std::clamp(shape[i] + 0.08 * r.normal(), 0.02, 0.98);
    out[i] = base * std::pow(plan.ratio, u);
  }
  if (valid.size() < 2) return;
  size_t lo = valid[r.below(valid.size())];
  size_t hi = lo;
  while (hi == lo) hi = valid[r.below(valid.size())];
  out[lo] = base;
  // 2 * base is exact in binary, so max - min == min to the last bit.
  out[hi] = plan.exact_twice ? 2.0 * base : base * plan.ratio;
}

row make_row(rng& r, int64_t source_id) {
  row out;
  out.source_id = source_id;
  const size_t n = transit_count(r, source_id);

  // Which values are missing.
  bool nan_bp = r.chance(p_all_nan_bp), nan_rp = r.chance(p_all_nan_rp);
  if (r.chance(p_all_nan_both)) nan_bp = nan_rp = true;
  const double rate = nan_rate(r);
  std::vector<char> mask_g(n), mask_bp(n), mask_rp(n);
  size_t valid_bp = 0, valid_rp = 0;
  for (size_t i = 0; i < n; ++i) {
    mask_g[i] = r.chance(0.002);
    mask_bp[i] = nan_bp || r.chance(rate);
    mask_rp[i] = nan_rp || r.chance(rate);
    valid_bp += !mask_bp[i];
    valid_rp += !mask_rp[i];
  }

  // Plan the bands: which ones qualify, and by how much.
  band_plan bp, rp;
  bp.available = valid_bp >= 2;
  rp.available = valid_rp >= 2;
  auto quiet = [&] { return 1.02 + 0.93 * std::pow(r.uniform(), 1.5); };
  auto variable = [&] { return std::exp(r.uniform(std::log(2.05), std::log(40.0))); };
  bp.ratio = quiet();
  rp.ratio = quiet();
  const bool qualifies = r.chance(p_qualify) && (bp.available || rp.available);
  if (qualifies) {
    double pick = r.uniform();
    bool want_bp = pick < 0.85, want_rp = pick < 0.6 || pick >= 0.85;
    if (want_bp && !bp.available) want_bp = false, want_rp = true;
    if (want_rp && !rp.available) want_rp = false, want_bp = true;
    if (want_bp) bp.ratio = variable();
    if (want_rp) rp.ratio = variable();
  } else if (r.chance(p_exact_twice)) {
    // The threshold trap: a change of exactly 100 %, which must not qualify.
    band_plan& b = r.chance(0.5) ? bp : rp;
    b.exact_twice = true;
    b.ratio = 2.0;
  }

  // A light curve shape shared by the bands (variables vary in all bands).
  const double g_mag = 13.0 + 8.3 * std::pow(r.uniform(), 0.6);
  const double phase = r.uniform(), step = r.uniform(0.05, 0.45);
  std::vector<double> shape(n);
  for (size_t i = 0; i < n; ++i)
    shape[i] = 0.5 + 0.45 * std::sin(6.283185307179586 * (phase + step * static_cast<double>(i)));

  out.g_flux.resize(n);
  out.bp_flux.resize(n);
  out.rp_flux.resize(n);
  band_plan g;
  g.ratio = std::min(1.0 + 0.7 * (std::max(bp.ratio, rp.ratio) - 1.0), 30.0);
  fill_band(r, out.g_flux, mask_g, flux_of(g_mag, 25.6874), g, shape);
  fill_band(r, out.bp_flux, mask_bp, flux_of(g_mag + r.uniform(0.2, 1.0), 25.3385), bp, shape);
  fill_band(r, out.rp_flux, mask_rp, flux_of(g_mag - r.uniform(0.5, 1.0), 24.7479), rp, shape);

  // Rare extremes in a band that already qualifies (they keep it qualifying).
  std::vector<double>* target = bp.qualifies() ? &out.bp_flux : &out.rp_flux;
  if (qualifies && r.chance(p_tiny_min)) {
    size_t i = r.below(n);
    if (!std::isnan((*target)[i])) (*target)[i] = tiny_value(r);
  }
  if (qualifies && r.chance(p_spike)) {
    size_t i = r.below(n);
    if (!std::isnan((*target)[i]))
      (*target)[i] = r.chance(0.1) ? r.uniform(1e7, 3e8) : (*target)[i] * r.uniform(100, 10000);
  }
  return out;
}

/// Every file's generator is seeded by the archive's seed and its range.
uint64_t file_seed_of(const file_range& range, uint64_t seed) {
  return mix64(seed, mix64(static_cast<uint64_t>(range.first), static_cast<uint64_t>(range.last)));
}

} // namespace

std::vector<int64_t> generate_ids(const file_range& range, double scale, uint64_t seed) {
  const int64_t width = range.last - range.first + 1;
  if (width <= 0 || !(scale > 0)) return {};
  rng r(file_seed_of(range, seed));
  const double expected =
    scale * density() * std::pow(static_cast<double>(width), density_exponent);
  const auto count = static_cast<size_t>(std::llround(expected));

  // Ids: a HEALPix level-8 index inside the range, then 43 random low bits
  // (the level-12 sub-pixel and the per-pixel source number in real ids).
  std::vector<int64_t> ids(count);
  for (auto& id : ids) {
    const int64_t hp = range.first + static_cast<int64_t>(r.below(static_cast<uint64_t>(width)));
    id = (hp << 43) | static_cast<int64_t>(r.next() & ((uint64_t{1} << 43) - 1));
  }
  std::sort(ids.begin(), ids.end());
  ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
  return ids;
}

std::vector<row> generate_rows(const file_range& range, double scale, uint64_t seed) {
  const auto ids = generate_ids(range, scale, seed);
  const uint64_t file_seed = file_seed_of(range, seed);
  std::vector<row> rows;
  rows.reserve(ids.size());
  for (int64_t id : ids) {
    rng source_rng(mix64(file_seed, static_cast<uint64_t>(id)));
    rows.push_back(make_row(source_rng, id));
  }
  return rows;
}

} // namespace gaia::synth
