// Crash safety: `gaia-dr3 run` killed with SIGKILL at many points (seeded
// random times, and as soon as each step shows in progress.json), restarted
// each time; no half-written result is ever visible, the final results.csv
// equals the expected rows, and no temporary files are left.
#include "results/checkpoint.hpp"
#include "settings/output_layout.hpp"
#include "tools/synth/synth.hpp"

#include "tests/process_util.hpp"
#include "tests/production_fixture.hpp"

#include <doctest/doctest.h>

#include <random>

using namespace gaia;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

TEST_CASE("crash: SIGKILL at 24 points, restart each time, same answer") {
  test::temp_dir dir;
  std::vector<int64_t> b = {2000, 2500, 3000, 3500, 4000, 4500, 5000};
  test::small_archive archive;
  archive.ranges = ranges_from_boundaries(b);
  fs::create_directories(dir / "mirror");
  for (const auto& r : archive.ranges) {
    archive.files.push_back(synth::generate_rows(r, 4.0, 9));
    synth::write_archive_file((dir / "mirror" / r.archive_file_name()).string(),
                              archive.files.back());
  }
  auto expected = test::expected_rows(archive);
  output_layout layout((dir / "out").string());
  std::map<std::string, std::string> env = {
    {"GAIA_ARCHIVE_URL_TEMPLATE",
     "file://" + (dir / "mirror").string() + "/EpochPhotometry_%s.csv.gz"},
    {"GAIA_FILE_BOUNDARIES", "2000,2500,3000,3500,4000,4500,5000"},
    {"GAIA_OUTPUT_DIR", layout.dir},
    {"GAIA_IMPORT_POOL", "2"}};
  std::vector<std::string> run_args = {"run", "--config",
                                       std::string(GAIA_SOURCE_DIR)
                                         + "/config/production.json"};

  // How long an uninterrupted run from scratch takes here.
  auto t0 = std::chrono::steady_clock::now();
  {
    test::child_process run(run_args, env, dir.path());
    REQUIRE(run.wait(120s) == 0);
  }
  auto full = std::chrono::steady_clock::now() - t0;
  test::check_results_equal(layout.results_csv, expected);

  std::mt19937_64 rng(20261121);
  std::map<std::string, int> kills_by_step;
  const std::vector<std::string> steps = {"download+import", "compute", "export"};
  for (int kill = 0; kill < 24; ++kill) {
    // Every fourth round starts over from an empty output directory, so
    // kills land in downloads and imports again, not only in later steps.
    if (kill % 4 == 0)
      fs::remove_all(layout.dir);
    test::child_process run(run_args, env, dir.path());
    if (kill % 3 == 2) {
      // As soon as a given step shows up.
      const auto& want = steps[(kill / 3) % steps.size()];
      test::wait_on_files({layout.dir}, [&] {
        auto p = layout.state.read_progress();
        return p && p->pid == run.pid() && p->step == want;
      }, 10s);
    } else {
      std::uniform_int_distribution<int64_t> delay(
        0, std::chrono::duration_cast<std::chrono::microseconds>(full).count());
      std::this_thread::sleep_for(std::chrono::microseconds(delay(rng)));
    }
    auto p = layout.state.read_progress();
    std::string step = p && p->pid == run.pid() ? p->step : "start";
    run.signal(SIGKILL);
    run.wait(20s);
    ++kills_by_step[step];
    // Whatever is visible under a final name is whole.
    if (fs::exists(layout.results_csv))
      test::check_results_equal(layout.results_csv, expected);
    for (const auto& r : archive.ranges) {
      auto ck = layout.checkpoint_path(r);
      if (fs::exists(ck))
        CHECK(read_checkpoint_info(ck).has_value());
    }
  }
  std::string coverage;
  for (const auto& [step, n] : kills_by_step)
    coverage += " " + step + "=" + std::to_string(n);
  MESSAGE("kills by step:" << coverage);
  CHECK(kills_by_step["download+import"] >= 4);

  test::child_process last(run_args, env, dir.path());
  REQUIRE(last.wait(120s) == 0);
  test::check_results_equal(layout.results_csv, expected);
  for (const auto& e : fs::recursive_directory_iterator(layout.dir)) {
    auto name = e.path().filename().string();
    CHECK_MESSAGE(name.find(".tmp.") == std::string::npos, name);
    CHECK_MESSAGE(name.find(".part") == std::string::npos, name);
  }
  CHECK_FALSE(fs::exists(layout.lock_marker));
}
