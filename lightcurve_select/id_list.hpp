// The list of source_ids a light-curve request asks for: read from the
// user's file, sorted, deduplicated, and written to a file of ids that the
// file selection streams (the list may be far larger than memory should
// hold).
//
// Input: one id per line (blank lines and '#' comments allowed), or a CSV /
// ECSV table with a `source_id` column, found by its header name (ECSV's
// '#' header is skipped and its `delimiter:` honoured; its default, a
// space, too). An id is a whole non-negative 64-bit integer; anything else
// is an input_error naming the file and the line. Duplicates count once.
//
// Memory is bounded whatever the number of lines: ids are collected in runs
// of at most `run_ids` (8 bytes each), each run sorted, deduplicated and,
// when a second run is needed, spilled to a temporary file; the runs are
// then merged (at most `merge_fan_in` at a time, 64 KiB of buffer each) into
// the output. Peak memory is about 8 x run_ids + 64 KiB x merge_fan_in plus
// one line (at most max_line_bytes): with the defaults, under 16 MB for any
// count (tests/test_id_list.cpp measures it for 10 million lines).
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

namespace gaia {

struct id_list_options {
  /// Ids held in memory before a run is sorted and spilled.
  size_t run_ids = size_t{1} << 20;
  /// Runs merged at once (more runs are merged in several passes).
  size_t merge_fan_in = 64;
  /// Where runs are spilled; empty = the output file's folder.
  std::string temp_dir;
  /// A longer line is an input_error naming it.
  size_t max_line_bytes = size_t{1} << 20;
};

/// What the list held.
struct id_list_stats {
  uint64_t lines = 0;      ///< lines read, blank and comment lines too
  uint64_t ids = 0;        ///< ids read, duplicates included
  uint64_t unique = 0;     ///< ids written
  uint64_t duplicates = 0; ///< ids - unique
  uint64_t spilled_runs = 0;
  /// "ids" (one per line), "csv" or "ecsv".
  std::string format;
};

/// Reads the id list at `path` and writes its sorted unique ids to
/// `out_path` (8-byte native integers, ascending; read it with
/// sorted_id_file). Throws input_error naming `path` and the line for a
/// line that is not an id (or a table without a source_id column), and
/// output_error when `out_path` or a spill cannot be written.
id_list_stats sort_id_list(const std::string& path, const std::string& out_path,
                           const id_list_options& opts = {});

/// A file of ascending ids written by sort_id_list, read in order or by
/// index range, without holding it.
class sorted_id_file {
public:
  explicit sorted_id_file(const std::string& path);
  ~sorted_id_file();
  sorted_id_file(const sorted_id_file&) = delete;
  sorted_id_file& operator=(const sorted_id_file&) = delete;

  uint64_t size() const { return size_; }
  /// Positions the reading at the index-th id.
  void seek(uint64_t index);
  /// The next id; false at the end.
  bool next(int64_t& id);
  /// Ids [first, first + count): one file's ids for the row selection.
  std::vector<int64_t> read(uint64_t first, uint64_t count);
  const std::string& path() const { return path_; }

private:
  std::string path_;
  std::FILE* f_ = nullptr;
  uint64_t size_ = 0;
  std::vector<int64_t> buf_;
  size_t pos_ = 0;
};

} // namespace gaia
