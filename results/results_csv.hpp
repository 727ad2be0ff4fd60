// output/results.csv: the answer, written from compute's work file.
#pragma once

#include "results/compute.hpp"

#include <cstdint>
#include <string>

namespace gaia {

/// The header row (without newline).
inline constexpr const char* results_header =
  "source_id,bp_min_flux,bp_max_flux,rp_min_flux,rp_max_flux,"
  "percentage_change";

/// Appends one CSV line (with '\n'); a band with no valid value gets empty
/// min and max fields.
void append_result_line(std::string& out, const result_row& r);

/// Writes results.csv atomically from the qualifying work file. Returns the
/// number of data rows.
uint64_t export_results_csv(const std::string& qualifying_path,
                            const std::string& csv_path);

} // namespace gaia
