// lightcurve/formats/ in batches of rows: a table file written a few rows
// at a time (table_file_writer: to disk, FITS through cfitsio's disk file
// and its rows added ahead, or not) is the same bytes as the table written whole
// in memory, in every format and both structures, whatever the batches
// (BINARY2's base64 carries 1 or 2 bytes over between batches); a file
// not committed leaves nothing; array cells spell NaN and infinities as
// JSON readers (Python's json, astropy's ECSV) take them.
#include "lightcurve/epoch_row_parser.hpp"
#include "lightcurve/formats/table_files.hpp"
#include "lightcurve/raw_table.hpp"
#include "lightcurve/standard_table.hpp"
#include "tests/test_util.hpp"
#include "tests/web_util.hpp"
#include "tools/synth/synth.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <fstream>
#include <limits>
#include <sstream>

namespace lc = gaia::lightcurve;
namespace fs = std::filesystem;

namespace {

const lc::table_format every_format[] = {lc::table_format::votable,
                                         lc::table_format::votable_plain, lc::table_format::ecsv,
                                         lc::table_format::csv, lc::table_format::fits};

/// The DataLink product's bulk row, then the rows of a small synthetic
/// archive file (real-shaped: NaNs, from 1 to some hundred transits).
std::vector<lc::epoch_row> some_rows(const fs::path& dir) {
  const fs::path product = fs::path(GAIA_FIXTURES_DIR) /
                           "datalink_epoch_photometry_1457486023639239296.csv";
  std::ifstream in(product, std::ios::binary);
  auto rows = lc::read_epoch_rows(in, product.string()).rows;
  const auto gz = dir / "EpochPhotometry_000000-003111.csv.gz";
  gaia::synth::write_archive_file(
    gz.string(), gaia::synth::generate_rows(gaia::ranges_from_boundaries({0, 3112}).at(0), 0.02,
                                            11));
  std::istringstream text(gaia::test::gunzip_file(gz));
  auto synthetic = lc::read_epoch_rows(text, gz.string());
  REQUIRE(synthetic.skipped == 0);
  for (auto& r : synthetic.rows) rows.push_back(std::move(r));
  return rows;
}

std::string whole(const lc::table& t, lc::table_format f) {
  std::ostringstream out;
  lc::write_table(out, t, f);
  return out.str();
}

template <class T>
void copy_values(std::vector<T>& to, const std::vector<T>& from, size_t a, size_t b) {
  if (!from.empty()) to.assign(from.begin() + a, from.begin() + b);
}

/// Rows [first, last) of `t`, as a batch.
lc::table rows_of(const lc::table& t, size_t first, size_t last) {
  auto part = t.without_rows();
  for (size_t c = 0; c < t.columns.size(); ++c) {
    const auto& from = t.columns[c];
    auto& to = part.columns[c];
    const size_t a = from.first(first), b = from.first(last); // elements
    copy_values(to.int16s, from.int16s, a, b);
    copy_values(to.int64s, from.int64s, a, b);
    copy_values(to.float64s, from.float64s, a, b);
    copy_values(to.float32s, from.float32s, a, b);
    copy_values(to.booleans, from.booleans, a, b);
    if (from.is_array())
      for (size_t r = first + 1; r <= last; ++r) to.offsets.push_back(from.offsets[r] - a);
  }
  return part;
}

/// `t` written to `path` through table_file_writer, `batch` rows at a
/// time (an empty batch first), `expected` rows announced, then read back.
std::string in_batches(const fs::path& path, const lc::table& t, lc::table_format f,
                       size_t batch, size_t expected = 0) {
  lc::table_file_writer file(path, t.without_rows(), f, engine::durability::cache, expected);
  file.write_rows(t.without_rows());
  for (size_t first = 0; first < t.rows(); first += batch)
    file.write_rows(rows_of(t, first, std::min(first + batch, t.rows())));
  file.commit();
  CHECK_FALSE(fs::exists(engine::temporary_path(path.string())));
  return gaia::test::read_file(path);
}

std::string quoted(const fs::path& p) { return "'" + p.string() + "'"; }

} // namespace

TEST_CASE("lightcurve: a table written in batches of rows to its file is the same bytes as "
          "written whole, in every format and both structures") {
  gaia::test::temp_dir dir("lightcurve-batches");
  const auto rows = some_rows(dir.path());
  REQUIRE(rows.size() >= 20);
  const auto raw = lc::raw_table(rows);
  const auto standard = lc::standard_table(rows.front());
  REQUIRE(standard.rows() == 65);
  for (auto f : every_format) {
    CAPTURE(lc::format_name(f));
    const auto file = dir.path() / ("t." + std::string(lc::format_extension(f)));
    const auto raw_whole = whole(raw, f);
    // FITS: rows added as they come (none announced), all at once, or more
    // than written (the rest dropped at the end).
    for (size_t expected : {size_t{0}, rows.size(), rows.size() + 3})
      for (size_t batch : {size_t{1}, size_t{2}, size_t{5}, rows.size()})
        CHECK(in_batches(file, raw, f, batch, expected) == raw_whole);
    const auto standard_whole = whole(standard, f);
    for (size_t batch : {size_t{1}, size_t{7}, size_t{64}})
      CHECK(in_batches(file, standard, f, batch) == standard_whole);
    // No rows at all: the header and the end.
    CHECK(in_batches(file, raw.without_rows(), f, 1) == whole(raw.without_rows(), f));
  }
}

TEST_CASE("lightcurve: a table file that is not committed leaves no file, in every format") {
  gaia::test::temp_dir dir("lightcurve-uncommitted");
  const auto rows = some_rows(dir.path());
  const auto raw = lc::raw_table(rows);
  for (auto f : every_format) {
    CAPTURE(lc::format_name(f));
    const auto path = dir.path() / ("t." + std::string(lc::format_extension(f)));
    {
      lc::table_file_writer file(path, raw.without_rows(), f);
      file.write_rows(rows_of(raw, 0, 3));
      CHECK(fs::exists(engine::temporary_path(path.string())));
    }
    CHECK_FALSE(fs::exists(path));
    CHECK_FALSE(fs::exists(engine::temporary_path(path.string())));
  }
}

TEST_CASE("lightcurve: a batch of other columns is refused") {
  gaia::test::temp_dir dir("lightcurve-other-batch");
  const auto raw = lc::raw_table_header();
  auto other = raw;
  other.columns.pop_back();
  for (auto f : every_format) {
    CAPTURE(lc::format_name(f));
    lc::table_file_writer file(dir.path() / "t", raw, f);
    CHECK_THROWS_AS(file.write_rows(other), std::logic_error);
  }
}

TEST_CASE("lightcurve: FITS variable-length columns written in batches declare their longest "
          "array, and astropy reads every row back") {
  gaia::test::temp_dir dir("lightcurve-fits-heap");
  const auto rows = some_rows(dir.path());
  const auto raw = lc::raw_table(rows);
  const auto path = dir.path() / "raw.fits";
  in_batches(path, raw, lc::table_format::fits, 3);
  int32_t longest = 0;
  std::string lengths;
  for (const auto& r : rows) {
    longest = std::max(longest, r.n_transits);
    lengths += std::to_string(r.n_transits) + " ";
  }
  // TFORM4 is transit_id's (1PK(max)); every array column's length per row.
  const auto r = gaia::test::run_command(
    "/usr/bin/python3 -c \"import sys; from astropy.io import fits; "
    "h = fits.open(sys.argv[1]); t = h[1]; "
    "print(t.header['TFORM4']); "
    "print(' '.join(str(len(x)) for x in t.data['transit_id']) + ' '); "
    "print(all(len(t.data[c][i]) == len(t.data['transit_id'][i]) "
    "for c in t.columns.names[3:] for i in range(len(t.data))))\" " +
    quoted(path));
  INFO(r.output);
  CHECK(r.output == "1PK(" + std::to_string(longest) + ")\n" + lengths + "\nTrue\n");
}

TEST_CASE("lightcurve: array cells in CSV and ECSV spell NaN and infinities as JSON readers "
          "take them (NaN, Infinity, -Infinity), the way the bulk files write NaN") {
  gaia::test::temp_dir dir("lightcurve-json-cells");
  auto row = some_rows(dir.path()).front();
  const double inf = std::numeric_limits<double>::infinity();
  row.g.flux[0] = inf;
  row.g.flux[1] = -inf;
  row.g.flux[2] = std::numeric_limits<double>::quiet_NaN();
  row.bp.flux_over_error[0] = -std::numeric_limits<float>::infinity();
  const auto raw = lc::raw_table({row});
  const auto csv = dir.path() / "raw.csv";
  const auto ecsv = dir.path() / "raw.ecsv";
  lc::write_table_file(csv, raw, lc::table_format::csv);
  lc::write_table_file(ecsv, raw, lc::table_format::ecsv);
  for (const auto& p : {csv, ecsv}) {
    const auto text = gaia::test::read_file(p);
    CHECK(text.find(",\"[Infinity,-Infinity,NaN,") != std::string::npos);
    CHECK(text.find(",\"[-Infinity,") != std::string::npos);
    CHECK(text.find("inf,") == std::string::npos);
  }
  // Python's json reads the CSV's cells, astropy the ECSV's.
  const auto r = gaia::test::run_command(
    "/usr/bin/python3 -c \"import sys, csv, json; from astropy.table import Table; "
    "csv.field_size_limit(1 << 30); "
    "row = next(csv.DictReader(open(sys.argv[1]))); "
    "print(json.loads(row['g_transit_flux'])[:3], json.loads(row['bp_flux_over_error'])[0]); "
    "t = Table.read(sys.argv[2], format='ascii.ecsv'); "
    "print(list(t['g_transit_flux'][0][:3]), t['bp_flux_over_error'][0][0])\" " +
    quoted(csv) + " " + quoted(ecsv));
  INFO(r.output);
  CHECK(r.output == "[inf, -inf, nan] -inf\n[inf, -inf, nan] -inf\n");
}
