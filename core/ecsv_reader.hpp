// Reads Gaia DR3 epoch photometry ECSV text (the bulk files' format) and
// reduces each row to a source_aggregate: min/max of valid BP and RP fluxes.
#pragma once

#include "core/byte_source.hpp"
#include "core/gzip_reader.hpp"
#include "core/source_aggregate.hpp"

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace gaia {

/// Counts of one file's import.
struct import_stats {
  uint64_t rows = 0;             ///< data rows read (after the header row)
  uint64_t skipped_rows = 0;     ///< rows skipped: too few columns, bad id
  uint64_t uncompressed_bytes = 0;
  /// The first few skip reasons ("line 412: 12 columns, need 17"), for logs.
  std::vector<std::string> skip_examples;
};

/// True when `token` (surrounding spaces allowed) is, as a whole, a finite
/// double under a correctly rounded parser; stores it in `out`. NaN, null,
/// Infinity, empty and malformed tokens return false.
bool parse_flux_token(std::string_view token, double& out);

/// Calls `on_row` for each valid data row, in file order. Skips `#` lines,
/// finds source_id, bp_flux and rp_flux by header name, accepts LF and CRLF.
/// Throws input_error naming `src.name()` when the header row lacks a needed
/// column or the stream has no header row.
import_stats read_epoch_photometry(
  byte_source& src, const std::function<void(const source_aggregate&)>& on_row);

/// One file's import: every row of the gzip file, aggregated per source_id
/// (a source that appears twice is merged), sorted by source_id.
struct file_aggregates {
  std::vector<source_aggregate> sources;
  import_stats stats;
};

/// Imports a .csv.gz archive file. Throws corrupt_gzip_error / input_error.
file_aggregates import_archive_file(
  const std::string& path, inflate_backend backend = inflate_backend::isal);

} // namespace gaia
