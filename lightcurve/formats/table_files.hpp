// The DataLink formats by name, and one table written to its file: into a
// temporary name beside it, then renamed, so a reader never sees half a
// table.
#pragma once

#include "lightcurve/table.hpp"

#include <filesystem>
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

void write_table(std::ostream& out, const table& t, table_format f);

/// Writes `t` to `path` via `path`.tmp and a rename. Throws output_error
/// naming the file when it cannot be written.
void write_table_file(const std::filesystem::path& path, const table& t, table_format f);

} // namespace gaia::lightcurve
