// One archive file's selected rows spooled to disk, so a request's memory
// stays bounded whatever the number of ids: the part is the header row and
// the rows' text as the file holds them (CSV), one piece of the select
// worker's spool (spool_file.hpp). The assemble step reads it back by its
// range, ordered by source_id, one row at a time. Also the lists of ids
// (one a line) that go with the parts: the asked ids a file does not hold.
#pragma once

#include "lightcurve_output/spool_file.hpp"
#include "lightcurve_select/row_select.hpp"

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

namespace gaia {

/// A selected_row_sink appending a part to a spool: begin() starts it at
/// the spool's end, restart() truncates it (a download that starts over),
/// commit() returns its range. Write errors throw output_error naming the
/// spool.
class part_writer final : public selected_row_sink {
public:
  void begin(spool_file& out) { out_ = &out; }
  void header(const std::vector<std::string>& columns) override;
  void row(const selected_row& r) override;
  void restart() override;
  spool_range commit();

private:
  spool_file* out_ = nullptr;
};

/// Writes ascending ids, one per line, to `path` (via a temporary name).
void write_id_lines(const std::string& path, const std::vector<int64_t>& ids);
/// Appends them to `out` as one piece, and returns its range.
spool_range append_id_lines(spool_file& out, const std::vector<int64_t>& ids);

/// A part read back from its range: its header row, and where each row
/// is, sorted by source_id (memory: 24 bytes a row; the rows stay on disk).
class part_reader {
public:
  /// Throws input_error naming the file and range for a part that is not
  /// one (no header, a row without a source_id).
  explicit part_reader(const spool_range& range);
  ~part_reader();
  part_reader(const part_reader&) = delete;
  part_reader& operator=(const part_reader&) = delete;

  const std::string& header() const { return header_; }
  size_t rows() const { return index_.size(); }
  int64_t source_id(size_t i) const { return index_[i].source_id; }
  /// Row i's text (in source_id order).
  std::string row(size_t i);

private:
  struct entry {
    int64_t source_id;
    uint64_t offset;
    uint64_t length;
  };
  std::string name_; ///< the range, as errors name it
  std::FILE* f_ = nullptr;
  std::string header_;
  std::vector<entry> index_;
};

} // namespace gaia
