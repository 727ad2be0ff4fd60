// The gaia-dr3 executable as users run it: serve re-runs when a marker is
// deleted and stops cleanly on SIGTERM; run's exit codes; check and graph;
// bad configs fail with one line and touch nothing.
#include "actors/production.hpp"
#include "settings/output_layout.hpp"
#include "tools/synth/synth.hpp"

#include "tests/process_util.hpp"
#include "tests/production_fixture.hpp"

#include <doctest/doctest.h>

#include <fcntl.h>

using namespace gaia;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

const std::vector<int64_t> boundaries = {100, 130, 170};

/// A two-file archive in dir/mirror and the environment that points a run
/// at it by file:// with output in dir/out.
std::map<std::string, std::string> small_setup(const test::temp_dir& dir,
                                               test::small_archive& a) {
  a.ranges = ranges_from_boundaries(boundaries);
  fs::create_directories(dir / "mirror");
  for (const auto& r : a.ranges) {
    a.files.push_back(synth::generate_rows(r, 0.5, 21));
    synth::write_archive_file((dir / "mirror" / r.archive_file_name()).string(),
                              a.files.back());
  }
  return {{"GAIA_ARCHIVE_URL_TEMPLATE",
           "file://" + (dir / "mirror").string() + "/EpochPhotometry_%s.csv.gz"},
          {"GAIA_FILE_BOUNDARIES", "100,130,170"},
          {"GAIA_OUTPUT_DIR", (dir / "out").string()},
          {"GAIA_POLL_INTERVAL_MS", "50"}};
}

std::string config_path() {
  return std::string(GAIA_SOURCE_DIR) + "/config/production.json";
}

} // namespace

TEST_CASE("cli: serve runs, re-runs when results.done is deleted, stops on "
          "SIGTERM") {
  test::temp_dir dir;
  test::small_archive archive;
  auto env = small_setup(dir, archive);
  output_layout layout((dir / "out").string());
  test::child_process serve({"serve", "--config", config_path()}, env,
                            dir.path());
  REQUIRE(test::wait_for_file(layout.done_marker, 60s));
  auto first = test::read_file(layout.results_csv);
  test::check_results_equal(layout.results_csv, test::expected_rows(archive));
  auto done1 = test::read_file(layout.done_marker);
  // The verdict is written while the run still holds its lock (so no other
  // run can write one meanwhile); the lock goes right after.
  CHECK(test::wait_for_no_file(layout.lock_marker, 20s));

  // Deleting the marker is how users ask for another run.
  fs::remove(layout.done_marker);
  REQUIRE(test::wait_for_file(layout.done_marker, 60s));
  CHECK(test::read_file(layout.done_marker) != done1); // a new run's marker
  CHECK(test::read_file(layout.results_csv) == first);

  serve.signal(SIGTERM);
  CHECK(serve.wait(20s) == 0);
  CHECK_FALSE(fs::exists(layout.lock_marker));
  CHECK(serve.out().empty()); // logs go to stderr
  CHECK(serve.err().find("received Terminated") != std::string::npos);
}

TEST_CASE("cli: serve leaves a finished output alone until a marker goes") {
  test::temp_dir dir;
  test::small_archive archive;
  auto env = small_setup(dir, archive);
  output_layout layout((dir / "out").string());
  layout.create_directories();
  test::write_file(layout.err_marker, "download failed: x\n");
  test::child_process serve({"serve", "--config", config_path()}, env,
                            dir.path());
  // The service has looked at the markers and idles (that later polls do
  // too is test_engine_service's, on simulated time).
  REQUIRE(test::wait_for_log(serve, "idle: delete", 20s));
  CHECK_FALSE(fs::exists(layout.results_csv));
  CHECK(test::read_file(layout.err_marker) == "download failed: x\n");
  fs::remove(layout.err_marker);
  REQUIRE(test::wait_for_file(layout.done_marker, 60s));
  serve.signal(SIGINT);
  CHECK(serve.wait(20s) == 0);
}

TEST_CASE("cli: run exits 0 with results.done and 1 with results.err") {
  test::temp_dir dir;
  test::small_archive archive;
  auto env = small_setup(dir, archive);
  output_layout layout((dir / "out").string());
  {
    test::child_process run({"run", "--config", config_path()}, env,
                            dir.path());
    CHECK(run.wait(60s) == 0);
    CHECK(run.out().empty());
    CHECK(fs::exists(layout.done_marker));
    CHECK(run.err().find("process: file 2/2 ") != std::string::npos);
  }
  env["GAIA_ARCHIVE_URL_TEMPLATE"] = "file:///nonexistent/E_%s.csv.gz";
  env["GAIA_OUTPUT_DIR"] = (dir / "out2").string();
  test::child_process run({"run", "--config", config_path()}, env, dir.path());
  CHECK(run.wait(60s) == 1);
  auto err = test::read_file(dir / "out2" / "results.err");
  auto first_line = err.substr(0, err.find('\n'));
  // A file:// archive is read where it is: its step is the import.
  bool names_a_file =
    first_line == "import failed: file:///nonexistent/E_000100-000129.csv.gz"
    || first_line
         == "import failed: file:///nonexistent/E_000130-000169.csv.gz";
  CHECK_MESSAGE(names_a_file, first_line);
  CHECK_FALSE(fs::exists(dir / "out2" / "results.csv"));
  CHECK_FALSE(fs::exists(dir / "out2" / "results.lock"));
}

TEST_CASE("cli: a bad config is one line naming the key, exit 2, nothing "
          "written") {
  test::temp_dir dir;
  auto out = dir / "out";
  struct bad_case {
    std::string json;
    std::string needle;
  };
  for (const auto& c : std::vector<bad_case>{
         {R"({"import_pool_size": 0})", "import_pool_size"},
         {R"({"colour": "blue"})", "unknown key 'colour'"},
         {R"({"archive_url_template": "https://x/y.csv.gz"})",
          "archive_url_template"},
         {R"({"file_boundaries": [3, 2]})", "file_boundaries"},
         {R"({"poll_interval_ms": "fast"})", "poll_interval_ms"},
         {R"({"export_formats": ["csv", "xml"]})", "export_formats"}}) {
    // serve is the exception: it reports and waits (test_serve_config.cpp).
    for (const char* cmd : {"run", "check"}) {
      INFO(cmd << " " << c.json);
      test::write_file(dir / "bad.json", c.json);
      test::child_process p({cmd, "--config", (dir / "bad.json").string()},
                            {{"GAIA_OUTPUT_DIR", out.string()}}, dir.path());
      CHECK(p.wait(20s) == 2);
      auto err = p.err();
      CHECK(err.find(c.needle) != std::string::npos);
      CHECK(std::count(err.begin(), err.end(), '\n') == 1);
      CHECK(p.out().empty());
      CHECK_FALSE(fs::exists(out));
    }
  }
}

TEST_CASE("cli: check prints the resolved settings after overrides") {
  test::temp_dir dir;
  test::child_process p({"check", "--config", config_path()},
                        {{"GAIA_IMPORT_POOL", "3"},
                         {"GAIA_OUTPUT_DIR", (dir / "o").string()}},
                        dir.path());
  CHECK(p.wait(20s) == 0);
  auto out = p.out();
  CHECK(out.find("\"import_pool_size\": 3") != std::string::npos);
  CHECK(out.find("cdn.gea.esac.esa.int") != std::string::npos);
  CHECK_FALSE(fs::exists(dir / "o"));
}

TEST_CASE("cli: check takes a file list from the archive's _MD5SUM.txt (it crashed once)") {
  test::temp_dir dir;
  test::child_process p({"check", "--config", config_path()},
                        {{"GAIA_FILE_BOUNDARIES", "all:5"},
                         {"GAIA_OUTPUT_DIR", (dir / "o").string()}},
                        dir.path());
  CHECK(p.wait(20s) == 0);
  CHECK(p.out().find("\"file_boundaries\": \"all:5\"") != std::string::npos);
  CHECK(p.err().find("is valid: the files all:5 of ") != std::string::npos);
  CHECK(p.err().find("_MD5SUM.txt") != std::string::npos);
}

TEST_CASE("cli: graph prints the Mermaid flowchart of the topology") {
  test::temp_dir dir;
  test::child_process p({"graph"}, {}, dir.path());
  CHECK(p.wait(20s) == 0);
  auto out = p.out();
  CHECK(out.rfind("flowchart LR\n", 0) == 0);
  auto prod = gaia_production(default_settings());
  CHECK(out == prod.to_mermaid());
  for (const auto& e : prod.edges())
    CHECK(out.find(e.from + " -- " + e.message + " --> " + e.to) != std::string::npos);
  // Grouped as the IoP portal draws a production.
  for (const char* group : {"Services", "Processes", "Operations"})
    CHECK(out.find(std::string("[\"") + group + "\"]") != std::string::npos);
  test::child_process sized({"graph", "--config", config_path()},
                            {{"GAIA_DOWNLOAD_POOL", "7"}}, dir.path());
  CHECK(sized.wait(20s) == 0);
  CHECK(sized.out().find("Download operation x7") != std::string::npos);
}

TEST_CASE("cli: --help works for every command") {
  test::temp_dir dir;
  for (const char* cmd : {"serve", "run", "check", "status", "trigger", "graph",
                          "synth", "mirror", "bench", "inspect"}) {
    INFO(cmd);
    test::child_process p({cmd, "--help"}, {}, dir.path());
    CHECK(p.wait(20s) == 0);
    CHECK(p.out().find("Usage: gaia-dr3 " + std::string(cmd)) != std::string::npos);
  }
  test::child_process top({"--help"}, {}, dir.path());
  CHECK(top.wait(20s) == 0);
  CHECK(top.out().find("serve") != std::string::npos);
  test::child_process bad({"frobnicate"}, {}, dir.path());
  CHECK(bad.wait(20s) == 2);
  CHECK(bad.err() == "gaia-dr3: unknown command 'frobnicate' (see gaia-dr3 --help)\n");
}

TEST_CASE("cli: every command's arguments are checked by one parser") {
  // CLI11 for every command: a value that is not a number, an unknown
  // option, a missing required one: one line naming the command, exit 2.
  test::temp_dir dir;
  struct bad_args {
    std::vector<std::string> args;
    std::string says;
  };
  for (const auto& c : std::vector<bad_args>{
         {{"bench", "--repeat", "abc"}, "gaia-dr3 bench: --repeat"},
         {{"bench", "--repeat", "0"}, "gaia-dr3 bench: --repeat"},
         {{"synth", "--files", "x", "--out", "d"}, "gaia-dr3 synth: --files"},
         {{"synth"}, "gaia-dr3 synth: --out is required"},
         {{"synth", "--out", "d", "--scale", "-1"}, "gaia-dr3 synth: --scale"},
         {{"mirror", "--dir", ".", "--port", "70000"}, "gaia-dr3 mirror: --port"},
         {{"run", "--colour", "blue"}, "gaia-dr3 run: "},
         {{"status", "--config"}, "gaia-dr3 status: --config"},
         {{"inspect"}, "gaia-dr3 inspect: files is required"},
       }) {
    INFO(c.args[0] << " " << (c.args.size() > 1 ? c.args[1] : ""));
    test::child_process p(c.args, {}, dir.path());
    CHECK(p.wait(20s) == 2);
    const std::string err = p.err();
    CHECK(err.rfind(c.says, 0) == 0);
    CHECK(std::count(err.begin(), err.end(), '\n') == 1);
    CHECK(p.out().empty());
  }
}
