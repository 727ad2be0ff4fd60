// Row selection while an archive file streams: the rows of the asked
// source_ids, whole, as text, out of one EpochPhotometry_*.csv.gz, in the
// one pass the import makes (gzip_stream -> the ECSV record loop of
// archive/ecsv_records.hpp). A row not asked for costs its source_id field
// and one structural scan (scan_record_tail: separators and quoting, 64
// bytes a step); its arrays are never parsed. A row is read as the import
// reads it: one with the wrong field count, a bad source_id or broken
// quoting is skipped and counted, never handed on.
#pragma once

#include "archive/ecsv_reader.hpp"
#include "archive/gzip_stream.hpp"
#include "core/stream_consumer.hpp"

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace gaia {

/// One asked row, as the file holds it.
struct selected_row {
  int64_t source_id = 0;
  /// The whole row without its line end ('\n' or "\r\n"): the same fields,
  /// quotes and all, as the header row names. Valid during the call only.
  std::string_view text;
  uint64_t line = 0; ///< 1-based line of the file the row starts on
};

/// Where selected rows go (the light-curve tables' writer).
class selected_row_sink {
public:
  virtual ~selected_row_sink() = default;
  /// The header row's column names, once, before any row.
  virtual void header(const std::vector<std::string>& columns) = 0;
  /// One asked row, in file order.
  virtual void row(const selected_row& r) = 0;
  /// The file starts again from its first byte (a download that starts
  /// over): every header and row handed so far is void.
  virtual void restart() = 0;
};

/// What one file's selection found.
struct selection_result {
  /// As the import counts: rows read, rows skipped (malformed) and the
  /// first reasons, text bytes. skipped_values stays 0: no array is read.
  import_stats stats;
  uint64_t selected = 0; ///< rows handed to the sink
  /// Rows of an asked source already handed on (a source twice in a file):
  /// not handed again; the first reasons go to stats.skip_examples.
  uint64_t repeated = 0;
  /// Asked ids without a valid row in the file, ascending.
  std::vector<int64_t> not_found;
};

/// The selection as a stream_consumer: the transport feeds the compressed
/// bytes as they arrive (a download), or a reader feeds them from disk.
class stream_select final : public stream_consumer {
public:
  /// `ids`: the asked ids of this file, strictly ascending (as
  /// file_selection hands them; input_error otherwise). Memory: the ids
  /// (8 bytes each, plus one bit) and one text buffer of the longest row.
  /// `name` (the URL or path) is named in every error.
  stream_select(std::string name, std::vector<int64_t> ids, selected_row_sink& sink,
                const read_options& opts = {},
                inflate_backend backend = inflate_backend::isal);
  ~stream_select() override;

  /// Forgets everything fed and calls sink.restart().
  void restart() override;
  /// Throws corrupt_gzip_error for damaged gzip data, input_error for text
  /// that cannot be read (no header row, no source_id column, a row over
  /// max_line_bytes).
  void feed(const char* data, size_t n) override;
  /// Checks the end (CRCs) and fills result(). Throws like feed().
  void finish() override;
  /// What finish() found.
  const selection_result& result() const { return result_; }

private:
  struct state;
  std::string name_;
  std::vector<int64_t> ids_;
  selected_row_sink& sink_;
  read_options opts_;
  inflate_backend backend_;
  std::unique_ptr<state> st_;
  selection_result result_;
};

/// Selects from a .csv.gz file on disk (a kept download, a file:// archive).
selection_result select_rows_from_file(const std::string& path, std::vector<int64_t> ids,
                                       selected_row_sink& sink,
                                       const read_options& opts = {},
                                       inflate_backend backend = inflate_backend::isal);

} // namespace gaia
