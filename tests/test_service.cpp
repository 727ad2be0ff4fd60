// Running unattended: config changes picked up at the next run, a config
// that became invalid reported in results.err, status and trigger, SIGTERM
// mid-run, and a disk that fills during a run which then succeeds with space.
#include "download/checksums.hpp"
#include "tools/mirror/mirror.hpp"
#include "settings/output_layout.hpp"
#include "tools/synth/synth.hpp"

#include "tests/process_util.hpp"
#include "tests/production_fixture.hpp"

#include <doctest/doctest.h>

using namespace gaia;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

/// An archive of `files` files at `scale` in dir/mirror, and a config file
/// pointing at it by file:// with output in dir/out.
struct service_setup {
  test::small_archive archive;
  fs::path config;
  output_layout layout;
  std::string template_url;
  std::string boundaries;

  service_setup(const test::temp_dir& dir, int files, double scale)
    : layout((dir / "out").string()) {
    std::vector<int64_t> b;
    for (int i = 0; i <= files; ++i)
      b.push_back(1000 + 400 * i);
    archive.ranges = ranges_from_boundaries(b);
    fs::create_directories(dir / "mirror");
    for (const auto& r : archive.ranges) {
      archive.files.push_back(synth::generate_rows(r, scale, 5));
      synth::write_archive_file((dir / "mirror" / r.archive_file_name()).string(),
                                archive.files.back());
    }
    template_url = "file://" + (dir / "mirror").string()
                   + "/EpochPhotometry_%s.csv.gz";
    for (size_t i = 0; i < b.size(); ++i)
      boundaries += (i ? ", " : "") + std::to_string(b[i]);
    config = dir / "config.json";
    write_config(2);
  }

  void write_config(int import_pool, const std::string& extra = "") const {
    test::write_file(config, "{\"archive_url_template\": \"" + template_url
                               + "\", \"file_boundaries\": [" + boundaries
                               + "], \"output_dir\": \"" + layout.dir
                               + "\", \"poll_interval_ms\": 50, "
                                 "\"import_pool_size\": "
                               + std::to_string(import_pool) + extra + "}");
  }

  std::vector<std::string> args(const std::string& cmd) const {
    return {cmd, "--config", config.string()};
  }
};

bool no_temporaries(const output_layout& layout) {
  for (const auto& e : fs::recursive_directory_iterator(layout.dir))
    if (e.path().filename().string().find(".tmp.") != std::string::npos)
      return false;
  return true;
}

} // namespace

TEST_CASE("service: a changed config is used by the next run, an invalid "
          "one ends in results.err, a fixed one runs again") {
  test::temp_dir dir;
  service_setup setup(dir, 2, 0.3);
  test::child_process serve(setup.args("serve"), {}, dir.path());
  const auto& layout = setup.layout;
  REQUIRE(test::wait_for_file(layout.done_marker, 60s));

  setup.write_config(3);
  fs::remove(layout.done_marker);
  REQUIRE(test::wait_for_file(layout.done_marker, 60s));
  CHECK(serve.err().find("changed; restarting the production") != std::string::npos);
  CHECK(serve.err().find("import pool 3") != std::string::npos);

  setup.write_config(0); // invalid: pool size below 1
  fs::remove(layout.done_marker);
  REQUIRE(test::wait_for_file(layout.err_marker, 30s));
  auto err = test::read_file(layout.err_marker);
  CHECK(err.rfind("config failed: " + setup.config.string() + "\n", 0) == 0);
  CHECK(err.find("import_pool_size") != std::string::npos);

  setup.write_config(1);
  fs::remove(layout.err_marker);
  REQUIRE(test::wait_for_file(layout.done_marker, 60s));
  test::check_results_equal(layout.results_csv, test::expected_rows(setup.archive));
  serve.signal(SIGTERM);
  CHECK(serve.wait(20s) == 0);
}

TEST_CASE("service: status and trigger") {
  test::temp_dir dir;
  service_setup setup(dir, 2, 0.3);
  const auto& layout = setup.layout;
  {
    test::child_process status(setup.args("status"), {}, dir.path());
    CHECK(status.wait(20s) == 1); // no service, no run
    CHECK(status.out().find("idle: no outcome yet") != std::string::npos);
  }
  test::child_process serve(setup.args("serve"), {}, dir.path());
  REQUIRE(test::wait_on_files({layout.dir}, [&] {
    return fs::exists(layout.done_marker) && !fs::exists(layout.lock_marker);
  }, 60s));
  {
    test::child_process status(setup.args("status"), {}, dir.path());
    CHECK(status.wait(20s) == 0);
    INFO(status.out());
    CHECK(status.out().find("idle: last run succeeded: ok: ") != std::string::npos);
    CHECK(status.out().find("service: pid " + std::to_string(serve.pid()))
          != std::string::npos);
  }
  auto before = test::read_file(layout.done_marker);
  {
    test::child_process trigger(setup.args("trigger"), {}, dir.path());
    CHECK(trigger.wait(20s) == 0);
    CHECK(trigger.out().find("markers removed") != std::string::npos);
  }
  REQUIRE(test::wait_on_files({layout.dir}, [&] {
    return fs::exists(layout.done_marker)
           && test::read_file(layout.done_marker) != before;
  }, 60s));
  serve.signal(SIGTERM);
  CHECK(serve.wait(20s) == 0);
}

TEST_CASE("service: SIGTERM mid-run stops within seconds, the next start "
          "finishes the run") {
  test::temp_dir dir;
  service_setup setup(dir, 6, 3.0);
  const auto& layout = setup.layout;
  {
    test::child_process serve(setup.args("serve"), {}, dir.path());
    REQUIRE(test::wait_on_files({layout.dir}, [&] {
      auto p = layout.state.read_progress();
      return p && p->step == "download+import";
    }, 60s));
    auto t0 = std::chrono::steady_clock::now();
    serve.signal(SIGTERM);
    CHECK(serve.wait(20s) == 0);
    CHECK(std::chrono::steady_clock::now() - t0 < 5s);
    CHECK_FALSE(fs::exists(layout.lock_marker));
    CHECK_FALSE(fs::exists(layout.err_marker)); // no verdict on a shutdown
    CHECK(no_temporaries(layout));
  }
  test::child_process serve(setup.args("serve"), {}, dir.path());
  REQUIRE(test::wait_for_file(layout.done_marker, 60s));
  test::check_results_equal(layout.results_csv, test::expected_rows(setup.archive));
  serve.signal(SIGTERM);
  CHECK(serve.wait(20s) == 0);
}

TEST_CASE("service: a disk that fills during a download ends in results.err "
          "naming the file, and with space again the next run is exact") {
  test::temp_dir dir;
  service_setup setup(dir, 2, 2.0);
  const auto& layout = setup.layout;
  write_checksum_file((dir / "mirror").string());
  mirror_options mo;
  mo.dir = (dir / "mirror").string();
  mo.log_requests = false;
  mirror_server mirror(mo);
  mirror.start();
  uint64_t archive_bytes = 0;
  for (const auto& r : setup.archive.ranges)
    archive_bytes += fs::file_size(dir / "mirror" / r.archive_file_name());
  // A real full disk: output_dir on a tmpfs with room for the reserve and
  // the markers but not for the downloads.
  fs::create_directories(layout.dir);
  test::tmpfs_mount disk(layout.dir, archive_bytes / 2);
  const std::map<std::string, std::string> env{
    {"GAIA_ARCHIVE_URL_TEMPLATE", mirror.base_url() + "/EpochPhotometry_%s.csv.gz"},
    {"GAIA_RETRY_BACKOFF_MS", "10"}};
  {
    test::child_process run(setup.args("run"), env, dir.path());
    CHECK(run.wait(60s) == 1);
    REQUIRE(fs::exists(layout.err_marker));
    auto err = test::read_file(layout.err_marker);
    INFO(err);
    CHECK(err.rfind("download failed: " + mirror.base_url() + "/EpochPhotometry_", 0) == 0);
    CHECK(err.find(".csv.gz.part: cannot write: No space left on device") != std::string::npos);
    CHECK_FALSE(fs::exists(layout.results_csv));
    CHECK_FALSE(fs::exists(layout.done_marker));
    CHECK_FALSE(fs::exists(layout.lock_marker));
  }
  disk.resize(64 << 20); // space freed
  test::child_process run(setup.args("run"), env, dir.path());
  CHECK(run.wait(60s) == 0);
  test::check_results_equal(layout.results_csv, test::expected_rows(setup.archive));
  CHECK_FALSE(fs::exists(layout.err_marker));
  CHECK(no_temporaries(layout));
}

TEST_CASE("service: an output directory that cannot be used is retried "
          "until it can") {
  test::temp_dir dir;
  service_setup setup(dir, 1, 0.3);
  const auto& layout = setup.layout;
  // A regular file where the output directory should be: nothing can be
  // created there, not even results.err.
  test::write_file(layout.dir, "in the way\n");
  test::child_process serve(setup.args("serve"), {}, dir.path());
  REQUIRE(test::wait_for_log(serve, "next attempt in 5 s", 20s));
  CHECK(serve.err().find("cannot take the lock") != std::string::npos);
  fs::remove(layout.dir); // the condition clears
  REQUIRE(test::wait_for_file(layout.done_marker, 30s));
  test::check_results_equal(layout.results_csv, test::expected_rows(setup.archive));
  serve.signal(SIGTERM);
  CHECK(serve.wait(20s) == 0);
}

// Started as a script's background job starts, with SIGINT ignored: the
// signal is blocked for sigwait, and Linux never discards a blocked signal.
TEST_CASE("service: run stops on SIGINT mid-run, also when started with "
          "SIGINT ignored: exit 130, no lock, no verdict") {
  test::temp_dir dir;
  service_setup setup(dir, 6, 3.0);
  const auto& layout = setup.layout;
  test::child_process run(setup.args("run"), {}, dir.path(), 0, true);
  REQUIRE(test::wait_on_files({layout.dir}, [&] {
    auto p = layout.state.read_progress();
    return p && p->step == "download+import";
  }, 60s));
  run.signal(SIGINT);
  CHECK(run.wait(20s) == 130);
  CHECK(run.err().find("received Interrupt") != std::string::npos);
  CHECK_FALSE(fs::exists(layout.lock_marker));
  CHECK_FALSE(fs::exists(layout.err_marker));
  CHECK_FALSE(fs::exists(layout.done_marker));
}
