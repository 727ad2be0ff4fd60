// The DataLink formats by name, a format's writer, and tables written
// whole or in batches of rows: to a stream, or to a file under a temporary
// name beside it, renamed when complete, so a reader never sees half a
// table.
#pragma once

#include "engine/state/atomic_file.hpp"
#include "lightcurve/formats/table_writer.hpp"

#include <filesystem>
#include <memory>
#include <optional>
#include <ostream>
#include <string>
#include <string_view>

namespace gaia::lightcurve {

/// DataLink's FORMAT values.
enum class table_format { votable, votable_plain, ecsv, csv, fits };

/// "votable" -> votable, ...; nullopt for a name that is not one.
std::optional<table_format> parse_table_format(std::string_view name);
std::string_view format_name(table_format f);

/// The extension DataLink gives the format's files: xml for both VOTables
/// (the keys astroquery returns: "EPOCH_PHOTOMETRY-Gaia DR3 <id>.xml"),
/// ecsv, csv, fits.
std::string_view format_extension(table_format f);

/// The writer of format `f` opened with `header`'s metadata, its bytes to
/// `out` (FITS: built in memory, to `out` at finish()). `expected_rows`:
/// the rows the table will have, 0 when not known (fits_writer.hpp).
std::unique_ptr<table_writer> open_table_writer(byte_sink& out, const table& header,
                                                table_format f, size_t expected_rows = 0);

/// The whole of `t` to `out`: one batch through the format's writer.
void write_table(std::ostream& out, const table& t, table_format f);

/// A table file written in batches of rows under its temporary name
/// (engine::temporary_path), renamed to `path` by commit(); destroyed
/// before, it leaves no file. Memory holds one batch (FITS: and cfitsio's
/// buffers; with variable-length arrays, `expected_rows` must be the row
/// count for that, see fits_writer.hpp). Errors throw output_error naming
/// the file.
class table_file_writer {
public:
  table_file_writer(const std::filesystem::path& path, const table& header, table_format f,
                    engine::durability d = engine::durability::cache,
                    size_t expected_rows = 0);
  ~table_file_writer();
  table_file_writer(const table_file_writer&) = delete;
  table_file_writer& operator=(const table_file_writer&) = delete;

  void write_rows(const table& batch) { writer_->write_rows(batch); }
  /// Ends the table and renames it into place.
  void commit();

private:
  class file_sink;
  std::string path_;
  engine::durability durability_;
  std::unique_ptr<file_sink> sink_; ///< the temporary (text formats)
  std::unique_ptr<table_writer> writer_;
};

/// Writes `t` whole to `path` (one batch through table_file_writer).
void write_table_file(const std::filesystem::path& path, const table& t, table_format f,
                      engine::durability d = engine::durability::cache);

} // namespace gaia::lightcurve
