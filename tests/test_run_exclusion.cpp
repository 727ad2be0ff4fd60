// One run per output directory, whatever happens to results.lock, and one
// verdict: real `serve`, `run` and `status` processes against a loopback
// mirror that holds a run in flight for exactly as long as a test needs.
// Deleting or replacing results.lock mid-run never lets a second run in;
// the run that lost its lock stops without a verdict; results.done and
// results.err never both exist.
#include "tools/mirror/mirror.hpp"
#include "settings/output_layout.hpp"
#include "tools/synth/synth.hpp"

#include "tests/process_util.hpp"
#include "tests/production_fixture.hpp"

#include <doctest/doctest.h>

#include <memory>

using namespace gaia;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

/// What a results.lock copied from another machine says.
const std::string foreign_lock =
  "pid 4242\nhost elsewhere\nstarted 2020-01-01T00:00:00Z\n";

/// A two-file archive behind a loopback mirror. The first file's next
/// download stalls halfway until release(), so a run against it stays in
/// flight until the test lets it go. Output in dir/out.
struct held_archive {
  test::small_archive archive;
  std::unique_ptr<mirror_server> mirror;
  output_layout layout;
  std::string boundaries = "1000, 1400, 1800";

  explicit held_archive(const test::temp_dir& dir)
    : layout((dir / "out").string()) {
    archive.ranges = ranges_from_boundaries({1000, 1400, 1800});
    fs::create_directories(dir / "mirror");
    for (const auto& r : archive.ranges) {
      archive.files.push_back(synth::generate_rows(r, 0.5, 7));
      synth::write_archive_file((dir / "mirror" / r.archive_file_name()).string(),
                                archive.files.back());
    }
    mirror_options opts;
    opts.dir = (dir / "mirror").string();
    opts.log_requests = false;
    mirror = std::make_unique<mirror_server>(opts);
    mirror->start();
    mirror_fault hold;
    hold.what = mirror_fault::kind::stall_mid_body;
    hold.times = 1;
    hold.stall_ms = 600000; // until release()
    mirror->set_fault(first_file(), hold);
  }

  std::string first_file() const { return archive.ranges[0].archive_file_name(); }

  /// Waits until the first file's download is under way (and held).
  bool holding(std::chrono::milliseconds limit) const {
    const std::string path = "/" + first_file();
    return mirror->wait_for_request(
      [&](const mirror_request& r) { return r.method == "GET" && r.path == path; }, limit);
  }

  void release() { mirror->clear_faults(); }

  /// A config for this archive at `path`; the stall check is off so that
  /// only release() ends the hold.
  std::string write_config(const fs::path& path, int poll_ms,
                           int import_pool = 2, int download_pool = 2) const {
    test::write_file(path, "{\"archive_url_template\": \"" + mirror->base_url()
                             + "/EpochPhotometry_%s.csv.gz\", \"file_boundaries\": ["
                             + boundaries + "], \"output_dir\": \"" + layout.dir
                             + "\", \"poll_interval_ms\": " + std::to_string(poll_ms)
                             + ", \"import_pool_size\": " + std::to_string(import_pool)
                             + ", \"download_pool_size\": " + std::to_string(download_pool)
                             + ", \"checksum_url\": \"none\", \"stall_min_bytes_per_s\": 0}");
    return path.string();
  }
};

/// A directory for one child's stdout.txt and stderr.txt.
fs::path log_dir(const test::temp_dir& dir, const std::string& name) {
  fs::create_directories(dir / name);
  return dir / name;
}

/// Puts `text` at `path` as a new file (a copy moved into place).
void replace_file(const std::string& path, const std::string& text) {
  test::write_file(path + ".copy", text);
  fs::rename(path + ".copy", path);
}

bool contains(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

} // namespace

TEST_CASE("lock: deleting or replacing results.lock mid-run lets no second "
          "run into the output directory") {
  test::temp_dir dir;
  held_archive a(dir);
  const auto& layout = a.layout;
  // A long poll interval: this service does not look at its lock again
  // during the test, so only the exclusion itself is at work.
  auto config = a.write_config(dir / "serve.json", 3'600'000);
  test::child_process serve({"serve", "--config", config}, {},
                            log_dir(dir, "serve"));
  REQUIRE(a.holding(60s));
  REQUIRE(fs::exists(layout.lock_marker)); // taken before the run began

  bool deleted = false;
  SUBCASE("deleted") {
    fs::remove(layout.lock_marker);
    deleted = true;
  }
  SUBCASE("replaced by a copy from another host") {
    replace_file(layout.lock_marker, foreign_lock);
  }

  {
    test::child_process status({"status", "--config", config}, {},
                               log_dir(dir, "status"));
    CHECK(status.wait(20s) == 0);
    INFO(status.out());
    CHECK(status.out().rfind("running: ", 0) == 0);
  }
  {
    test::child_process run({"run", "--config", config}, {}, log_dir(dir, "run"));
    CHECK(run.wait(60s) == 1);
    INFO(run.err());
    CHECK(contains(run.err(), "another run holds"));
  }
  // The refused run touched nothing.
  if (deleted)
    CHECK_FALSE(fs::exists(layout.lock_marker));
  else
    CHECK(test::read_file(layout.lock_marker) == foreign_lock);
  CHECK_FALSE(fs::exists(layout.done_marker));
  CHECK_FALSE(fs::exists(layout.err_marker));

  a.release();
  REQUIRE(test::wait_for_file(layout.done_marker, 60s));
  CHECK_FALSE(fs::exists(layout.err_marker));
  test::check_results_equal(layout.results_csv, test::expected_rows(a.archive));
  serve.signal(SIGTERM);
  CHECK(serve.wait(20s) == 0);
  // The service removes a results.lock of its own only.
  if (deleted)
    CHECK_FALSE(fs::exists(layout.lock_marker));
  else
    CHECK(test::read_file(layout.lock_marker) == foreign_lock);
}

TEST_CASE("lock: a run whose results.lock is deleted or replaced stops "
          "without a verdict, and the service then runs again") {
  test::temp_dir dir;
  held_archive a(dir);
  const auto& layout = a.layout;
  auto config = a.write_config(dir / "serve.json", 50);
  test::child_process serve({"serve", "--config", config}, {},
                            log_dir(dir, "serve"));
  REQUIRE(a.holding(60s));
  REQUIRE(fs::exists(layout.lock_marker)); // taken before the run began

  std::string line;
  bool foreign = true;
  SUBCASE("deleted") {
    fs::remove(layout.lock_marker);
    line = "results.lock was deleted while run 1 worked; stopping run 1";
    foreign = false;
  }
  SUBCASE("replaced by a copy from another host") {
    replace_file(layout.lock_marker, foreign_lock);
    line = "results.lock was replaced while run 1 worked (it now says pid "
           "4242 on host elsewhere); stopping run 1";
  }
  SUBCASE("overwritten in place") {
    test::write_file(layout.lock_marker, foreign_lock);
    line = "results.lock was replaced while run 1 worked (it now says pid "
           "4242 on host elsewhere); stopping run 1";
  }
  REQUIRE(test::wait_for_log(serve, line, 30s));
  // The held download is cancelled, the run ends without a verdict, and a
  // new run (whose download is not held) finishes the job.
  REQUIRE(test::wait_for_file(layout.done_marker, 60s));
  auto log = serve.err();
  INFO(log);
  CHECK(contains(log, "run 1 stopped without a verdict"));
  CHECK_FALSE(contains(log, "run 1 failed"));
  CHECK(contains(log, "starting run 2"));
  if (foreign)
    CHECK(contains(log, "took over a stale results.lock left by pid 4242 on "
                        "host elsewhere"));
  CHECK_FALSE(fs::exists(layout.err_marker));
  test::check_results_equal(layout.results_csv, test::expected_rows(a.archive));
  serve.signal(SIGTERM);
  CHECK(serve.wait(20s) == 0);
  CHECK_FALSE(fs::exists(layout.lock_marker));
}

TEST_CASE("lock: `run` whose results.lock is deleted stops: exit 1 naming "
          "it, no marker") {
  test::temp_dir dir;
  held_archive a(dir);
  const auto& layout = a.layout;
  auto config = a.write_config(dir / "run.json", 50);
  test::child_process run({"run", "--config", config}, {}, log_dir(dir, "run"));
  REQUIRE(a.holding(60s));
  REQUIRE(fs::exists(layout.lock_marker)); // taken before the run began
  fs::remove(layout.lock_marker);
  CHECK(run.wait(30s) == 1);
  INFO(run.err());
  CHECK(contains(run.err(), "gaia-dr3 run: lock failed: " + layout.lock_marker
                              + ": results.lock was deleted while run 1 worked; "
                                "the run was stopped"));
  CHECK_FALSE(contains(run.err(), "run 1 failed"));
  CHECK_FALSE(fs::exists(layout.done_marker));
  CHECK_FALSE(fs::exists(layout.err_marker));
  CHECK_FALSE(fs::exists(layout.lock_marker));
}

TEST_CASE("markers: the service reports a config error only under the lock, "
          "so a run elsewhere ends with results.done alone") {
  test::temp_dir dir;
  held_archive a(dir);
  const auto& layout = a.layout;
  auto serve_config = a.write_config(dir / "serve.json", 50);
  auto run_config = a.write_config(dir / "run.json", 50);
  layout.create_directories();
  test::write_file(layout.done_marker, "ok: an earlier run\n");
  test::child_process serve({"serve", "--config", serve_config}, {},
                            log_dir(dir, "serve"));
  REQUIRE(test::wait_for_log(serve, "idle: delete", 30s));
  a.write_config(dir / "serve.json", 50, 0); // invalid from now on

  // `run` removes results.done and works; the service sees no marker.
  test::child_process run({"run", "--config", run_config}, {}, log_dir(dir, "run"));
  REQUIRE(a.holding(60s));
  REQUIRE(test::wait_on_files({serve.log_dir(), layout.dir}, [&] {
    return contains(serve.err(), "another run holds") || fs::exists(layout.err_marker);
  }, 30s));
  CHECK_FALSE(fs::exists(layout.err_marker));

  a.release();
  CHECK(run.wait(60s) == 0);
  CHECK(fs::exists(layout.done_marker));
  CHECK_FALSE(fs::exists(layout.err_marker));
  test::check_results_equal(layout.results_csv, test::expected_rows(a.archive));
  // The service is idle again: a marker exists, the broken config is not
  // even read.
  REQUIRE(test::wait_on_files({serve.log_dir()}, [&] {
    auto log = serve.err();
    return log.rfind("idle: delete") > log.rfind("another run holds");
  }, 30s));
  CHECK_FALSE(fs::exists(layout.err_marker));
  CHECK_FALSE(contains(serve.err(), "config error"));
  serve.signal(SIGTERM);
  CHECK(serve.wait(20s) == 0);
}

TEST_CASE("markers: a run's verdict replaces the other marker, so "
          "results.done and results.err never both exist") {
  test::temp_dir dir;
  held_archive a(dir);
  const auto& layout = a.layout;
  // One download at a time: the second file waits behind the held first.
  auto config = a.write_config(dir / "run.json", 50, 2, 1);
  test::child_process run({"run", "--config", config}, {}, log_dir(dir, "run"));
  REQUIRE(a.holding(60s));

  SUBCASE("success over a results.err written mid-run") {
    test::write_file(layout.err_marker, "download failed: a stale marker\n");
    a.release();
    CHECK(run.wait(60s) == 0);
    CHECK(fs::exists(layout.done_marker));
    CHECK_FALSE(fs::exists(layout.err_marker));
    test::check_results_equal(layout.results_csv, test::expected_rows(a.archive));
  }
  SUBCASE("failure over a results.done written mid-run") {
    test::write_file(layout.done_marker, "ok: a stale marker\n");
    fs::remove(dir / "mirror" / a.archive.ranges[1].archive_file_name()); // 404
    a.release();
    CHECK(run.wait(60s) == 1);
    REQUIRE(fs::exists(layout.err_marker));
    CHECK_FALSE(fs::exists(layout.done_marker));
    CHECK(contains(test::read_file(layout.err_marker),
                   a.archive.ranges[1].archive_file_name()));
  }
}
