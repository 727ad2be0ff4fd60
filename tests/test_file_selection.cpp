// Which archive files hold the asked ids (lightcurve_select/
// file_selection.hpp): a synthetic _MD5SUM.txt with gaps, ids in files, in
// gaps, below and beyond every file; the whole DR3 partition; the expected
// grouping computed the plain way (each id against every range).
#include "lightcurve_select/file_selection.hpp"

#include "core/errors.hpp"
#include "download/checksums.hpp"
#include "tests/test_util.hpp"
#include "tools/synth/synth.hpp"

#include <doctest/doctest.h>

#include <fstream>
#include <limits>
#include <map>
#include <random>
#include <set>

namespace fs = std::filesystem;
using gaia::test::temp_dir;

namespace {

const std::string md5 = "0123456789abcdef0123456789abcdef";

/// A source_id in HEALPix level-8 pixel `pixel`.
int64_t id_in(int64_t pixel, int64_t k) { return (pixel << 43) + k; }

/// Writes ids (any order, duplicates allowed) as an id list and sorts it.
void sorted_ids(const temp_dir& d, const std::vector<int64_t>& ids) {
  std::string text;
  for (int64_t id : ids) text += std::to_string(id) + "\n";
  gaia::test::write_file(d / "ids.txt", text);
  gaia::sort_id_list((d / "ids.txt").string(), (d / "ids.bin").string());
}

/// The grouping, the plain way: each id against every range.
struct plain_grouping {
  std::map<int64_t, std::vector<int64_t>> by_file; // range.first -> ids
  std::vector<int64_t> not_found;
};

plain_grouping group_plainly(std::set<int64_t> ids, const std::vector<gaia::file_range>& ranges) {
  plain_grouping g;
  for (int64_t id : ids) {
    bool held = false;
    for (const auto& r : ranges)
      if ((id >> 43) >= r.first && (id >> 43) <= r.last) {
        g.by_file[r.first].push_back(id);
        held = true;
      }
    if (!held) g.not_found.push_back(id);
  }
  return g;
}

void check_grouping(const temp_dir& d, const std::vector<int64_t>& asked,
                    const std::vector<gaia::file_range>& ranges) {
  sorted_ids(d, asked);
  gaia::sorted_id_file ids((d / "ids.bin").string());
  std::vector<int64_t> not_found;
  auto sel = gaia::select_files(ids, ranges, [&](int64_t id) { not_found.push_back(id); });
  const auto want = group_plainly(std::set<int64_t>(asked.begin(), asked.end()), ranges);
  CHECK(sel.ids == ids.size());
  CHECK(sel.not_found == want.not_found.size());
  CHECK(not_found == want.not_found);
  REQUIRE(sel.files.size() == want.by_file.size()); // only the files that hold an asked id
  size_t i = 0;
  for (const auto& [first, file_ids] : want.by_file) {
    INFO("file " << sel.files[i].range.archive_file_name());
    CHECK(sel.files[i].range.first == first);
    CHECK(ids.read(sel.files[i].first, sel.files[i].count) == file_ids);
    ++i;
  }
}

} // namespace

TEST_CASE("file selection: a _MD5SUM.txt with gaps, and ids in files, in gaps, below and beyond") {
  // Files 10-19, 20-29, (gap 30-49), 50-59, (gap 60-99), 100-100; listed
  // out of order, with a file that is not an archive file.
  const std::string text = md5 + "  EpochPhotometry_000050-000059.csv.gz\n" +
                           md5 + "  EpochPhotometry_000010-000019.csv.gz\n" +
                           md5 + "  _README.txt\n" +
                           md5 + " *EpochPhotometry_000020-000029.csv.gz\n" +
                           md5 + "  EpochPhotometry_000100-000100.csv.gz\n";
  auto lines = gaia::parse_checksum_lines(text, "mirror/_MD5SUM.txt");
  auto ranges = gaia::archive_files_held(lines, "mirror/_MD5SUM.txt");
  REQUIRE(ranges.size() == 4);
  CHECK(ranges[0].label() == "000010-000019");
  CHECK(ranges[1].label() == "000020-000029");
  CHECK(ranges[2].label() == "000050-000059");
  CHECK(ranges[3].label() == "000100-000100");
  // The variability run's reading refuses the same list: it needs every file.
  CHECK_THROWS_WITH(gaia::archive_files_listed(lines, "mirror/_MD5SUM.txt"),
                    doctest::Contains("goes back"));

  temp_dir d("gaia-files");
  const std::vector<int64_t> asked{
    id_in(12, 5), id_in(12, 5), id_in(10, 0), id_in(19, (int64_t{1} << 43) - 1), // file 1
    id_in(20, 7),                                                                 // file 2
    id_in(35, 1), id_in(49, 2), id_in(60, 0), id_in(99, 9),                       // gaps
    id_in(100, 3),                                                                // last file
    0, id_in(9, 4),                                                               // below
    id_in(101, 0), std::numeric_limits<int64_t>::max(),                           // beyond
  };
  check_grouping(d, asked, ranges);

  gaia::sorted_id_file ids((d / "ids.bin").string());
  auto sel = gaia::select_files(ids, ranges, [](int64_t) {});
  REQUIRE(sel.files.size() == 3); // 50-59 holds no asked id: not selected
  CHECK(sel.files[0].count == 3);
  CHECK(sel.files[1].count == 1);
  CHECK(sel.files[2].range.label() == "000100-000100");
  CHECK(sel.not_found == 8);
  CHECK(sel.ids == 13);
}

TEST_CASE("file selection: overlapping or backward files are refused naming them") {
  const std::string overlap = md5 + "  EpochPhotometry_000010-000019.csv.gz\n" +
                              md5 + "  EpochPhotometry_000015-000029.csv.gz\n";
  CHECK_THROWS_WITH_AS(
    gaia::archive_files_held(gaia::parse_checksum_lines(overlap, "m/_MD5SUM.txt"),
                             "m/_MD5SUM.txt"),
    "m/_MD5SUM.txt: line 2: EpochPhotometry_000015-000029.csv.gz overlaps "
    "EpochPhotometry_000010-000019.csv.gz (line 1)",
    gaia::input_error);
  const std::string backward = md5 + "  EpochPhotometry_000019-000010.csv.gz\n";
  CHECK_THROWS_WITH(
    gaia::archive_files_held(gaia::parse_checksum_lines(backward, "m"), "m"),
    doctest::Contains("line 1: EpochPhotometry_000019-000010.csv.gz ends before it starts"));
  CHECK_THROWS_WITH(gaia::archive_files_held(gaia::parse_checksum_lines(md5 + "  x.txt\n", "m"), "m"),
                    doctest::Contains("lists no EpochPhotometry"));
  temp_dir d("gaia-files");
  sorted_ids(d, {1});
  gaia::sorted_id_file ids((d / "ids.bin").string());
  CHECK_THROWS_AS(gaia::select_files(ids, {{10, 19}, {15, 29}}, [](int64_t) {}),
                  gaia::input_error);
}

TEST_CASE("file selection: ids spread over the whole DR3 partition, as listed in _MD5SUM.txt") {
  // The archive's 3,386 files, listed as the real _MD5SUM.txt lists them.
  const auto ranges_all = gaia::ranges_from_boundaries(gaia::synth::dr3_partition());
  std::string text;
  for (const auto& r : ranges_all) text += md5 + "  " + r.archive_file_name() + "\n";
  auto lines = gaia::parse_checksum_lines(text, "_MD5SUM.txt");
  auto ranges = gaia::archive_files_held(lines, "_MD5SUM.txt");
  CHECK(ranges.size() == 3386);
  CHECK(ranges.size() == gaia::archive_files_listed(lines, "_MD5SUM.txt").size());
  // A partial mirror: every third file.
  std::vector<gaia::file_range> partial;
  for (size_t i = 0; i < ranges.size(); i += 3) partial.push_back(ranges[i]);

  std::mt19937_64 rng(7);
  std::vector<int64_t> asked;
  for (int i = 0; i < 20000; ++i) {
    const int64_t pixel = static_cast<int64_t>(rng() % 786432);
    asked.push_back(id_in(pixel, static_cast<int64_t>(rng() % (int64_t{1} << 43))));
  }
  asked.push_back(id_in(786432, 0)); // past the last pixel of the sky
  temp_dir d("gaia-files");
  SUBCASE("every file") { check_grouping(d, asked, ranges); }
  SUBCASE("every third file") { check_grouping(d, asked, partial); }
}
