// The whole archive as a first-class run: a synthetic archive shaped like
// the real one (all 3,386 HEALPix ranges of DR3, a few sources each, with
// _MD5SUM.txt) served by the loopback mirror, file_boundaries "all" taking
// the files from that list, checksums on; results.csv bit for bit what the
// independent reference reader computes from the same files. Also the
// first N files, a range of them, and archive files not kept.
#include "actors/production.hpp"
#include "download/checksums.hpp"
#include "engine/log.hpp"
#include "settings/output_layout.hpp"
#include "tools/mirror/mirror.hpp"
#include "tools/synth/synth.hpp"

#include "tests/production_fixture.hpp"
#include "tests/reference_csv.hpp"
#include "tests/web_util.hpp"

#include <doctest/doctest.h>

#include <filesystem>

using namespace gaia;
namespace fs = std::filesystem;

namespace {

struct whole_archive {
  test::temp_dir dir{"gaia-whole"};
  std::vector<std::string> paths; ///< every file, in range order
  std::unique_ptr<mirror_server> mirror;

  whole_archive() {
    engine::set_log_quiet(true);
    const auto o = test::full_shaped_archive((dir / "www").string(), 12);
    for (const auto& f : synth::write_archive(o)) paths.push_back(f.path);
    mirror = test::loopback_mirror(o.out_dir);
  }
  ~whole_archive() { engine::set_log_quiet(false); }

  settings with(const std::string& files, const std::string& out) const {
    settings s = test::file_mirror_settings({0, 1}, "", (dir / out).string());
    s.archive_url_template = mirror->base_url() + "/EpochPhotometry_%s.csv.gz";
    s.files.from_list = true;
    s.files.text = files;
    s.download_pool_size = 4;
    return s;
  }

  std::string run_csv(const settings& s) const {
    auto o = run_production_once(s);
    INFO(o.step << " " << o.subject << " " << o.error);
    REQUIRE(o.ok);
    return test::read_file(output_layout(s.output_dir).results_csv);
  }
};

} // namespace

TEST_CASE("whole archive: file_boundaries \"all\" over the full-shaped "
          "synthetic archive, with checksums, equals the reference bit for bit") {
  whole_archive w;
  REQUIRE(w.paths.size() == 3386);
  const auto expected = test::reference::expected_csv(w.paths);
  REQUIRE(std::count(expected.begin(), expected.end(), '\n') > 300);

  auto s = w.with("all", "out");
  CHECK(w.run_csv(s) == expected);
  auto done = test::read_file(output_layout(s.output_dir).done_marker);
  CHECK(done.find(" in 3386 files\n") != std::string::npos);
  // One small file per archive file: its checkpoint (and the kept file).
  output_layout layout(s.output_dir);
  CHECK(std::distance(fs::directory_iterator(layout.aggregates_dir), fs::directory_iterator{})
        == 3386);
  CHECK(std::distance(fs::directory_iterator(layout.downloads_dir), fs::directory_iterator{})
        == 3386);

  SUBCASE("archive files not kept: the same bytes, only checkpoints on disk") {
    auto lean = w.with("all", "lean");
    lean.keep_downloads = false;
    CHECK(w.run_csv(lean) == expected);
    CHECK(fs::is_empty(output_layout(lean.output_dir).downloads_dir));
  }
  SUBCASE("the first N files, and files A to B of the list") {
    auto first = w.with("all:20", "first");
    first.files.last = 20;
    CHECK(w.run_csv(first) ==
          test::reference::expected_csv({w.paths.begin(), w.paths.begin() + 20}));
    auto middle = w.with("all:1000-1099", "middle");
    middle.files.first = 1000;
    middle.files.last = 1099;
    CHECK(w.run_csv(middle) ==
          test::reference::expected_csv({w.paths.begin() + 999, w.paths.begin() + 1099}));
    auto done = test::read_file(output_layout(middle.output_dir).done_marker);
    CHECK(done.find(" in 100 files\n") != std::string::npos);
  }
}

TEST_CASE("whole archive: a list with a gap fails the run at prepare, naming "
          "the line") {
  whole_archive w;
  // Drop one file from the list (the mirror still serves it).
  auto sums_path = w.dir / "www" / checksum_file_name;
  auto lines = test::read_lines(sums_path);
  std::string text;
  for (size_t i = 0; i < lines.size(); ++i)
    if (i != 41) text += lines[i] + "\n";
  test::write_file(sums_path, text);
  auto s = w.with("all", "gap");
  auto o = run_production_once(s);
  CHECK_FALSE(o.ok);
  CHECK(o.step == "prepare");
  CHECK(o.error.find("_MD5SUM.txt: line 42: EpochPhotometry_") != std::string::npos);
  CHECK(o.error.find("leaves a gap after the file of line 41") != std::string::npos);
}
