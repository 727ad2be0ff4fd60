// The ids `gaia-dr3 bench --lightcurves` asks for: a deterministic draw
// from the sources a full-shaped synthetic archive holds (synth's own ids,
// so nothing is inflated to find them), spread over all its files, plus a
// few ids in the files' ranges that no file holds.
#pragma once

#include <cstdint>
#include <string>

namespace gaia::cli::bench {

/// What was drawn.
struct drawn_ids {
  uint64_t held = 0;             ///< real sources of the archive
  uint64_t absent = 0;           ///< in a file's range, not in the file
  uint64_t archive_sources = 0;  ///< every source of the archive's files
  uint64_t files_holding = 0;    ///< files with at least one drawn id
};

/// The real archive's sources (DR3 epoch photometry: about 11.75 million)
/// and the request issue 20 measures against it: 500,000 ids.
constexpr uint64_t real_archive_sources = 11'750'000;
constexpr uint64_t real_request_ids = 500'000;

/// The archive `synth --boundaries all --files FILES --scale SCALE --seed
/// ARCHIVE_SEED` writes: draws `n` ids (n - absent of its sources, each
/// equally likely, and absent = n / 100 clamped to 1..300 ids no file holds)
/// with `draw_seed`, and writes them to `path` one a line, shuffled, via a
/// temporary name. `n` = 0: the share of this archive's rows that 500,000
/// ids are of the real archive's (about 4.3 %), the request the bench
/// measures when --ids is not given. Throws std::invalid_argument when the
/// archive holds fewer sources than asked for.
drawn_ids draw_lightcurve_ids(const std::string& path, int files, double scale,
                              uint64_t archive_seed, uint64_t n, uint64_t draw_seed);

} // namespace gaia::cli::bench
