// Config loading: defaults, file values, environment overrides, and one
// clear error naming the key for every kind of bad config.
#include "settings/settings.hpp"

#include "core/defaults.hpp"
#include "settings/config_failure.hpp"
#include "engine/state/atomic_file.hpp"

#include "tests/env_util.hpp"
#include "tests/test_util.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

using namespace gaia;

using test::env_of;
using test::error_of;

namespace {

const env_lookup no_env = env_of({});

} // namespace

TEST_CASE("settings: an empty object gives the documented defaults") {
  auto s = parse_settings("{}", "test.json", no_env);
  CHECK(s.archive_url_template == defaults::archive_url_template);
  CHECK(s.file_boundaries == defaults::file_boundaries);
  CHECK(s.file_boundaries.size() == 21);
  CHECK(s.output_dir == "output");
  CHECK(s.poll_interval_ms == 1000);
  CHECK(s.download_pool_size >= 1);
  CHECK(s.import_pool_size >= 1);
}

TEST_CASE("settings: the shipped config/production.json is valid") {
  auto s = load_settings(std::string(GAIA_SOURCE_DIR)
                           + "/config/production.json",
                         no_env);
  CHECK(s.file_boundaries == defaults::file_boundaries);
  CHECK(s.archive_url_template.find("cdn.gea.esac.esa.int")
        != std::string::npos);
}

TEST_CASE("settings: environment overrides win over the file") {
  auto env = env_of({{"GAIA_ARCHIVE_URL_TEMPLATE", "file:///m/E_%s.csv.gz"},
                     {"GAIA_FILE_BOUNDARIES", "0, 10,20"},
                     {"GAIA_OUTPUT_DIR", "/tmp/out"},
                     {"GAIA_POLL_INTERVAL_MS", "250"},
                     {"GAIA_DOWNLOAD_POOL", "3"},
                     {"GAIA_IMPORT_POOL", "5"},
                     {"GAIA_HTTP_TIMEOUT_SECONDS", "7"},
                     {"GAIA_REQUEST_TIMEOUT_SECONDS", "9"}});
  auto s = parse_settings(R"({"download_pool_size": 8, "output_dir": "x"})",
                          "test.json", env);
  CHECK(s.archive_url_template == "file:///m/E_%s.csv.gz");
  CHECK(s.file_boundaries == std::vector<int64_t>{0, 10, 20});
  CHECK(s.output_dir == "/tmp/out");
  CHECK(s.poll_interval_ms == 250);
  CHECK(s.download_pool_size == 3);
  CHECK(s.import_pool_size == 5);
  CHECK(s.http_timeout_s == 7);
  CHECK(s.request_timeout_s == 9);
}

TEST_CASE("settings: every bad config names the key and the problem") {
  auto unknown = error_of(R"({"download_pool": 2})");
  CHECK(unknown.find("unknown key 'download_pool'") != std::string::npos);

  auto type = error_of(R"({"import_pool_size": "2"})");
  CHECK(type.find("import_pool_size") != std::string::npos);
  CHECK(type.find("expected an integer") != std::string::npos);

  auto pool = error_of(R"({"download_pool_size": 0})");
  CHECK(pool.find("download_pool_size") != std::string::npos);
  CHECK(pool.find("out of range") != std::string::npos);

  auto tmpl = error_of(R"({"archive_url_template": "http://x/file.csv.gz"})");
  CHECK(tmpl.find("archive_url_template") != std::string::npos);
  CHECK(tmpl.find("%s") != std::string::npos);

  auto few = error_of(R"({"file_boundaries": [5]})");
  CHECK(few.find("file_boundaries") != std::string::npos);
  CHECK(few.find("at least two") != std::string::npos);

  auto order = error_of(R"({"file_boundaries": [0, 10, 10]})");
  CHECK(order.find("file_boundaries") != std::string::npos);
  CHECK(order.find("must increase") != std::string::npos);

  auto json = error_of(R"({"output_dir": )");
  CHECK(json.find("test.json: not valid JSON") != std::string::npos);

  auto top = error_of("[1, 2]");
  CHECK(top.find("JSON object") != std::string::npos);

  auto bool_bounds = error_of(R"({"file_boundaries": [0, true]})");
  CHECK(bool_bounds.find("file_boundaries") != std::string::npos);
}

TEST_CASE("settings: a bad environment override names the variable") {
  auto e1 = error_of("{}", env_of({{"GAIA_IMPORT_POOL", "two"}}));
  CHECK(e1.find("GAIA_IMPORT_POOL") != std::string::npos);
  auto e2 = error_of("{}", env_of({{"GAIA_DOWNLOAD_POOL", "0"}}));
  CHECK(e2.find("GAIA_DOWNLOAD_POOL") != std::string::npos);
  auto e3 = error_of("{}", env_of({{"GAIA_FILE_BOUNDARIES", "3,2"}}));
  CHECK(e3.find("file_boundaries") != std::string::npos);
  auto e4 = error_of("{}", env_of({{"GAIA_FILE_BOUNDARIES", "1,x"}}));
  CHECK(e4.find("GAIA_FILE_BOUNDARIES") != std::string::npos);
}

TEST_CASE("settings: a missing config file is named") {
  try {
    load_settings("/nonexistent/prod.json", no_env);
    FAIL("no error");
  } catch (const config_error& e) {
    CHECK(std::string(e.what()).find("/nonexistent/prod.json")
          != std::string::npos);
  }
}

TEST_CASE("settings: a config, a checkpoint or a kept list is read whole, byte for byte, and a "
          "missing one is told apart from an empty one") {
  test::temp_dir d("read-whole-file");
  // CRLF and a NUL byte come back as they are.
  const std::string bytes = "{\"a\": 1}\r\n" + std::string(1, '\0') + "tail";
  test::write_file(d / "c.json", bytes);
  test::write_file(d / "empty.json", "");
  CHECK(engine::read_whole_file((d / "c.json").string()) == bytes);
  CHECK(engine::read_whole_file((d / "empty.json").string()) == std::string());
  CHECK_FALSE(engine::read_whole_file((d / "none.json").string()).has_value());
}

TEST_CASE("settings: file_boundaries \"all\" takes the archive's own list, or "
          "the first N, or files A to B") {
  auto all = parse_settings(R"({"file_boundaries": "all"})", "c.json", no_env);
  CHECK(all.files.from_list);
  CHECK(all.files.first == 1);
  CHECK(all.files.last == 0);
  CHECK(all.file_boundaries.empty());
  auto first = parse_settings(R"({"file_boundaries": "all:20"})", "c.json", no_env);
  CHECK(first.files.first == 1);
  CHECK(first.files.last == 20);
  auto range = parse_settings("{}", "c.json", env_of({{"GAIA_FILE_BOUNDARIES", "all:100-199"}}));
  CHECK(range.files.first == 100);
  CHECK(range.files.last == 199);
  CHECK(to_json(range)["file_boundaries"] == "all:100-199");
  // A list given again replaces the selection.
  auto back = parse_settings(R"({"file_boundaries": "all"})", "c.json",
                             env_of({{"GAIA_FILE_BOUNDARIES", "0,10,20"}}));
  CHECK_FALSE(back.files.from_list);
  CHECK(back.file_boundaries == std::vector<int64_t>{0, 10, 20});
  for (const char* bad : {R"("everything")", R"("all:0")", R"("all:5-2")", R"("all:x")",
                          R"("all:3-")"}) {
    CAPTURE(bad);
    auto e = error_of(std::string(R"({"file_boundaries": )") + bad + "}");
    CHECK(e.find("file_boundaries") != std::string::npos);
    CHECK(e.find("\"all\", \"all:N\" or \"all:A-B\"") != std::string::npos);
  }
  // The list comes from _MD5SUM.txt: without one there is no list.
  auto none = error_of(R"({"file_boundaries": "all", "checksum_url": "none"})");
  CHECK(none.find("checksum_url is none") != std::string::npos);
}

TEST_CASE("settings: keep_downloads is a boolean, also from the environment") {
  CHECK(parse_settings("{}", "c.json", no_env).keep_downloads);
  CHECK_FALSE(parse_settings(R"({"keep_downloads": false})", "c.json", no_env).keep_downloads);
  CHECK_FALSE(
    parse_settings("{}", "c.json", env_of({{"GAIA_KEEP_DOWNLOADS", "false"}})).keep_downloads);
  CHECK(error_of(R"({"keep_downloads": "no"})").find("expected true or false")
        != std::string::npos);
  CHECK(error_of("{}", env_of({{"GAIA_KEEP_DOWNLOADS", "maybe"}})).find("GAIA_KEEP_DOWNLOADS")
        != std::string::npos);
}

TEST_CASE("settings: GAIA_SETTINGS overrides any key as the file writes it, under each key's "
          "own variable") {
  auto env = env_of({{"GAIA_SETTINGS", R"({"download_pool_size": 3, "output_dir": "/tmp/o",
                                          "cluster": {"port": 4243}})"},
                     {"GAIA_OUTPUT_DIR", "/tmp/own"}});
  auto s = parse_settings(R"({"download_pool_size": 8, "import_pool_size": 2,
                              "cluster": {"port": 4242, "listen": "127.0.0.1"}})",
                          "test.json", env);
  CHECK(s.download_pool_size == 3);   // over the file
  CHECK(s.import_pool_size == 2);     // the file's, untouched
  CHECK(s.cluster.port == 4243);      // a nested key
  CHECK(s.cluster.listen == "127.0.0.1");
  CHECK(s.output_dir == "/tmp/own");  // the key's own variable wins
}

TEST_CASE("settings: a bad GAIA_SETTINGS names the variable and the key") {
  auto not_json = error_of("{}", env_of({{"GAIA_SETTINGS", "{download_pool_size: 3"}}));
  CHECK(not_json.find("GAIA_SETTINGS: not valid JSON") != std::string::npos);
  auto not_object = error_of("{}", env_of({{"GAIA_SETTINGS", "[1, 2]"}}));
  CHECK(not_object.find("GAIA_SETTINGS: expected a JSON object") != std::string::npos);
  auto unknown = error_of("{}", env_of({{"GAIA_SETTINGS", R"({"download_pool": 3})"}}));
  CHECK(unknown.find("GAIA_SETTINGS: unknown key 'download_pool'") != std::string::npos);
  auto wrong = error_of("{}", env_of({{"GAIA_SETTINGS", R"({"download_pool_size": 0})"}}));
  CHECK(wrong.find("GAIA_SETTINGS") != std::string::npos);
  CHECK(wrong.find("download_pool_size") != std::string::npos);
}

TEST_CASE("settings: with a broken config, output_dir and the page's address come from "
          "GAIA_SETTINGS too") {
  gaia::test::temp_dir dir("settings-despite");
  const auto path = (dir.path() / "broken.json").string();
  gaia::test::write_file(path, R"({"output_dir": "/from/file", "web_port": 8095, "oops": 1})");
  auto over = env_of({{"GAIA_SETTINGS", R"({"output_dir": "/from/env", "web_port": 8096})"}});
  CHECK(cli::output_dir_despite(path, over) == "/from/env");
  CHECK(cli::web_despite(path, over).port == 8096);
  CHECK(cli::output_dir_despite(path, no_env) == "/from/file");
  CHECK(cli::web_despite(path, no_env).port == 8095);
  // The key's own variable still wins.
  auto own = env_of({{"GAIA_SETTINGS", R"({"web_port": 8096})"}, {"GAIA_WEB_PORT", "8097"}});
  CHECK(cli::web_despite(path, own).port == 8097);
}
