// lightcurve/: every table the writers make, read by the tools astronomers
// use (Debian's python3-astropy and stilts), as real processes. astropy's
// values must equal the bulk rows (tests/lightcurve_readback.py computes
// them from the bulk text on its own); stilts votlint must find nothing.
// Three inputs: the DataLink product's bulk row, that row with a missing
// boolean and NaNs put in, and rows of the synthetic archive (tools/synth).
#include "lightcurve/epoch_row_parser.hpp"
#include "lightcurve/raw_table.hpp"
#include "lightcurve/standard_table.hpp"
#include "lightcurve/formats/table_files.hpp"
#include "tests/test_util.hpp"
#include "tests/web_util.hpp"
#include "tools/synth/synth.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <sstream>
#include <zlib.h>

namespace lc = gaia::lightcurve;
namespace fs = std::filesystem;

namespace {

const fs::path fixtures = GAIA_FIXTURES_DIR;
const fs::path product_row = fixtures / "datalink_epoch_photometry_1457486023639239296.csv";
const lc::table_format all_formats[] = {lc::table_format::votable, lc::table_format::votable_plain,
                                        lc::table_format::ecsv, lc::table_format::csv,
                                        lc::table_format::fits};

/// Parses the bulk text at `bulk` and writes every row's standard table in
/// every format under out/<format>/. Returns the rows.
std::vector<lc::epoch_row> write_all(const fs::path& bulk, const fs::path& out) {
  std::ifstream in(bulk, std::ios::binary);
  auto rows = lc::read_epoch_rows(in, bulk.string());
  REQUIRE(rows.skipped == 0);
  for (auto f : all_formats) {
    const auto dir = out / std::string(lc::format_name(f));
    fs::create_directories(dir);
    for (const auto& r : rows.rows)
      lc::write_table_file(dir / lc::datalink_file_name(r.source_id,
                                                        std::string(lc::format_extension(f))),
                           lc::standard_table(r), f);
  }
  return rows.rows;
}

/// Writes the raw table of every row of `bulk` as out/<format>/raw.<ext>.
void write_raw(const fs::path& bulk, const fs::path& out) {
  std::ifstream in(bulk, std::ios::binary);
  const auto rows = lc::read_epoch_rows(in, bulk.string());
  REQUIRE(rows.skipped == 0);
  const auto t = lc::raw_table(rows.rows);
  CHECK(t.rows() == rows.rows.size());
  CHECK(t.columns.size() == 48);
  for (auto f : all_formats) {
    const auto dir = out / std::string(lc::format_name(f));
    fs::create_directories(dir);
    lc::write_table_file(dir / ("raw." + std::string(lc::format_extension(f))), t, f);
  }
}

std::string quoted(const fs::path& p) { return "'" + p.string() + "'"; }

/// `--raw` checks the raw files instead of the standard ones.
void astropy_reads_back(const fs::path& bulk, const fs::path& out, const std::string& mode = "") {
  const auto script = fs::path(GAIA_SOURCE_DIR) / "tests" / "lightcurve_readback.py";
  const auto r = gaia::test::run_command("/usr/bin/python3 " + quoted(script) + " " + mode +
                                         " " + quoted(bulk) + " " + quoted(out));
  INFO(r.output);
  CHECK(r.code == 0);
  CHECK(r.output.rfind("ok ", 0) == 0);
}

/// stilts votlint on (up to 3 of) the VOTables of each encoding: a JVM
/// start each, so not on all of them.
void votlint_is_clean(const fs::path& out) {
  for (const char* format : {"votable", "votable_plain"}) {
    int n = 0;
    for (const auto& e : fs::directory_iterator(out / format)) {
      if (++n > 3) break;
      const auto r = gaia::test::run_command("stilts votlint " + quoted(e.path()));
      INFO(e.path().string());
      CHECK(r.code == 0);
      CHECK(r.output == "");
    }
  }
}

/// Joins fields into a CSV record, quoting those that need it.
std::string csv_record(const std::vector<std::string>& fields) {
  std::string out;
  for (size_t i = 0; i < fields.size(); ++i) {
    if (i > 0) out += ',';
    const auto& f = fields[i];
    if (f.find_first_of(",\"\n") == std::string::npos) {
      out += f;
      continue;
    }
    out += '"';
    for (char c : f) out += c == '"' ? std::string("\"\"") : std::string(1, c);
    out += '"';
  }
  return out + "\n";
}

/// The DataLink product's bulk row with a missing boolean in two flag
/// columns and NaN in rp_flux, rp_flux_over_error and g_transit_flux, written
/// to dir/bulk_with_nulls.csv.
fs::path bulk_with_nulls(const fs::path& dir) {
  const auto text = gaia::test::read_file(product_row);
  const auto header = text.substr(0, text.find('\n') + 1);
  const auto names = lc::split_csv_record(header);
  auto fields = lc::split_csv_record(text.substr(header.size()));
  auto set_token = [&](const std::string& column, size_t i, const std::string& token) {
    const size_t c = std::find(names.begin(), names.end(), column) - names.begin();
    REQUIRE(c < fields.size());
    auto& cell = fields[c];
    size_t from = 1;
    for (size_t k = 0; k < i; ++k) from = cell.find(',', from) + 1;
    const size_t to = std::min(cell.find(',', from), cell.size() - 1);
    cell.replace(from, to - from, token);
  };
  set_token("variability_flag_rp_reject", 3, "null");
  set_token("photometry_flag_bp_reject", 4, "null");
  set_token("rp_flux", 5, "NaN");
  set_token("rp_flux_over_error", 5, "NaN");
  set_token("g_transit_flux", 6, "NaN"); // rejected_by_photometry becomes true
  const auto bulk = dir / "bulk_with_nulls.csv";
  gaia::test::write_file(bulk, header + csv_record(fields));
  return bulk;
}

} // namespace

TEST_CASE("lightcurve: astropy reads every format of the DataLink product's source as its bulk "
          "row holds it, and votlint finds nothing") {
  gaia::test::temp_dir dir("lightcurve-readers");
  write_all(product_row, dir.path());
  astropy_reads_back(product_row, dir.path());
  votlint_is_clean(dir.path());
}

TEST_CASE("lightcurve: a missing boolean and NaN values stay missing in every format") {
  gaia::test::temp_dir dir("lightcurve-nulls");
  const auto bulk = bulk_with_nulls(dir.path());
  const auto rows = write_all(bulk, dir.path());
  REQUIRE(rows.size() == 1);
  CHECK(rows[0].variability_reject[lc::band_rp][3] == lc::flag::missing);
  CHECK(std::isnan(rows[0].rp.flux[5]));
  astropy_reads_back(bulk, dir.path());
  votlint_is_clean(dir.path());
}

TEST_CASE("lightcurve: synthetic archive rows go through parse and every writer to astropy") {
  gaia::test::temp_dir dir("lightcurve-synth");
  const auto ranges = gaia::ranges_from_boundaries({0, 3112});
  const auto rows = gaia::synth::generate_rows(ranges.at(0), 0.02, 7);
  REQUIRE(rows.size() >= 12);
  const auto gz = dir.path() / "EpochPhotometry_000000-003111.csv.gz";
  gaia::synth::write_archive_file(gz.string(), rows);
  // The bulk text: its '#' header, header row and the first 12 rows.
  std::istringstream all(gaia::test::gunzip_file(gz));
  std::string kept, line;
  size_t data_rows = 0;
  bool header_seen = false;
  while (std::getline(all, line) && data_rows < 12) {
    kept += line + "\n";
    if (line.empty() || line[0] == '#') continue;
    if (header_seen) ++data_rows;
    header_seen = true;
  }
  const auto bulk = dir.path() / "bulk.ecsv";
  gaia::test::write_file(bulk, kept);
  const auto parsed = write_all(bulk, dir.path());
  REQUIRE(parsed.size() == 12);
  // The rows are real-shaped: NaN in BP or RP somewhere, and ids as generated.
  size_t nan_values = 0;
  for (size_t i = 0; i < parsed.size(); ++i) {
    CHECK(parsed[i].source_id == rows[i].source_id);
    REQUIRE(parsed[i].bp.flux.size() == rows[i].bp_flux.size());
    for (size_t k = 0; k < rows[i].bp_flux.size(); ++k) {
      // The generator's doubles, back to the last bit through the Java-style text.
      const double bp = rows[i].bp_flux[k], rp = rows[i].rp_flux[k];
      CHECK((std::isnan(bp) ? std::isnan(parsed[i].bp.flux[k]) : parsed[i].bp.flux[k] == bp));
      CHECK((std::isnan(rp) ? std::isnan(parsed[i].rp.flux[k]) : parsed[i].rp.flux[k] == rp));
      nan_values += std::isnan(bp) + std::isnan(rp);
    }
  }
  CHECK(nan_values > 0);
  astropy_reads_back(bulk, dir.path());
  votlint_is_clean(dir.path());
}

TEST_CASE("lightcurve: the raw structure, one row per source with the bulk arrays, reads back "
          "in every format") {
  gaia::test::temp_dir dir("lightcurve-raw");
  // The DataLink product's row with nulls put in, then 12 synthetic rows.
  const auto nulls = bulk_with_nulls(dir.path());
  const auto ranges = gaia::ranges_from_boundaries({0, 3112});
  const auto gz = dir.path() / "EpochPhotometry_000000-003111.csv.gz";
  gaia::synth::write_archive_file(gz.string(), gaia::synth::generate_rows(ranges.at(0), 0.02, 7));
  std::istringstream synth(gaia::test::gunzip_file(gz));
  auto text = gaia::test::read_file(nulls);
  std::string line;
  size_t rows = 0;
  bool header_seen = false;
  while (std::getline(synth, line) && rows < 12) {
    if (line.empty() || line[0] == '#') continue;
    if (header_seen) text += line + "\n", ++rows;
    header_seen = true;
  }
  REQUIRE(rows == 12);
  const auto bulk = dir.path() / "bulk.csv";
  gaia::test::write_file(bulk, text);
  write_raw(bulk, dir.path());
  astropy_reads_back(bulk, dir.path(), "--raw");
  votlint_is_clean(dir.path());
}
