// Compile-time defaults of the production, in one place (the JSON config and
// the environment override them; see settings/settings.hpp).
#pragma once

#include <cstdint>
#include <vector>

namespace gaia::defaults {

/// The ESA CDN folder of the DR3 epoch photometry bulk files.
inline constexpr const char* archive_url_template =
  "https://cdn.gea.esac.esa.int/Gaia/gdr3/Photometry/epoch_photometry/"
  "EpochPhotometry_%s.csv.gz";

/// HEALPix level-8 bounds of the benchmark's first 20 files.
inline const std::vector<int64_t> file_boundaries = {
  0,     3112,  5264,  6602,  7953,  10235, 12598, 14046, 15370, 16241, 17019,
  17659, 18029, 18473, 19162, 19658, 20092, 20494, 20748, 20985, 21234};

inline constexpr const char* output_dir = "output";
inline constexpr int poll_interval_ms = 1000;
inline constexpr int http_timeout_s = 600;
inline constexpr int request_timeout_s = 3600;

/// The longest record (row) the import accepts, in bytes. The largest real
/// rows (a few hundred transits) are ~150 KB; a longer one ends the file's
/// import with an error instead of growing the text buffer without bound.
inline constexpr int64_t max_line_bytes = 32 << 20;

/// The largest archive file a download accepts, in bytes. The largest real
/// file is ~30 MB compressed; a body that grows beyond this (or beyond its
/// announced Content-Length) is aborted.
inline constexpr int64_t max_file_bytes = int64_t{4} << 30;

/// A percentage change must be strictly greater than this to qualify.
inline constexpr double threshold_percent = 100.0;

} // namespace gaia::defaults
