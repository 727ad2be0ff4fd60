// A synthetic Gaia DR3 epoch photometry archive, shaped exactly like the real
// bulk files, for offline runs, tests and benchmarks.
#pragma once

#include "core/file_range.hpp"

#include <cstdint>
#include <functional>
#include <limits>
#include <string>
#include <vector>

namespace gaia::synth {

/// A value the row leaves empty (written "NaN"): a band not observed at a
/// transit, or a flux the photometry rejected.
inline constexpr double nan = std::numeric_limits<double>::quiet_NaN();

/// One synthetic source row: the values of the columns the benchmark reads
/// are explicit; the other 45 columns are generated around them.
/// Flux values are written as given; NaN is written "NaN".
struct row {
  int64_t source_id = 0;
  std::vector<double> g_flux;   ///< one per transit
  std::vector<double> bp_flux;  ///< same length as g_flux
  std::vector<double> rp_flux;  ///< same length as g_flux
};

/// How a file is laid out on disk (the real files: LF, one gzip member).
struct file_format {
  bool crlf = false;         ///< CRLF line ends instead of LF
  int gzip_members = 1;      ///< split the text over this many gzip members
  int compression_level = 6; ///< zlib level
};

/// Rows for one file range: source ids inside the range's HEALPix indices,
/// ascending; a realistic spread of transits; ~6% NaN in BP/RP; a mix of
/// variable and quiet sources; rare tiny minima. Deterministic per
/// (range, scale, seed). At scale 1.0 the 20 benchmark files hold ~75,000
/// sources in total; the count grows with the range width as width^0.35
/// (real boundaries are cut for similar file sizes: narrow = dense).
std::vector<row> generate_rows(const file_range& range, double scale,
                               uint64_t seed);

/// The source ids generate_rows gives for the same (range, scale, seed),
/// ascending, without making the rows: what a file of the archive holds.
std::vector<int64_t> generate_ids(const file_range& range, double scale,
                                  uint64_t seed);

/// Writes rows as a real-shaped ECSV bulk file (365 '#' lines, 48-column
/// header row, quoted arrays, Java-style doubles), gzip-compressed, to
/// `path` (via a temporary name + rename). Returns the compressed size.
uint64_t write_archive_file(const std::string& path,
                            const std::vector<row>& rows,
                            const file_format& format = {});

/// The 3,387 HEALPix boundaries of the whole DR3 epoch photometry archive's
/// 3,386 files (dr3_partition.cpp).
const std::vector<int64_t>& dr3_partition();

/// Java's Double.toString form with shortest round-trip digits: plain in
/// [1e-3, 1e7) ("1820.8582445068785", "50.0"), else "1.0E7" / "1.01E-13".
std::string java_double(double v);

struct file_summary {
  std::string path;
  uint64_t rows = 0;
  uint64_t compressed_bytes = 0;
  uint64_t text_bytes = 0;         ///< uncompressed ECSV text
};

struct archive_options {
  std::string out_dir;
  std::vector<int64_t> boundaries; ///< file_boundaries; the first N ranges
  int files = 20;
  double scale = 1.0;
  uint64_t seed = 1;
  unsigned threads = 0;            ///< 0 = all cores
  /// Called once per finished file (one call at a time, any thread).
  std::function<void(const file_summary&)> on_file;
};

/// Writes EpochPhotometry_<range>.csv.gz for the first `files` ranges into
/// out_dir (created if missing), in parallel, largest ranges first. Existing
/// files are overwritten. Empty boundaries = defaults::file_boundaries.
/// Returns the files in range order; throws the first error of any file.
std::vector<file_summary> write_archive(const archive_options& opts);

} // namespace gaia::synth
