// One archive file's share of the answer (--structure standard), made by
// its select worker as the file streams: each asked row is parsed and
// written as its DataLink table, deflated (fast_deflate.hpp), and appended
// to one fragment file; the final assemble step only copies the deflated
// entries into the zip (zip_writer::add_deflated), in source_id order. So
// the formatting and the compression run in every select worker at once,
// not on one thread after the last file, and no row's text is spooled.
//
// The fragment, one piece of the select worker's spool (spool_file.hpp;
// shipped as it is by remote workers), its offsets from the piece's start:
//
//   the entries' deflated bytes, back to back, in the file's row order
//   the index, sorted by source_id; per entry, little-endian:
//     int64 source_id, uint64 offset, uint64 deflated size,
//     uint64 uncompressed size, uint32 CRC-32, uint32 name length, name
//   the footer (32 bytes): uint64 the index's offset, uint64 entries,
//     uint64 malformed rows skipped, "GAIALCF1"
#pragma once

#include "lightcurve/epoch_row_parser.hpp"
#include "lightcurve/table.hpp"
#include "lightcurve/formats/table_files.hpp"
#include "lightcurve_output/fast_deflate.hpp"
#include "lightcurve_output/spool_file.hpp"
#include "lightcurve_select/row_select.hpp"

#include <cstdint>
#include <cstdio>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

namespace gaia {

/// One source's table in a fragment.
struct fragment_entry {
  int64_t source_id = 0;
  std::string name; ///< the zip entry's name (datalink_file_name)
  uint64_t offset = 0;
  uint64_t size = 0;         ///< deflated bytes
  uint64_t uncompressed = 0; ///< the table's bytes
  uint32_t crc = 0;          ///< the table's CRC-32
};

/// A selected_row_sink writing one fragment after another into a spool:
/// begin() starts one at the spool's end, commit() writes its index and
/// footer and returns its range. A select worker keeps one from file to
/// file, so its buffers (the row, the table, its text, the deflater's) are
/// allocated once, not zero-filled per archive file. A row that does not
/// parse is skipped and counted (skipped(), the first reasons in
/// examples()), as the import skips a malformed row. restart() truncates
/// the fragment (a download that starts over). Write errors throw
/// output_error naming the spool. Memory: one row, its table, and the index
/// (about 80 bytes an entry).
class fragment_writer final : public selected_row_sink {
public:
  fragment_writer();

  /// A new fragment of `format` tables appended to `out` (open); `name`
  /// (the archive file) is what errors about its rows say.
  void begin(spool_file& out, lightcurve::table_format format, std::string name);
  void header(const std::vector<std::string>& columns) override;
  void row(const selected_row& r) override;
  void restart() override;
  spool_range commit();

  uint64_t entries() const { return index_.size(); }
  uint64_t skipped() const { return skipped_; }
  const std::vector<std::string>& examples() const { return examples_; }

private:
  std::string name_;
  spool_file* out_ = nullptr;
  lightcurve::table_format format_ = lightcurve::table_format::votable;
  std::string ext_;
  std::optional<lightcurve::epoch_columns> columns_;
  std::vector<fragment_entry> index_;
  uint64_t skipped_ = 0;
  std::vector<std::string> examples_;
  // Reused from row to row (their memory kept): the parsed row, its table,
  // the table's text and its deflated bytes.
  lightcurve::epoch_row row_;
  lightcurve::table table_;
  std::string table_text_;
  std::unique_ptr<std::streambuf> table_buf_;
  std::unique_ptr<std::ostream> table_out_;
  std::string deflated_;
  fast_deflater deflater_;
};

/// A fragment read back from its range: its index, and each entry's
/// deflated bytes.
class fragment_reader {
public:
  /// Throws input_error naming the file and range for one that is not a
  /// whole fragment (no footer, an index out of bounds or not ascending).
  explicit fragment_reader(const spool_range& range);
  ~fragment_reader();
  fragment_reader(const fragment_reader&) = delete;
  fragment_reader& operator=(const fragment_reader&) = delete;

  /// Ascending by source_id.
  const std::vector<fragment_entry>& entries() const { return index_; }
  uint64_t skipped() const { return skipped_; }
  /// Entry `e`'s deflated bytes into `out` (replacing its contents).
  void read(const fragment_entry& e, std::string& out);

private:
  spool_range range_;
  std::string name_; ///< the range, as errors name it
  int fd_ = -1;
  std::vector<fragment_entry> index_;
  uint64_t skipped_ = 0;
};

} // namespace gaia
