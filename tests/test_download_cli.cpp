// The download settings as users set them (config keys, environment,
// errors), and the offline path end to end with the real executables:
// `synth` publishes _MD5SUM.txt, `mirror` serves it, `run` checks against it.
#include "download/checksums.hpp"
#include "download/md5.hpp"
#include "settings/output_layout.hpp"
#include "settings/settings.hpp"

#include "tests/env_util.hpp"
#include "tests/process_util.hpp"
#include "tests/production_fixture.hpp"

#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include <map>

using namespace gaia;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

using test::env_of;
using test::error_of;

TEST_CASE("settings: the download keys have defaults, overrides and named errors") {
  auto d = parse_settings("{}", "test.json", env_of({}));
  CHECK(d.download_retries == 5);
  CHECK(d.connect_timeout_s == 30);
  CHECK(d.stall_timeout_s == 60);
  CHECK(d.stall_min_bytes_per_s == 1000);
  CHECK(d.retry_backoff_ms == 1000);
  CHECK_FALSE(d.checksum_url);
  CHECK(to_json(d)["checksum_url"]
        == "https://cdn.gea.esac.esa.int/Gaia/gdr3/Photometry/epoch_photometry/_MD5SUM.txt");

  auto env = env_of({{"GAIA_DOWNLOAD_RETRIES", "2"},
                     {"GAIA_CONNECT_TIMEOUT_SECONDS", "3"},
                     {"GAIA_STALL_TIMEOUT_SECONDS", "4"},
                     {"GAIA_STALL_MIN_BYTES_PER_SECOND", "0"},
                     {"GAIA_RETRY_BACKOFF_MS", "6"},
                     {"GAIA_CHECKSUM_URL", "none"}});
  auto s = parse_settings(R"({"download_retries": 9, "checksum_url": "http://h/x.txt"})",
                          "test.json", env);
  CHECK(s.download_retries == 2);
  CHECK(s.connect_timeout_s == 3);
  CHECK(s.stall_timeout_s == 4);
  CHECK(s.stall_min_bytes_per_s == 0);
  CHECK(s.retry_backoff_ms == 6);
  REQUIRE(s.checksum_url);
  CHECK(s.checksum_url->empty());
  CHECK(to_json(s)["checksum_url"] == "");
  auto off = parse_settings(R"({"checksum_url": ""})", "test.json", env_of({}));
  CHECK(off.checksum_url == std::string());

  auto retries = error_of(R"({"download_retries": -1})");
  CHECK(retries.find("download_retries") != std::string::npos);
  CHECK(retries.find("out of range") != std::string::npos);
  CHECK(error_of(R"({"connect_timeout_s": 0})").find("connect_timeout_s") != std::string::npos);
  CHECK(error_of(R"({"stall_timeout_s": "1"})").find("expected an integer") != std::string::npos);
  auto url = error_of(R"({"checksum_url": "ftp://h/_MD5SUM.txt"})");
  CHECK(url.find("checksum_url") != std::string::npos);
  CHECK(url.find("URL") != std::string::npos);
  auto var = error_of("{}", env_of({{"GAIA_RETRY_BACKOFF_MS", "soon"}}));
  CHECK(var.find("GAIA_RETRY_BACKOFF_MS") != std::string::npos);
  CHECK(std::count(var.begin(), var.end(), '\n') == 0);
}

TEST_CASE("download cli: synth publishes _MD5SUM.txt, mirror serves it, run checks it") {
  test::temp_dir dir("gaia-dlcli");
  const fs::path www = dir / "www";
  fs::create_directories(dir / "synth");
  {
    test::child_process synth({"synth", "--out", www.string(), "--files", "2", "--scale",
                               "0.01", "--seed", "5"},
                              {}, dir / "synth");
    REQUIRE(synth.wait(60s) == 0);
  }
  auto sums = parse_checksums(test::read_file(www / checksum_file_name), "synth");
  auto ranges = ranges_from_boundaries({0, 3112, 5264});
  REQUIRE(sums.size() == 2);
  test::small_archive archive;
  archive.ranges = ranges;
  for (const auto& r : ranges) {
    CHECK(sums[r.archive_file_name()] == md5_file((www / r.archive_file_name()).string()));
    archive.files.push_back(synth::generate_rows(r, 0.01, 5));
  }

  fs::create_directories(dir / "mirror");
  test::child_process mirror({"mirror", "--dir", www.string(), "--port", "0"}, {}, dir / "mirror");
  REQUIRE(test::wait_on_files({mirror.log_dir()}, [&] {
    return fs::exists(dir / "mirror" / "stdout.txt")
           && mirror.out().find('\n') != std::string::npos;
  }, 20s));
  const std::string base = mirror.out().substr(0, mirror.out().find('\n'));
  REQUIRE(base.rfind("http://127.0.0.1:", 0) == 0);

  fs::create_directories(dir / "run");
  const std::string config = std::string(GAIA_SOURCE_DIR) + "/config/production.json";
  test::child_process run({"run", "--config", config},
                          {{"GAIA_ARCHIVE_URL_TEMPLATE", base + "/EpochPhotometry_%s.csv.gz"},
                           {"GAIA_FILE_BOUNDARIES", "0,3112,5264"},
                           {"GAIA_OUTPUT_DIR", (dir / "out").string()},
                           {"GAIA_RETRY_BACKOFF_MS", "10"}},
                          dir / "run");
  REQUIRE(run.wait(60s) == 0);
  output_layout layout((dir / "out").string());
  test::check_results_equal(layout.results_csv, test::expected_rows(archive));
  CHECK(run.err().find("checksums: 2 files listed in " + base + "/_MD5SUM.txt")
        != std::string::npos);
  mirror.signal(SIGTERM);
  CHECK(mirror.wait(20s) == 0);
  CHECK(mirror.err().find("GET /_MD5SUM.txt 200") != std::string::npos);
}
