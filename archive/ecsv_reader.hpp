// Reads Gaia DR3 epoch photometry ECSV text (the bulk files' format) and
// reduces each row to a source_aggregate: min/max of valid BP and RP fluxes.
//
// A row is either read correctly or skipped and counted, never
// re-interpreted: CSV per RFC 4180 (quoted ',' and line breaks belong to
// the field, "" is a quote), exactly as many fields as the header row, a
// whole integer source_id. Flux cells must be bracketed arrays; a token is
// valid when it is, as a whole, a finite double under a correctly rounded
// parser (a leading '+' allowed); "NaN" is a missing value; anything else
// is skipped and counted.
#pragma once

#include "archive/byte_source.hpp"
#include "core/defaults.hpp"
#include "archive/gzip_reader.hpp"
#include "archive/gzip_stream.hpp"
#include "core/source_aggregate.hpp"

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace gaia {

/// Counts of one file's import.
struct import_stats {
  uint64_t rows = 0;           ///< data rows read after the header, skipped ones too
  uint64_t skipped_rows = 0;   ///< rows skipped: field count, source_id, quoting
  uint64_t skipped_values = 0; ///< flux values skipped in the rows kept
  uint64_t uncompressed_bytes = 0;
  /// The first few reasons ("line 412: 47 fields, the header has 48",
  /// "line 9: rp_flux value '1.0x'"), for logs.
  std::vector<std::string> skip_examples;
};

/// Limits of one import.
struct read_options {
  /// A row longer than this ends the import with input_error naming the
  /// file, the line and the limit.
  uint64_t max_line_bytes = defaults::max_line_bytes;
};

/// True when `token` (surrounding spaces allowed) is, as a whole, a finite
/// double under a correctly rounded parser; stores it in `out`. A leading
/// '+' is allowed. NaN, null, Infinity, empty and malformed tokens return
/// false.
bool parse_flux_token(std::string_view token, double& out);

/// The import as a text_sink: text goes in as it is decompressed (from a
/// file or straight from a download), each valid row comes out to `on_row`
/// as soon as it is complete. Throws input_error naming `name` like
/// read_epoch_photometry.
class ecsv_stream final : public text_sink {
public:
  ecsv_stream(std::string name, std::function<void(const source_aggregate&)> on_row,
              const read_options& opts = {});
  ~ecsv_stream() override;
  ecsv_stream(const ecsv_stream&) = delete;
  ecsv_stream& operator=(const ecsv_stream&) = delete;

  std::pair<char*, size_t> room() override;
  void wrote(size_t n) override;
  /// The text ended: reads an unterminated last line, checks there was a
  /// header row. Returns the counts.
  import_stats finish();
  const import_stats& stats() const;

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

/// Calls `on_row` for each valid data row, in file order. Skips a UTF-8
/// BOM, '#' lines and blank lines before the header row, finds source_id,
/// bp_flux and rp_flux by header name, accepts LF and CRLF. Throws
/// input_error naming `src.name()` when the header row lacks a needed
/// column, the stream has no header row, or a row is longer than
/// opts.max_line_bytes.
import_stats read_epoch_photometry(
  byte_source& src, const std::function<void(const source_aggregate&)>& on_row,
  const read_options& opts = {});

/// One file's import: every row of the gzip file, aggregated per source_id
/// (a source that appears twice is merged), sorted by source_id.
struct file_aggregates {
  std::vector<source_aggregate> sources;
  import_stats stats;
};

/// Imports a .csv.gz archive file, aggregating rows as they arrive, so
/// memory grows with the number of distinct sources, not of rows. Throws
/// corrupt_gzip_error / input_error.
file_aggregates import_archive_file(
  const std::string& path, inflate_backend backend = inflate_backend::isal,
  const read_options& opts = {});

} // namespace gaia
