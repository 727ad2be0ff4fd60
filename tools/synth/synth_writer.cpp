// write_archive_file: one row per source in the real 48-column layout. The
// columns other than the three fluxes are derived from the row and its
// source_id, modeled on the real sample:
//  - times: a source's transits are a subset of its cell's scan epochs
//    (synth_sky.hpp), so neighbouring rows share time and transit id
//    prefixes as in the real files; BP/RP times follow G by ~27 s / ~35 s;
//  - transit ids grow with time like the real ones (~5.53e13 per day);
//  - errors follow a photon + background noise model fitted on the sample;
//  - `*_over_error` are float32 (fewer digits), magnitudes use the DR3 zero
//    points, flags mark the NaN transits as rejected.
#include "tools/synth/synth.hpp"
#include "tools/synth/synth_format.hpp"
#include "tools/synth/synth_gzip.hpp"
#include "tools/synth/synth_header.hpp"
#include "tools/synth/synth_rng.hpp"
#include "tools/synth/synth_sky.hpp"
#include "tools/synth/synth_writer.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>
#include <stdexcept>

namespace gaia::synth {

namespace {

constexpr int64_t solution_id = 375316653866487564;
constexpr size_t flush_bytes = 256 * 1024;

/// Photometric model of one band: zero point, noise sigma^2 = k * F + b,
/// and the delay of its observation after the G transit (days).
struct band_model {
  double zp, k, b, delay;
};
constexpr band_model g_model{25.6874, 0.04, 18.0, 0.0};
constexpr band_model bp_model{25.3385, 0.344, 307.0, 0.0003145};
constexpr band_model rp_model{24.7479, 0.254, 266.0, 0.0004015};

/// Per-transit values of one band derived from its fluxes.
struct band_columns {
  std::vector<double> time, error, mag;
  std::vector<float> over_error;

  void derive(rng& r, const std::vector<double>& flux, const std::vector<double>& g_time,
              const band_model& m, bool is_g) {
    const size_t n = flux.size();
    time.resize(n);
    error.resize(n);
    mag.resize(n);
    over_error.resize(n);
    for (size_t i = 0; i < n; ++i) {
      const double f = flux[i];
      const double jitter = r.uniform(0.8, 1.25);
      if (std::isnan(f)) {
        time[i] = is_g ? g_time[i] : nan;
        error[i] = mag[i] = nan;
        over_error[i] = std::numeric_limits<float>::quiet_NaN();
        continue;
      }
      time[i] = is_g ? g_time[i] : g_time[i] + m.delay + r.uniform(-1.5e-6, 1.5e-6);
      error[i] = std::sqrt(m.k * std::fabs(f) + m.b) * jitter;
      over_error[i] = static_cast<float>(f / error[i]);
      mag[i] = f > 0 ? m.zp - 2.5 * std::log10(f) : nan;
    }
  }
};

/// Formats rows; keeps per-row scratch vectors and the current cell's epochs.
class row_writer {
public:
  explicit row_writer(const char* eol) : eol_(eol) {}

  void format(std::string& out, const row& src) {
    const size_t n = src.g_flux.size();
    if (src.bp_flux.size() != n || src.rp_flux.size() != n)
      throw std::invalid_argument("synth row " + std::to_string(src.source_id) +
                                  ": flux arrays differ in length");
    rng r(mix64(0x5eed, static_cast<uint64_t>(src.source_id)));
    derive_times(r, src.source_id, n);
    g_.derive(r, src.g_flux, time_, g_model, true);
    bp_.derive(r, src.bp_flux, time_, bp_model, false);
    rp_.derive(r, src.rp_flux, time_, rp_model, false);
    derive_flags(r, src);

    append_int(out, solution_id);
    out += ',';
    append_int(out, src.source_id);
    out += ',';
    append_int(out, static_cast<int64_t>(n));
    array(out, n, [&](size_t i) { append_int(out, transit_id_[i]); });
    array(out, n, [&](size_t i) { append_java_double(out, g_.time[i]); });
    band(out, src.g_flux, g_);
    array(out, n, [&](size_t i) { append_int(out, n_obs_[i]); });
    array(out, n, [&](size_t i) { append_java_double(out, bp_.time[i]); });
    band(out, src.bp_flux, bp_);
    array(out, n, [&](size_t i) { append_java_double(out, rp_.time[i]); });
    band(out, src.rp_flux, rp_);
    for (size_t c = 0; c < flag_columns; ++c)
      array(out, n, [&](size_t i) {
        out += flags_[i * flag_columns + c] ? "\"\"True\"\"" : "\"\"False\"\"";
      });
    out += eol_;
  }

private:
  static constexpr size_t flag_columns = 28;

  template <class F>
  static void array(std::string& out, size_t n, F each) {
    out += ",\"[";
    for (size_t i = 0; i < n; ++i) {
      if (i > 0) out += ',';
      each(i);
    }
    out += "]\"";
  }

  /// flux, flux_error, flux_over_error, mag of one band (G has n_obs after).
  static void band(std::string& out, const std::vector<double>& flux, const band_columns& b) {
    const size_t n = flux.size();
    array(out, n, [&](size_t i) { append_java_double(out, flux[i]); });
    array(out, n, [&](size_t i) { append_java_double(out, b.error[i]); });
    array(out, n, [&](size_t i) { append_java_float(out, b.over_error[i]); });
    array(out, n, [&](size_t i) { append_java_double(out, b.mag[i]); });
  }

  void derive_times(rng& r, int64_t source_id, size_t n) {
    // Regenerated unless identical, so a row never depends on the rows
    // written before it.
    const int64_t cell = scan_cell(source_id);
    if (cell != cell_ || visits_.size() != std::max(cell_scans(cell), n)) {
      visits_ = cell_epochs(cell, n);
      cell_ = cell;
    }
    // Selection sampling: n of the cell's epochs, in time order.
    time_.clear();
    transit_id_.clear();
    const double offset = r.uniform(-0.0015, 0.0015);
    size_t need = n;
    for (size_t i = 0; i < visits_.size() && need > 0; ++i) {
      if (r.below(visits_.size() - i) < need) {
        const double t = visits_[i] + offset + r.uniform(-2e-6, 2e-6);
        time_.push_back(t);
        transit_id_.push_back(static_cast<int64_t>((t - 1396.849) * 5.52964e13));
        --need;
      }
    }
  }

  /// Flag rates per transit fitted on the real sample: ~2 True per transit,
  /// AF9 often unavailable, SM always rejected; n_obs = 9 - AF CCDs lost.
  void derive_flags(rng& r, const row& src) {
    const size_t n = src.g_flux.size();
    flags_.assign(n * flag_columns, 0);
    n_obs_.resize(n);
    for (size_t i = 0; i < n; ++i) {
      char* f = &flags_[i * flag_columns];
      // Columns: 0 noisy, 1 sm_unavail, 2-10 af1-9_unavail, 11 bp_unavail,
      // 12 rp_unavail, 13 sm_reject, 14-22 af1-9_reject, 23 bp_reject,
      // 24 rp_reject, 25-27 variability g/bp/rp reject.
      f[0] = r.chance(0.04);
      f[1] = r.chance(0.02);
      int lost = 0;
      for (int k = 0; k < 9; ++k) {
        f[2 + k] = r.chance(k == 8 ? 0.2 : 0.02);
        f[14 + k] = r.chance(0.02);
        lost += f[2 + k] || f[14 + k];
      }
      n_obs_[i] = 9 - lost;
      f[13] = 1; // the SM CCD never enters the published photometry
      const bool bp_nan = std::isnan(src.bp_flux[i]);
      const bool rp_nan = std::isnan(src.rp_flux[i]);
      f[11] = bp_nan && r.chance(0.05);
      f[12] = rp_nan && r.chance(0.05);
      f[23] = bp_nan || r.chance(0.04);
      f[24] = rp_nan || r.chance(0.04);
      f[25] = std::isnan(src.g_flux[i]) || r.chance(0.03);
      f[26] = bp_nan || r.chance(0.04);
      f[27] = rp_nan || r.chance(0.04);
    }
  }

  const char* eol_;
  int64_t cell_ = -1;
  std::vector<double> visits_, time_;
  std::vector<int64_t> transit_id_, n_obs_;
  std::vector<char> flags_;
  band_columns g_, bp_, rp_;
};

/// Streams text units (the header, then each row) into gzip members. With
/// M members, M - 1 member ends fall in the middle of evenly spaced units,
/// so readers also meet a member boundary inside a line.
class member_splitter {
public:
  member_splitter(gzip_writer& gz, size_t units, int members)
    : gz_(gz), units_(units), members_(members < 1 ? 1 : members) {}

  void unit(std::string& text, size_t index) {
    int cuts = 0;
    while (next_cut_ < members_ &&
           static_cast<size_t>(next_cut_) * units_ / static_cast<size_t>(members_) == index) {
      ++cuts;
      ++next_cut_;
    }
    if (cuts == 0) {
      buf_ += text;
      if (buf_.size() >= flush_bytes) flush();
      return;
    }
    size_t done = 0;
    for (int c = 1; c <= cuts; ++c) {
      const size_t at = text.size() * static_cast<size_t>(c) / static_cast<size_t>(cuts + 1);
      buf_.append(text, done, at - done);
      flush();
      gz_.end_member();
      done = at;
    }
    buf_.append(text, done, std::string::npos);
  }

  void flush() {
    gz_.write(buf_.data(), buf_.size());
    buf_.clear();
  }

private:
  gzip_writer& gz_;
  size_t units_;
  int members_;
  int next_cut_ = 1; ///< cut k falls in unit k * units / members
  std::string buf_;
};

} // namespace

written_file write_file(const std::string& path, const std::vector<row>& rows,
                        const file_format& format) {
  const std::string tmp = path + ".tmp";
  try {
    gzip_writer gz(tmp, format.compression_level);
    const char* eol = format.crlf ? "\r\n" : "\n";
    member_splitter split(gz, rows.size() + 1, format.gzip_members);
    std::string text = ecsv_header(eol);
    split.unit(text, 0);
    row_writer writer(eol);
    for (size_t i = 0; i < rows.size(); ++i) {
      text.clear();
      writer.format(text, rows[i]);
      split.unit(text, i + 1);
    }
    split.flush();
    written_file out;
    out.text_bytes = gz.text_bytes();
    out.compressed_bytes = gz.close();
    if (std::rename(tmp.c_str(), path.c_str()) != 0)
      throw std::runtime_error("cannot rename " + tmp + " to " + path);
    return out;
  } catch (...) {
    std::remove(tmp.c_str());
    throw;
  }
}

std::string row_text(const row& r) {
  std::string out;
  row_writer("\n").format(out, r);
  return out;
}

} // namespace gaia::synth

namespace gaia::synth {

uint64_t write_archive_file(const std::string& path, const std::vector<row>& rows,
                            const file_format& format) {
  return write_file(path, rows, format).compressed_bytes;
}

} // namespace gaia::synth
