// lightcurve/epoch_row_fast: the one-pass parser takes the bulk files' rows
// (real ones and synth's) and reads them to the general parser's bits; on
// any row it does not take whole, the general parser decides, so every
// mutated row ends as before: the same values, or the same error.
#include "lightcurve/epoch_row_fast.hpp"
#include "lightcurve/epoch_row_parser.hpp"
#include "tests/test_util.hpp"
#include "tools/synth/synth.hpp"

#include <doctest/doctest.h>

#include <cstring>
#include <random>
#include <sstream>

namespace lc = gaia::lightcurve;
namespace fs = std::filesystem;

namespace {

struct text_rows {
  std::string header;
  std::vector<std::string> rows;
};

/// The header row and body rows of an ECSV text ('#' lines dropped).
text_rows split_ecsv(const std::string& text) {
  text_rows out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    if (out.header.empty()) {
      out.header = line;
    } else {
      out.rows.push_back(line);
    }
  }
  return out;
}

template <class T>
bool same_bytes(const std::vector<T>& a, const std::vector<T>& b) {
  return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(T)) == 0;
}

/// Equal to the bit (NaN payloads included).
bool same_row(const lc::epoch_row& a, const lc::epoch_row& b) {
  bool same = a.solution_id == b.solution_id && a.source_id == b.source_id &&
              a.n_transits == b.n_transits && same_bytes(a.transit_id, b.transit_id) &&
              same_bytes(a.g_transit_n_obs, b.g_transit_n_obs);
  for (size_t i = 0; i < 3; ++i) {
    const auto& x = a.band(i);
    const auto& y = b.band(i);
    same = same && same_bytes(x.time, y.time) && same_bytes(x.flux, y.flux) &&
           same_bytes(x.flux_error, y.flux_error) &&
           same_bytes(x.flux_over_error, y.flux_over_error) && same_bytes(x.mag, y.mag);
  }
  for (size_t f = 0; f < a.photometry_flags.size(); ++f)
    same = same && same_bytes(a.photometry_flags[f], b.photometry_flags[f]);
  for (size_t f = 0; f < 3; ++f)
    same = same && same_bytes(a.variability_reject[f], b.variability_reject[f]);
  return same;
}

/// The general parser's verdict on a row: its values, or its error.
struct verdict {
  bool ok = false;
  lc::epoch_row row;
  std::string error;
};

verdict general(const lc::epoch_columns& columns, const std::string& record) {
  verdict v;
  try {
    lc::parse_epoch_row_general(columns, record, v.row);
    v.ok = true;
  } catch (const gaia::input_error& e) {
    v.error = e.what();
  }
  return v;
}

/// The real rows: the DataLink product's bulk row (48 columns) and the
/// real sample (50 columns, ra and dec among them).
std::vector<text_rows> real_rows() {
  return {split_ecsv(gaia::test::read_file(
            fs::path(GAIA_FIXTURES_DIR) / "datalink_epoch_photometry_1457486023639239296.csv")),
          split_ecsv(gaia::test::read_file(gaia::test::real_sample_path()))};
}

/// synth's rows, as its archive files hold them.
text_rows synth_rows() {
  gaia::test::temp_dir dir("epoch-row-fast");
  const auto path = dir.path() / "EpochPhotometry_000000-003111.csv.gz";
  gaia::synth::write_archive_file(path.string(),
                                  gaia::synth::generate_rows({0, 3111}, 0.2, 7));
  return split_ecsv(gaia::test::gunzip_file(path));
}

} // namespace

TEST_CASE("epoch row fast: the bulk files' rows, real and synth's, are read in one pass to the "
          "general parser's bits") {
  auto sets = real_rows();
  sets.push_back(synth_rows());
  size_t rows = 0;
  for (const auto& set : sets) {
    const auto columns = lc::epoch_columns::from_header_line(set.header);
    REQUIRE_FALSE(set.rows.empty());
    for (const auto& record : set.rows) {
      INFO(record.substr(0, 60));
      const auto expected = general(columns, record);
      REQUIRE(expected.ok);
      lc::epoch_row fast;
      CHECK(lc::parse_epoch_row_fast(columns, record, fast));
      CHECK(same_row(fast, expected.row));
      // With CRLF line ends too, as the import reads them.
      lc::epoch_row crlf;
      CHECK(lc::parse_epoch_row_fast(columns, record + "\r\n", crlf));
      CHECK(same_row(crlf, expected.row));
      ++rows;
    }
  }
  CHECK(rows > 100);
}

TEST_CASE("epoch row fast: a row it does not take is left to the general parser, and every "
          "mutated row ends as before, values or error") {
  // Each mutation at a random place of a real or synth row: characters
  // the parsers decide on (separators, quotes, brackets, signs, spaces,
  // the tokens "0", "NaN", "null", "True", "1e400"), or a cut.
  const std::vector<std::string> inserts = {",",  "\"", "\"\"", "[",    "]",     " ",   "\t",
                                            "-",  "+",  "0",    "NaN",  "null",  "nan", "True",
                                            "true", "False", "e", "1e400", "5",  ".",   "\r"};
  auto sets = real_rows();
  sets.push_back(synth_rows());
  std::mt19937_64 rng(20261207);
  size_t taken_fast = 0, left = 0, errors = 0;
  for (const auto& set : sets) {
    const auto columns = lc::epoch_columns::from_header_line(set.header);
    for (size_t k = 0; k < 4000; ++k) {
      std::string record = set.rows[rng() % set.rows.size()];
      const size_t at = rng() % record.size();
      switch (rng() % 4) {
        case 0: record.insert(at, inserts[rng() % inserts.size()]); break;
        case 1: record.erase(at, 1 + rng() % 3); break;
        case 2: record.replace(at, 1, inserts[rng() % inserts.size()]); break;
        default: record.resize(at); break;
      }
      INFO(record);
      const auto expected = general(columns, record);
      lc::epoch_row fast;
      const bool fast_took = lc::parse_epoch_row_fast(columns, record, fast);
      if (fast_took) {
        // What the one-pass parser takes, the general one reads the same.
        CHECK(expected.ok);
        CHECK(same_row(fast, expected.row));
        ++taken_fast;
      } else {
        ++left;
      }
      // parse_epoch_row_into (fast first): the general parser's verdict.
      lc::epoch_row into;
      if (expected.ok) {
        lc::parse_epoch_row_into(columns, record, into);
        CHECK(same_row(into, expected.row));
      } else {
        ++errors;
        CHECK_THROWS_WITH_AS(lc::parse_epoch_row_into(columns, record, into),
                             expected.error.c_str(), gaia::input_error);
      }
    }
  }
  // Both paths were exercised: rows still whole after a harmless change
  // (a digit, a flag word) and rows only the general parser decides on.
  CHECK(taken_fast > 500);
  CHECK(left > 2000);
  CHECK(errors > 1000);
}
