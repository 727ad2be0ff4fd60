// The live page and /metrics of `gaia-dr3 serve` for real: the executable
// serving runs from the loopback mirror, /metrics checked by promtool and
// against the run, and the page loaded by headless Chromium while a run is
// held up (one download stalls) and after it, then after a failed run.
// The checks are what a person would see: the graph and its counts, the
// run's state, the failed run and its failing message in red.
//
// Screenshots go to $GAIA_SCREENSHOT_DIR when set (scripts/screenshots.sh:
// the README's pictures), else to the test's temporary directory.
#include "tests/web_util.hpp"

#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include <cstdlib>
#include <map>
#include <regex>
#include <sstream>

using namespace gaia;
using namespace std::chrono_literals;
namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

/// The number a count of the graph shows (-1: not on the page).
long shown_count(const std::string& dom, const std::string& node, const std::string& what) {
  std::smatch m;
  std::regex re("id=\"count-" + node + "-" + what + "\"[^>]*>(\\d+)<");
  return std::regex_search(dom, m, re) ? std::stol(m[1].str()) : -1;
}

json live(int port) {
  auto r = test::http_get(port, "/api/live");
  return r.status == 200 ? json::parse(r.body) : json();
}

std::string run_state(const json& l) {
  return l.is_object() && l["run"].is_object() ? l["run"]["state"].get<std::string>() : "";
}

uint64_t count(const json& l, const std::string& node, const std::string& what) {
  if (!l.is_object() || !l["counts"].contains(node)) return 0;
  return l["counts"][node][what].get<uint64_t>();
}

/// Where screenshots go: $GAIA_SCREENSHOT_DIR, else `fallback`.
fs::path screenshot_dir(const fs::path& fallback) {
  const char* d = std::getenv("GAIA_SCREENSHOT_DIR");
  fs::path out = d != nullptr && *d != '\0' ? fs::path(d) : fallback;
  fs::create_directories(out);
  return out;
}

} // namespace

TEST_CASE("web: /metrics passes promtool check metrics and its counters match the run, "
          "/livez and /readyz answer") {
  test::temp_dir dir("gaia-metrics");
  test::mirror_archive m(dir, 4);
  // One file is answered 503 once: one retry, counted by its cause.
  mirror_fault busy;
  busy.what = mirror_fault::kind::status;
  busy.status = 503;
  busy.times = 1;
  m.server->set_fault(m.file_name(2), busy);
  const auto config = test::empty_config(dir);
  auto env = m.env(dir / "out");
  const int port = test::free_port();
  env["GAIA_WEB_PORT"] = std::to_string(port);
  const double started = std::chrono::duration<double>(
    std::chrono::system_clock::now().time_since_epoch()).count();
  fs::create_directories(dir / "serve");
  test::child_process serve({"serve", "--config", config}, env, dir / "serve");
  REQUIRE(test::wait_for_file(dir / "out" / "results.done", 120s));
  // The run's end is traced (to the live view) before its verdict is written.
  REQUIRE(run_state(live(port)) == "ok");

  auto r = test::http_get(port, "/metrics");
  REQUIRE(r.status == 200);
  test::write_file(dir / "metrics.txt", r.body);
  auto lint = test::run_command("promtool check metrics < '" + (dir / "metrics.txt").string() + "'");
  INFO(lint.output);
  CHECK(lint.code == 0);

  auto v = test::prometheus_samples(r.body);
  INFO(r.body);
  CHECK(v["gaia_dr3_runs_total{outcome=\"ok\"}"] == 1);
  CHECK(v["gaia_dr3_runs_total{outcome=\"failed\"}"] == 0);
  CHECK(v["gaia_dr3_run_in_progress"] == 0);
  CHECK(v["gaia_dr3_run_duration_seconds_count"] == 1);
  CHECK(v["gaia_dr3_last_success_timestamp_seconds"] >= started);
  // Over HTTP each download imports its file as the bytes arrive: the
  // import pool (file:// sources) has nothing to do.
  for (const char* node : {"download", "import"}) {
    INFO(node);
    const double jobs = std::string(node) == "download" ? 4 : 0;
    CHECK(v["gaia_dr3_jobs_total{node=\"" + std::string(node) + "\",outcome=\"done\"}"] == jobs);
    CHECK(v["gaia_dr3_jobs_total{node=\"" + std::string(node) + "\",outcome=\"failed\"}"] == 0);
    CHECK(v["gaia_dr3_job_duration_seconds_count{node=\"" + std::string(node) + "\"}"] == jobs);
    CHECK(v["gaia_dr3_queue_depth{node=\"" + std::string(node) + "\"}"] == 0);
    CHECK(v["gaia_dr3_jobs_active{node=\"" + std::string(node) + "\"}"] == 0);
  }
  for (const char* node : {"prepare", "compute", "export", "process"})
    CHECK(v["gaia_dr3_jobs_total{node=\"" + std::string(node) + "\",outcome=\"done\"}"] == 1);
  // Bytes per step: the archive's files downloaded.
  CHECK(v["gaia_dr3_job_bytes_total{node=\"download\"}"] == static_cast<double>(m.total_bytes));
  CHECK(v["gaia_dr3_download_retries_total{cause=\"http_5xx\"}"] == 1);
  CHECK(v["gaia_dr3_download_retries_total{cause=\"timeout\"}"] == 0);

  auto livez = test::http_get(port, "/livez");
  CHECK(livez.status == 200);
  CHECK(livez.body == "ok\n");
  CHECK(test::http_get(port, "/readyz").status == 200);
  auto settings = json::parse(test::http_get(port, "/api/settings").body);
  CHECK(settings["web_port"] == port);
  CHECK(settings["web_bind"] == "127.0.0.1");
  CHECK(test::http_get(port, "/nothing-here").status == 404);
  serve.signal(SIGTERM);
  CHECK(serve.wait(30s) == 0);
  CHECK(serve.err().find("live page on http://127.0.0.1:" + std::to_string(port) + "/")
        != std::string::npos);
}

TEST_CASE("web page: headless Chromium during a run and after it shows the graph, counts "
          "reaching the file count, and a failed run highlighted") {
  test::temp_dir dir("gaia-page");
  const size_t files = 6;
  test::mirror_archive m(dir, files);
  // The first file stalls mid-body: the run is held while the browser looks.
  mirror_fault stall;
  stall.what = mirror_fault::kind::stall_mid_body;
  stall.times = 1;
  stall.cut_fraction = 0.3;
  stall.stall_ms = 90'000;
  m.server->set_fault(m.file_name(0), stall);
  const auto config = test::empty_config(dir);
  auto env = m.env(dir / "out");
  env["GAIA_STALL_TIMEOUT_SECONDS"] = "300";
  const int port = test::free_port();
  env["GAIA_WEB_PORT"] = std::to_string(port);
  fs::create_directories(dir / "serve");
  test::child_process serve({"serve", "--config", config}, env, dir / "serve");
  const std::string url = "http://127.0.0.1:" + std::to_string(port) + "/";
  const auto shots = screenshot_dir(dir / "screenshots");

  // While the run goes: every other file downloaded and imported (over
  // HTTP the download imports as the bytes arrive).
  REQUIRE(test::eventually([&] {
    auto l = live(port);
    return run_state(l) == "running" && count(l, "download", "done") == files - 1
           && count(l, "download", "active") == 1;
  }, 120s));
  {
    auto dom = test::browser_dom(url, dir.path());
    INFO(dom.substr(0, 3000));
    for (const char* node : {"service", "process", "prepare", "download", "import", "compute",
                             "export"})
      CHECK(dom.find("id=\"node-" + std::string(node) + "\"") != std::string::npos);
    CHECK(dom.find("<h1 id=\"title\">gaia-dr3</h1>") != std::string::npos);
    CHECK(dom.find("class=\"badge running\">run 1 running") != std::string::npos);
    CHECK(shown_count(dom, "download", "done") == static_cast<long>(files - 1));
    CHECK(shown_count(dom, "download", "active") == 1);
    CHECK(shown_count(dom, "compute", "done") == 0);
    CHECK(shown_count(dom, "process", "active") == 1);
    // One timeline row per file; the log shows the run's lines.
    size_t rows = 0;
    for (auto p = dom.find("class=\"timeline-row\""); p != std::string::npos;
         p = dom.find("class=\"timeline-row\"", p + 1))
      ++rows;
    CHECK(rows == files);
    CHECK(dom.find("starting run 1") != std::string::npos);
    CHECK(test::browser_screenshot(url, shots / "live-run.png", dir.path()));
  }

  // After it: the counts reach the file count.
  m.server->clear_faults();
  REQUIRE(test::wait_for_file(dir / "out" / "results.done", 120s));
  // The run's end is traced (to the live view) before its verdict is written.
  REQUIRE(run_state(live(port)) == "ok");
  {
    auto dom = test::browser_dom(url, dir.path());
    CHECK(dom.find("class=\"badge ok\">run 1 ok") != std::string::npos);
    CHECK(shown_count(dom, "download", "done") == static_cast<long>(files));
    CHECK(shown_count(dom, "download", "active") == 0);
    CHECK(shown_count(dom, "export", "done") == 1);
    CHECK(shown_count(dom, "download", "failed") == 0);
  }

  // A failed run: a file the mirror no longer has.
  mirror_fault gone;
  gone.what = mirror_fault::kind::not_found;
  m.server->set_fault(m.file_name(3), gone);
  fs::remove_all(dir / "out" / "downloads");
  fs::remove_all(dir / "out" / "aggregates");
  fs::remove(dir / "out" / "results.done");
  REQUIRE(test::wait_for_file(dir / "out" / "results.err", 120s));
  // The run's end is traced (to the live view) before its verdict is written.
  REQUIRE(run_state(live(port)) == "failed");
  const std::string not_found = m.file_name(3) + ": HTTP 404";
  {
    // The live view: the run failed, the download node is marked.
    auto dom = test::browser_dom(url, dir.path());
    CHECK(dom.find("class=\"badge failed\">run 2 failed") != std::string::npos);
    CHECK(dom.find("class=\"node has-failed\" id=\"node-download\"") != std::string::npos);
    CHECK(shown_count(dom, "download", "failed") == 1);
  }
  {
    // Its trace opens on the failing message, in red, with the error.
    auto dom = test::browser_dom(url + "#trace/2", dir.path());
    INFO(dom.substr(0, 4000));
    CHECK(dom.find("class=\"headline failed\"") != std::string::npos);
    CHECK(dom.find("class=\"msg request failed selected\"") != std::string::npos);
    CHECK(dom.find("class=\"msg reply failed") != std::string::npos);
    auto detail = dom.find("id=\"trace-detail\" class=\"detail failed\"");
    REQUIRE(detail != std::string::npos);
    auto detail_end = dom.find("</aside>", detail);
    const auto panel = dom.substr(detail, detail_end - detail);
    CHECK(panel.find("download_request") != std::string::npos);
    CHECK(panel.find(not_found) != std::string::npos);
    CHECK(panel.find("class=\"error\"") != std::string::npos);
    CHECK(test::browser_screenshot(url + "#trace/2", shots / "failed-trace.png", dir.path()));
  }
  {
    // The history: run 2 failed, run 1 ok.
    auto dom = test::browser_dom(url + "#runs", dir.path());
    CHECK(dom.find("<tr class=\"run failed\" data-run=\"2\">") != std::string::npos);
    CHECK(dom.find("<tr class=\"run ok\" data-run=\"1\">") != std::string::npos);
    CHECK(dom.find(not_found) != std::string::npos);
  }
  serve.signal(SIGTERM);
  CHECK(serve.wait(30s) == 0);
}
