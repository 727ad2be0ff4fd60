// lightcurve/: the bulk row parser and the standard table against real
// data. The DataLink product in tests/fixtures must come out of the bulk row
// it was made from (tests/fixtures/derive_datalink_bulk_row.py) byte for
// byte: layout, names, types, units and every value. The bit order of
// *_other_flags and rejected_by_photometry are held to the README's table.
#include "lightcurve/epoch_row_parser.hpp"
#include "lightcurve/other_flags.hpp"
#include "lightcurve/standard_table.hpp"
#include "lightcurve/formats/table_files.hpp"
#include "lightcurve/formats/votable_writer.hpp"
#include "tests/test_util.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <fstream>
#include <set>
#include <sstream>

namespace lc = gaia::lightcurve;
namespace fs = std::filesystem;

namespace {

const fs::path fixtures = GAIA_FIXTURES_DIR;
const fs::path product = fixtures / "datalink_epoch_photometry_1457486023639239296.vot";
const fs::path product_row = fixtures / "datalink_epoch_photometry_1457486023639239296.csv";

lc::epoch_rows read_rows(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  REQUIRE(in);
  return lc::read_epoch_rows(in, p.filename().string());
}

/// A one-transit row with every flag false and finite values.
lc::epoch_row one_transit() {
  lc::epoch_row r;
  r.solution_id = 1;
  r.source_id = 2;
  r.n_transits = 1;
  r.transit_id = {3};
  for (auto* b : {&r.g, &r.bp, &r.rp}) {
    b->time = {1.5};
    b->flux = {100.0};
    b->flux_error = {1.0};
    b->flux_over_error = {100.0f};
    b->mag = {20.0};
  }
  r.g_transit_n_obs = {9};
  for (auto& f : r.photometry_flags) f = {lc::flag::no};
  for (auto& f : r.variability_reject) f = {lc::flag::no};
  return r;
}

std::string first_difference(const std::string& a, const std::string& b) {
  size_t i = 0;
  while (i < a.size() && i < b.size() && a[i] == b[i]) ++i;
  auto around = [&](const std::string& s) {
    const size_t from = i < 80 ? 0 : i - 80;
    return s.substr(from, 160);
  };
  return "at byte " + std::to_string(i) + "\n--- ours:\n" + around(a) + "\n--- DataLink's:\n" +
         around(b);
}

} // namespace

TEST_CASE("lightcurve: the DataLink product comes out of its bulk row byte for byte") {
  auto rows = read_rows(product_row);
  REQUIRE(rows.skipped == 0);
  REQUIRE(rows.rows.size() == 1);
  const auto& row = rows.rows.front();
  CHECK(row.source_id == 1457486023639239296);
  CHECK(row.n_transits == 65);
  const auto t = lc::standard_table(row);
  CHECK(t.rows() == 65);
  CHECK(t.columns.size() == 23);
  std::ostringstream ours;
  lc::write_table(ours, t, lc::table_format::votable);
  const auto theirs = gaia::test::read_file(product);
  REQUIRE(theirs.size() == 19396);
  CHECK_MESSAGE(ours.str() == theirs, first_difference(ours.str(), theirs));
}

TEST_CASE("lightcurve: the DataLink product's values, read from its bulk row") {
  const auto row = read_rows(product_row).rows.at(0);
  // First transit, as the product's first BINARY2 row decodes (by hand).
  CHECK(row.transit_id[0] == 16390666388267148);
  CHECK(row.g.time[0] == 1693.257506198131);
  CHECK(row.g.flux[0] == 325558.5218527802);
  CHECK(row.g.flux_over_error[0] == 1274.46435546875f);
  CHECK(row.rp.mag[0] == 11.019054449171348);
  // SM rejected on every transit: bit 0 of g_other_flags throughout.
  const auto t = lc::standard_table(row);
  const auto& g_flags = t.columns.at(19);
  REQUIRE(g_flags.name == "g_other_flags");
  for (auto m : g_flags.int64s) CHECK((m & 1) == 1);
  // rejected_by_photometry is false on every transit, also those with AF1,
  // BP or RP rejected (other_flags bits 1, 10, 11).
  const auto& rejected = t.columns.at(22);
  REQUIRE(rejected.name == "rejected_by_photometry");
  size_t af1 = 0, bp = 0, rp = 0;
  for (size_t i = 0; i < t.rows(); ++i) {
    CHECK(rejected.booleans[i] == lc::flag::no);
    af1 += (g_flags.int64s[i] >> 1) & 1;
    bp += (t.columns.at(20).int64s[i] >> 10) & 1;
    rp += (t.columns.at(21).int64s[i] >> 11) & 1;
  }
  CHECK(af1 == 4);
  CHECK(bp == 2);
  CHECK(rp == 5);
}

TEST_CASE("lightcurve: other_flags puts each photometry flag at its bit, in its band") {
  struct expect {
    size_t flag;
    unsigned bit;
    lc::band_index band;
  };
  const expect table[] = {
    {lc::sm_reject, 0, lc::band_g},          {lc::af1_reject, 1, lc::band_g},
    {lc::af1_reject + 8, 9, lc::band_g},     {lc::bp_reject, 10, lc::band_bp},
    {lc::rp_reject, 11, lc::band_rp},        {lc::noisy_data, 12, lc::band_g},
    {lc::sm_unavailable, 13, lc::band_g},    {lc::af1_unavailable, 14, lc::band_g},
    {lc::af1_unavailable + 8, 22, lc::band_g}, {lc::bp_unavailable, 23, lc::band_bp},
    {lc::rp_unavailable, 24, lc::band_rp},
  };
  for (const auto& e : table) {
    INFO(lc::photometry_flag_name(e.flag));
    auto r = one_transit();
    r.photometry_flags[e.flag][0] = lc::flag::yes;
    for (size_t b = 0; b < 3; ++b) {
      const auto band = static_cast<lc::band_index>(b);
      CHECK(lc::other_flags(r, 0, band) == (band == e.band ? int64_t{1} << e.bit : 0));
    }
  }
  // Every flag has a bit of its own.
  int64_t all = 0;
  for (size_t f = 0; f < lc::photometry_flag_count; ++f) all |= int64_t{1} << lc::other_flags_bit(f);
  CHECK(all == (int64_t{1} << 25) - 1);
  // A missing flag sets nothing.
  auto r = one_transit();
  r.photometry_flags[lc::sm_reject][0] = lc::flag::missing;
  CHECK(lc::other_flags(r, 0, lc::band_g) == 0);
}

TEST_CASE("lightcurve: rejected_by_photometry is a transit without G photometry") {
  auto r = one_transit();
  r.photometry_flags[lc::sm_reject][0] = lc::flag::yes;
  r.photometry_flags[lc::bp_reject][0] = lc::flag::yes;
  r.bp.flux[0] = std::nan("");
  CHECK(lc::rejected_by_photometry(r, 0) == lc::flag::no);
  r.g.flux[0] = std::nan("");
  CHECK(lc::rejected_by_photometry(r, 0) == lc::flag::yes);
}

TEST_CASE("lightcurve: the real sample's rows parse whole, found by header name") {
  // 50 columns (ra, dec extra): bp_flux and rp_flux are elsewhere than in the bulk files.
  auto rows = read_rows(gaia::test::real_sample_path());
  CHECK(rows.skipped == 0);
  REQUIRE(rows.rows.size() == 3);
  const auto& r = rows.rows[0];
  CHECK(r.source_id == 10655814178816);
  CHECK(r.n_transits == 16);
  CHECK(std::isnan(r.bp.flux[0]));
  CHECK(r.bp.flux[1] == 50.02119536688079);
  double bp_max = 0;
  for (double v : r.bp.flux)
    if (!std::isnan(v) && v > bp_max) bp_max = v;
  CHECK(bp_max == 157841.99293824387);
  for (const auto& row : rows.rows) {
    CHECK(row.g_transit_n_obs.size() == static_cast<size_t>(row.n_transits));
    for (auto f : row.photometry_flags[lc::sm_reject]) CHECK(f == lc::flag::yes);
  }
}

TEST_CASE("lightcurve: a bad cell is an error naming its column, and the row is skipped") {
  const auto text = gaia::test::read_file(product_row);
  const auto header = text.substr(0, text.find('\n'));
  const auto row = text.substr(text.find('\n') + 1);
  const auto columns = lc::epoch_columns::from_header_line(header);
  auto fails_with = [&](const std::string& bad, const std::string& message) {
    INFO(message);
    CHECK_THROWS_WITH_AS(lc::parse_epoch_row(columns, bad), doctest::Contains(message.c_str()),
                         gaia::input_error);
  };
  auto replaced = [&](const std::string& from, const std::string& to) {
    auto s = row;
    const auto at = s.find(from);
    REQUIRE(at != std::string::npos);
    return s.replace(at, from.size(), to);
  };
  fails_with(replaced("1693.257506198131", "1693.25x"), "g_transit_time: '1693.25x'");
  fails_with(replaced("1693.257506198131", "Infinity"), "g_transit_time: 'Infinity'");
  fails_with(replaced(",65,", ",64,"), "transit_id: 65 values, n_transits is 64");
  fails_with(replaced("1457486023639239296", "14574860236392392x6"), "source_id");
  fails_with(replaced("\"\"False\"\"", "\"\"Maybe\"\""), "'Maybe' is not True, False or null");
  fails_with(replaced(",65,", ",65,7,"), "49 fields, the header has 48");
  CHECK_THROWS_WITH_AS(lc::epoch_columns::from_header_line("solution_id,source_id"),
                       doctest::Contains("no column n_transits"), gaia::input_error);
  // NaN and null are kept as missing, the float32 column parsed as float.
  const auto r = lc::parse_epoch_row(
    columns, replaced("\"\"True\"\"", "null").replace(row.find("1693.257506198131"), 17, "NaN"));
  CHECK(std::isnan(r.g.time[0]));
  CHECK(r.photometry_flags[lc::noisy_data][0] == lc::flag::missing);
  // A file with one bad row keeps the others and says why.
  std::istringstream two(header + "\n" + replaced(",65,", ",64,") + row);
  const auto read = lc::read_epoch_rows(two, "two.csv");
  CHECK(read.rows.size() == 1);
  CHECK(read.skipped == 1);
  REQUIRE(read.reasons.size() == 1);
  CHECK(read.reasons[0].find("two.csv line 2: transit_id") == 0);
}

TEST_CASE("lightcurve: a table file is named as DataLink names it and written whole") {
  CHECK(lc::datalink_file_name(1457486023639239296, "xml") ==
        "EPOCH_PHOTOMETRY-Gaia DR3 1457486023639239296.xml");
  CHECK(lc::parse_table_format("votable_plain") == lc::table_format::votable_plain);
  CHECK(lc::parse_table_format("fits") == lc::table_format::fits);
  CHECK_FALSE(lc::parse_table_format("hdf5").has_value());
  gaia::test::temp_dir dir("lightcurve-file");
  const auto t = lc::standard_table(read_rows(product_row).rows.at(0));
  const auto path = dir.path() / lc::datalink_file_name(1457486023639239296, "xml");
  lc::write_table_file(path, t, lc::table_format::votable);
  CHECK(gaia::test::read_file(path) == gaia::test::read_file(product));
  CHECK_FALSE(fs::exists(path.string() + ".tmp"));
  CHECK_THROWS_WITH_AS(lc::write_table_file(dir.path() / "no such dir" / "x.csv", t,
                                            lc::table_format::csv),
                       doctest::Contains("no such dir/x.csv.tmp"), gaia::output_error);
}

TEST_CASE("lightcurve: a row and its table refilled in place equal fresh ones, byte for byte") {
  // A select worker parses every row into one epoch_row and one table
  // (fragment_file.cpp): longer rows after shorter ones and back must
  // leave nothing of the previous row behind.
  struct record {
    std::string header, line;
  };
  std::vector<record> records;
  for (const auto& path : {product_row, fs::path(gaia::test::real_sample_path())}) {
    std::ifstream in(path, std::ios::binary);
    REQUIRE(in);
    std::string header, line;
    while (std::getline(in, line)) {
      if (line.empty() || line.front() == '#') continue;
      if (header.empty()) header = line;
      else records.push_back({header, line});
    }
  }
  REQUIRE(records.size() == 4);
  records.push_back(records.front()); // 65 transits again after 16 and fewer
  lc::epoch_row reused;
  lc::table reused_table;
  std::set<int32_t> lengths;
  for (const auto& r : records) {
    const auto columns = lc::epoch_columns::from_header_line(r.header);
    lc::parse_epoch_row_into(columns, r.line, reused);
    const auto fresh = lc::parse_epoch_row(columns, r.line);
    lengths.insert(fresh.n_transits);
    lc::standard_table_into(reused, reused_table);
    for (auto f : {lc::table_format::votable, lc::table_format::csv}) {
      std::ostringstream a, b;
      lc::write_table(a, reused_table, f);
      lc::write_table(b, lc::standard_table(fresh), f);
      CHECK_MESSAGE(a.str() == b.str(), first_difference(a.str(), b.str()));
    }
  }
  CHECK(lengths.size() >= 3);
}
