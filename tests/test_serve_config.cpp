// serve with a config that does not load, as in a container: it neither
// exits (a restart policy would restart it in a loop) nor runs. results.err
// says why, where status and RunChallenge.sh look; status exits 1 (the
// healthcheck); a fixed config and a deleted marker start a run. The live
// page serves all along, /readyz saying whether the config loads.
#include "settings/output_layout.hpp"
#include "tools/synth/synth.hpp"

#include "tests/process_util.hpp"
#include "tests/production_fixture.hpp"
#include "tests/raw_http.hpp"
#include "tests/web_util.hpp"

#include <doctest/doctest.h>

#include <algorithm>

using namespace gaia;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

/// A two-file archive in dir/mirror; config JSON pointing at it by file://.
struct bad_config_setup {
  test::small_archive archive;
  fs::path config;
  output_layout layout;
  std::string keys;

  explicit bad_config_setup(const test::temp_dir& dir)
    : config(dir / "config.json"), layout((dir / "out").string()) {
    archive.ranges = ranges_from_boundaries({200, 240, 300});
    fs::create_directories(dir / "mirror");
    for (const auto& r : archive.ranges) {
      archive.files.push_back(synth::generate_rows(r, 0.3, 8));
      synth::write_archive_file(
        (dir / "mirror" / r.archive_file_name()).string(), archive.files.back());
    }
    keys = "\"archive_url_template\": \"file://" + (dir / "mirror").string()
           + "/EpochPhotometry_%s.csv.gz\", \"file_boundaries\": [200, 240, "
             "300], \"poll_interval_ms\": 50";
  }

  void write(const std::string& extra) const {
    test::write_file(config, "{" + keys + extra + "}");
  }
  std::vector<std::string> args(const char* cmd) const {
    return {cmd, "--config", config.string()};
  }
};

size_t count_of(const std::string& text, const std::string& needle) {
  size_t n = 0;
  for (auto p = text.find(needle); p != std::string::npos;
       p = text.find(needle, p + 1))
    ++n;
  return n;
}

} // namespace

TEST_CASE("serve: a bad config is reported in results.err and waited out, and "
          "fixed and the marker deleted, it runs") {
  test::temp_dir dir;
  bad_config_setup setup(dir);
  const auto& layout = setup.layout;
  setup.write(", \"output_dir\": \"" + layout.dir
              + "\", \"download_pool_size\": 0");
  test::child_process serve(setup.args("serve"), {}, dir.path());

  REQUIRE(test::wait_for_file(layout.err_marker, 20s));
  auto err = test::read_file(layout.err_marker);
  CHECK(err.rfind("config failed: " + setup.config.string() + "\n", 0) == 0);
  CHECK(err.find("download_pool_size: 0 is out of range") != std::string::npos);
  CHECK(serve.wait(2s) == -1); // still serving, 40 polls later
  CHECK(count_of(serve.err(), "config error: ") == 1); // said once
  CHECK(serve.err().find("download_pool_size") != std::string::npos);
  CHECK_FALSE(fs::exists(layout.results_csv));
  CHECK_FALSE(fs::exists(layout.lock_marker));
  {
    test::child_process status(setup.args("status"), {}, dir.path());
    CHECK(status.wait(20s) == 1); // alive, but unhealthy
    INFO(status.out());
    CHECK(status.out().rfind("config error: ", 0) == 0);
    CHECK(status.out().find("download_pool_size") != std::string::npos);
    CHECK(status.out().find("last run failed: config failed: ")
          != std::string::npos);
    CHECK(status.out().find("service: pid " + std::to_string(serve.pid()))
          != std::string::npos);
  }

  // Deleted while the config is still bad: the marker comes back.
  fs::remove(layout.err_marker);
  REQUIRE(test::wait_for_file(layout.err_marker, 20s));

  // Fixed, marker still there: the service starts but waits for the marker.
  setup.write(", \"output_dir\": \"" + layout.dir + "\"");
  REQUIRE(test::wait_for_log(serve, "loads now", 20s));
  // The service it started has seen the marker, and idles.
  REQUIRE(test::wait_for_log(serve, "idle: delete", 20s));
  CHECK_FALSE(fs::exists(layout.results_csv));
  {
    test::child_process status(setup.args("status"), {}, dir.path());
    CHECK(status.wait(20s) == 1); // until the marker is deleted
    CHECK(status.out().find("fix the config, then delete")
          != std::string::npos);
  }

  fs::remove(layout.err_marker);
  REQUIRE(test::wait_for_file(layout.done_marker, 60s));
  test::check_results_equal(layout.results_csv,
                            test::expected_rows(setup.archive));
  // results.done names the answer as it is true wherever the directory is
  // mounted: beside the marker.
  auto done = test::read_file(layout.done_marker);
  CHECK(done.find("\nresults: results.csv (beside this file)\n")
        != std::string::npos);
  {
    test::child_process status(setup.args("status"), {}, dir.path());
    CHECK(status.wait(20s) == 0);
  }
  serve.signal(SIGTERM);
  CHECK(serve.wait(20s) == 0);
}

TEST_CASE("serve: without a usable output_dir key, results.err goes where "
          "the environment or the file puts output") {
  test::temp_dir dir;
  bad_config_setup setup(dir);
  struct bad_case {
    std::string extra;            // appended to the config's keys
    std::string env_dir;          // GAIA_OUTPUT_DIR, "" = unset
    std::string expect_dir;       // where results.err must appear
    std::string needle;           // in results.err's second line
  };
  auto env_out = (dir / "env-out").string();
  auto file_out = (dir / "file-out").string();
  for (const auto& c : std::vector<bad_case>{
         // The key itself is bad: the environment's directory.
         {", \"output_dir\": 7", env_out, env_out, "output_dir: expected a string"},
         // The file's directory when the key is fine and another is not.
         {", \"output_dir\": \"" + file_out + "\", \"colour\": 1", "",
          file_out, "unknown key 'colour'"},
         // Not even JSON: the environment's directory.
         {", oops", env_out, env_out, "not valid JSON"}}) {
    INFO(c.extra);
    fs::remove_all(env_out);
    fs::remove_all(file_out);
    setup.write(c.extra);
    std::map<std::string, std::string> env;
    if (!c.env_dir.empty())
      env["GAIA_OUTPUT_DIR"] = c.env_dir;
    output_layout layout(c.expect_dir);
    test::child_process serve(setup.args("serve"), env, dir.path());
    REQUIRE(test::wait_for_file(layout.err_marker, 20s));
    auto err = test::read_file(layout.err_marker);
    CHECK(err.rfind("config failed: " + setup.config.string() + "\n", 0) == 0);
    CHECK(err.find(c.needle) != std::string::npos);
    test::child_process status(setup.args("status"), env, dir.path());
    CHECK(status.wait(20s) == 1);
    CHECK(status.out().find(c.needle) != std::string::npos);
    serve.signal(SIGINT);
    CHECK(serve.wait(20s) == 0);
  }
}

TEST_CASE("serve: with a bad config the page serves, /readyz is 503 naming the key until the "
          "config loads, 200 then, 503 again when it breaks later, and the page keeps its port") {
  test::temp_dir dir;
  bad_config_setup setup(dir);
  const int port = test::free_port();
  const std::string out = ", \"output_dir\": \"" + setup.layout.dir + "\"";
  setup.write(out + ", \"web_port\": " + std::to_string(port) + ", \"download_pool_size\": 0");
  test::child_process serve(setup.args("serve"), {}, dir.path());
  auto readyz = [&] { return test::http_get(port, "/readyz"); };
  auto says = [](const test::http_result& r, int status, const std::string& text) {
    return r.status == status && r.body.find(text) != std::string::npos;
  };

  // The port from the part of the file that parses.
  REQUIRE(test::wait_for_page(serve, port, 20s));
  REQUIRE(test::probe(port, "/livez", 2) == 200);
  REQUIRE(test::eventually([&] { return says(readyz(), 503, "download_pool_size: 0"); }, 20s));
  CHECK(test::http_get(port, "/metrics").status == 200);

  // Fixed, and naming another port: ready, on the port it started with.
  // (results.err of the failure stays: no run starts.)
  const int other = test::free_port();
  setup.write(out + ", \"web_port\": " + std::to_string(other));
  REQUIRE(test::eventually([&] { return says(readyz(), 200, "ready"); }, 20s));
  REQUIRE(test::wait_for_log(serve, "stays on 127.0.0.1:" + std::to_string(port), 20s));
  CHECK(test::probe(other, "/livez", 2) == 0);

  // Broken later, while the service idles: seen without a run being due.
  setup.write(out + ", \"web_port\": " + std::to_string(other) + ", \"import_pool_size\": 0");
  REQUIRE(test::eventually([&] { return says(readyz(), 503, "import_pool_size: 0"); }, 20s));
  CHECK(test::probe(port, "/livez", 2) == 200);
  CHECK_FALSE(fs::exists(setup.layout.results_csv));

  serve.signal(SIGTERM);
  CHECK(serve.wait(20s) == 0);
}

TEST_CASE("serve: with a config that is not even JSON the page serves on GAIA_WEB_PORT and "
          "/readyz says why") {
  test::temp_dir dir;
  bad_config_setup setup(dir);
  const int port = test::free_port();
  setup.write(", \"output_dir\": \"" + setup.layout.dir + "\", oops");
  test::child_process serve(setup.args("serve"), {{"GAIA_WEB_PORT", std::to_string(port)}},
                            dir.path());
  REQUIRE(test::wait_for_page(serve, port, 20s));
  REQUIRE(test::probe(port, "/livez", 2) == 200);
  REQUIRE(test::eventually([&] {
    auto r = test::http_get(port, "/readyz");
    return r.status == 503 && r.body.find("not valid JSON") != std::string::npos;
  }, 20s));
  serve.signal(SIGTERM);
  CHECK(serve.wait(20s) == 0);
}

TEST_CASE("serve: a config that loaded and breaks while the service idles turns /readyz to 503 "
          "naming the key, and fixed, back to 200") {
  test::temp_dir dir;
  bad_config_setup setup(dir);
  const int port = test::free_port();
  const std::string good = ", \"output_dir\": \"" + setup.layout.dir + "\", \"web_port\": "
                           + std::to_string(port);
  fs::create_directories(setup.layout.dir);
  test::write_file(setup.layout.done_marker, "an earlier run\n"); // idle: no run is due
  setup.write(good);
  test::child_process serve(setup.args("serve"), {}, dir.path());
  auto readyz = [&] { return test::http_get(port, "/readyz"); };
  REQUIRE(test::eventually([&] { return readyz().status == 200; }, 20s));

  setup.write(good + ", \"download_retries\": -1");
  REQUIRE(test::eventually([&] {
    auto r = readyz();
    return r.status == 503 && r.body.find("download_retries: -1") != std::string::npos;
  }, 20s));
  // results.done is left alone: no run was due (the err marker and the log
  // line come when one is).
  CHECK(fs::exists(setup.layout.done_marker));
  CHECK_FALSE(fs::exists(setup.layout.err_marker));

  setup.write(good);
  REQUIRE(test::eventually([&] { return readyz().status == 200; }, 20s));
  serve.signal(SIGTERM);
  CHECK(serve.wait(20s) == 0);
}
