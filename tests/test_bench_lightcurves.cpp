// `gaia-dr3 bench --lightcurves`: the ids it draws (real sources of the
// synthetic archive spread over its files, and ids no file holds), and the
// bench mode itself run end to end on the first ranges of the full-shaped
// archive (no timing is checked: only that both rows are measured and that
// `lightcurves` found exactly the ids drawn).
#include "core/file_range.hpp"
#include "tools/bench/lightcurve_ids.hpp"
#include "tools/synth/synth.hpp"

#include "tests/process_util.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <fstream>
#include <set>

using namespace gaia;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

TEST_CASE("bench --lightcurves: the ids drawn are archive sources over every file, plus "
          "ids in a file's range that the file lacks") {
  test::temp_dir dir;
  const auto path = (dir / "ids.txt").string();
  const int files = 12;
  const double scale = 0.01;
  auto d = cli::bench::draw_lightcurve_ids(path, files, scale, 1, 400, 20);
  CHECK(d.held == 396);
  CHECK(d.absent == 4);
  auto ranges = ranges_from_boundaries(synth::dr3_partition());
  ranges.resize(files);
  std::vector<std::vector<int64_t>> held;
  uint64_t sources = 0;
  for (const auto& r : ranges) {
    held.push_back(synth::generate_ids(r, scale, 1));
    sources += held.back().size();
  }
  CHECK(d.archive_sources == sources);
  std::ifstream in(path);
  std::set<int64_t> ids;
  std::set<size_t> holding;
  uint64_t lines = 0, in_file = 0, lacking = 0;
  for (int64_t id; in >> id; ++lines) {
    ids.insert(id);
    auto r = std::find_if(ranges.begin(), ranges.end(), [&](const file_range& x) {
      return healpix8_of(id) >= x.first && healpix8_of(id) <= x.last;
    });
    REQUIRE(r != ranges.end());
    const auto& file = held[static_cast<size_t>(r - ranges.begin())];
    if (std::binary_search(file.begin(), file.end(), id)) {
      ++in_file;
      holding.insert(static_cast<size_t>(r - ranges.begin()));
    } else {
      ++lacking;
    }
  }
  CHECK(lines == 400);
  CHECK(ids.size() == 400);
  CHECK(in_file == d.held);
  CHECK(lacking == d.absent);
  CHECK(holding.size() == d.files_holding);
  CHECK(d.files_holding == files);  // 396 of ~600 sources reach every file
  // The same seeds, the same list.
  const auto again = (dir / "again.txt").string();
  cli::bench::draw_lightcurve_ids(again, files, scale, 1, 400, 20);
  CHECK(test::read_file(again) == test::read_file(path));
  CHECK_THROWS_AS(cli::bench::draw_lightcurve_ids(again, files, scale, 1, sources + 100, 20),
                  std::invalid_argument);
}

TEST_CASE("synth: generate_ids are the ids generate_rows makes") {
  for (const auto& r : {file_range{0, 3111}, file_range{458910, 458921}}) {
    auto rows = synth::generate_rows(r, 0.05, 7);
    auto ids = synth::generate_ids(r, 0.05, 7);
    REQUIRE(rows.size() == ids.size());
    for (size_t i = 0; i < ids.size(); ++i) CHECK(rows[i].source_id == ids[i]);
  }
}

TEST_CASE("bench --lightcurves: both rows measured on the first 4 ranges, every drawn id "
          "found") {
  test::temp_dir dir;
  test::child_process bench({"bench", "--lightcurves", "--files", "4", "--scale", "0.01",
                             "--ids", "100", "--repeat", "1", "--work",
                             (dir / "work").string()},
                            {}, dir.path());
  REQUIRE(bench.wait(120s) == 0);
  const auto out = bench.out();
  CHECK(out.find("| variability run, every file | ") != std::string::npos);
  CHECK(out.find("| lightcurves --format csv --structure standard | ") != std::string::npos);
  CHECK(out.find("FAILED") == std::string::npos);
  CHECK_MESSAGE(out.find("csv: 100 asked, 99 found, 1 not found (as drawn); 4 files fetched")
                  != std::string::npos,
                out);
  CHECK(fs::exists(dir / "work" / "full-archive-0.01-4files" / ".complete"));
  CHECK(fs::file_size(dir / "work" / "lightcurve-bench-csv" / "answer" / "lightcurves.zip")
        > 0);
}
