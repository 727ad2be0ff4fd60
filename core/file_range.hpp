// One archive file = one inclusive range of HEALPix level-8 indices.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace gaia {

/// An inclusive HEALPix level-8 range, e.g. 0..3111 -> "000000-003111".
struct file_range {
  int64_t first = 0;
  int64_t last = 0;

  /// The range as it appears in archive file names: "000000-003111".
  std::string label() const;
  /// "EpochPhotometry_000000-003111.csv.gz".
  std::string archive_file_name() const;
};

/// Turns N+1 increasing boundaries into N ranges (start .. next-1).
std::vector<file_range> ranges_from_boundaries(const std::vector<int64_t>& b);

/// The HEALPix level-8 index a Gaia source_id falls in (source_id >> 43).
inline int64_t healpix8_of(int64_t source_id) { return source_id >> 43; }

/// Replaces every "%s" in a URL template with the range label, as plain text.
std::string expand_url_template(const std::string& tmpl,
                                const std::string& label);

} // namespace gaia
