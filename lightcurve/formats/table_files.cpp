// Format names and atomic table files (table_files.hpp).
#include "lightcurve/formats/table_files.hpp"

#include "core/errors.hpp"
#include "lightcurve/formats/fits_writer.hpp"
#include "lightcurve/formats/text_writers.hpp"
#include "lightcurve/formats/votable_writer.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>

namespace gaia::lightcurve {

std::optional<table_format> parse_table_format(std::string_view name) {
  for (auto f : {table_format::votable, table_format::votable_plain, table_format::ecsv,
                 table_format::csv, table_format::fits})
    if (format_name(f) == name) return f;
  return std::nullopt;
}

std::string_view format_name(table_format f) {
  switch (f) {
  case table_format::votable: return "votable";
  case table_format::votable_plain: return "votable_plain";
  case table_format::ecsv: return "ecsv";
  case table_format::csv: return "csv";
  case table_format::fits: return "fits";
  }
  return "";
}

std::string_view format_extension(table_format f) {
  switch (f) {
  case table_format::votable:
  case table_format::votable_plain: return "xml";
  case table_format::ecsv: return "ecsv";
  case table_format::csv: return "csv";
  case table_format::fits: return "fits";
  }
  return "";
}

void write_table(std::ostream& out, const table& t, table_format f) {
  switch (f) {
  case table_format::votable: write_votable(out, t, votable_encoding::binary2); return;
  case table_format::votable_plain: write_votable(out, t, votable_encoding::tabledata); return;
  case table_format::ecsv: write_ecsv(out, t); return;
  case table_format::csv: write_csv(out, t); return;
  case table_format::fits: write_fits(out, t); return;
  }
}

void write_table_file(const std::filesystem::path& path, const table& t, table_format f) {
  auto tmp = path;
  tmp += ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) throw output_error("cannot create " + tmp.string() + ": " + std::strerror(errno));
    try {
      write_table(out, t, f);
    } catch (...) {
      // A table its writer refuses (cfitsio's errors): no temporary left.
      out.close();
      std::error_code ignored;
      std::filesystem::remove(tmp, ignored);
      throw;
    }
    out.close();
    if (!out) {
      std::error_code ignored;
      std::filesystem::remove(tmp, ignored);
      throw output_error("cannot write " + tmp.string() + ": " + std::strerror(errno));
    }
  }
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) {
    std::filesystem::remove(tmp, ec);
    throw output_error("cannot rename " + tmp.string() + " to " + path.string() + ": " +
                       ec.message());
  }
}

} // namespace gaia::lightcurve
