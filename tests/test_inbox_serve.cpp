// The light-curve inbox inside a real `gaia-dr3 serve`: requests run in
// serve's actor system with its spawn options, so each shows on the page's
// run list (/api/runs, with its production) and live view, in /metrics
// (the light-curve production's own metric names, promtool-clean) and in
// `gaia-dr3 status`, beside the variability run; the inbox follows the
// config (a changed format is the next request's; a config that does not
// load pauses it, a fixed one resumes it).
#include "tests/proc_status.hpp"
#include "tests/web_util.hpp"

#include <algorithm>
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

#include <map>
#include <set>

using namespace gaia;
using namespace std::chrono_literals;
namespace fs = std::filesystem;
using json = nlohmann::json;

namespace {

/// The config file serve reads: the inbox's format in it (not in the
/// environment, which would override a change of the file).
void write_inbox_config(const fs::path& path, const std::string& format) {
  test::write_file(path.string() + ".new", "{\"lightcurves_format\": \"" + format + "\"}\n");
  fs::rename(path.string() + ".new", path);
}

/// A 3-file archive on a loopback mirror and the paths of a serve over it
/// whose config file names the inbox's format.
struct inbox_setup {
  test::temp_dir dir;
  test::mirror_archive m;
  fs::path config, out, inbox;
  inbox_setup(const char* name, const std::string& format)
    : dir(name), m(dir, 3), config(dir / "config.json"), out(dir / "out"),
      inbox(out / "lightcurves_inbox") {
    write_inbox_config(config, format);
  }
};

} // namespace

TEST_CASE("inbox in serve: a request shows in /api/runs, the live view, /metrics and status "
          "beside the variability run, and the inbox follows config changes") {
  test::temp_dir dir("gaia-inbox-serve");
  test::mirror_archive m(dir, 3);
  const auto config = dir / "config.json";
  write_inbox_config(config, "csv");
  const auto out = dir / "out";
  auto env = m.env(out);
  const int port = test::free_port();
  env["GAIA_WEB_PORT"] = std::to_string(port);
  const auto inbox = out / "lightcurves_inbox";
  const std::string id0 = std::to_string(m.archive.files[0].front().source_id);
  const std::string id2 = std::to_string(m.archive.files[2].back().source_id);
  auto drop = [&](const std::string& name, const std::string& text) {
    fs::create_directories(inbox);
    test::write_file(dir / name, text);
    fs::rename(dir / name, inbox / name); // whole, as users are told
  };

  fs::create_directories(dir / "serve");
  test::child_process serve({"serve", "--config", config.string()}, env, dir / "serve");
  REQUIRE(test::wait_for_file(out / "results.done", 120s));
  drop("first.txt", id0 + "\n" + id2 + "\n");
  REQUIRE(test::wait_for_file(inbox / "first.done", 120s));
  CHECK(test::zip_entry_names(inbox / "first.zip")
        == std::vector<std::string>{"EPOCH_PHOTOMETRY-Gaia DR3 " + id0 + ".csv",
                                    "EPOCH_PHOTOMETRY-Gaia DR3 " + id2 + ".csv",
                                    "not_found.txt"});

  // A changed config is the next request's.
  write_inbox_config(config, "ecsv");
  drop("second.txt", id2 + "\n");
  REQUIRE(test::wait_for_file(inbox / "second.done", 120s));
  CHECK(test::zip_entry_names(inbox / "second.zip")
        == std::vector<std::string>{"EPOCH_PHOTOMETRY-Gaia DR3 " + id2 + ".ecsv",
                                    "not_found.txt"});

  // The page's run list: the variability run and both requests, told apart
  // by their production, with ids of their own.
  auto runs = test::http_get(port, "/api/runs");
  REQUIRE(runs.status == 200);
  const auto rj = json::parse(runs.body);
  INFO(runs.body);
  std::map<std::string, int> ok_by_production;
  std::set<uint64_t> ids;
  for (const auto& r : rj) {
    ids.insert(r["run"].get<uint64_t>());
    if (r["outcome"] == "ok") ++ok_by_production[r["production"].get<std::string>()];
  }
  CHECK(ids.size() == rj.size());
  CHECK(ok_by_production["gaia-dr3"] == 1);
  CHECK(ok_by_production["gaia-dr3-lightcurves"] == 2);
  // The live view: the variability production is the main one, the light
  // curves' beside it with its last request and its per-node counts.
  const auto live = json::parse(test::http_get(port, "/api/live").body);
  CHECK(live["production"]["name"] == "gaia-dr3");
  REQUIRE(live["beside"].size() == 1);
  const auto& lc = live["beside"][0];
  CHECK(lc["production"]["name"] == "gaia-dr3-lightcurves");
  CHECK(lc["run"]["state"] == "ok");
  CHECK(lc["counts"]["lc_select"]["done"] == 1); // second.txt: one file holds id2
  CHECK(lc["runs"]["ok"] == 2);

  // The page as a person sees it (headless Chromium): each request in the
  // Runs list with its production; the light-curve production beside the
  // main one in the Live view.
  {
    const std::string url = "http://127.0.0.1:" + std::to_string(port) + "/";
    auto dom = test::browser_dom(url + "#runs", dir.path());
    INFO(dom.substr(0, 4000));
    for (const auto& r : rj) {
      const std::string row = "<tr class=\"run ok\" data-run=\"" + std::to_string(r["run"].get<uint64_t>())
                              + "\"><td>" + std::to_string(r["run"].get<uint64_t>())
                              + "</td><td class=\"production\">"
                              + r["production"].get<std::string>() + "</td>";
      CHECK(dom.find(row) != std::string::npos);
    }
    dom = test::browser_dom(url + "#live", dir.path());
    CHECK(dom.find("<tr class=\"beside-production\" data-production=\"gaia-dr3-lightcurves\">")
          != std::string::npos);
    CHECK(dom.find("run " + std::to_string(lc["run"]["id"].get<uint64_t>()) + " ok")
          != std::string::npos);
  }

  // /metrics: the light-curve production's own names, beside the
  // variability run's, unchanged by the requests.
  auto metrics = test::http_get(port, "/metrics");
  REQUIRE(metrics.status == 200);
  test::write_file(dir / "metrics.txt", metrics.body);
  auto lint = test::run_command("promtool check metrics < '" + (dir / "metrics.txt").string()
                                + "'");
  INFO(lint.output);
  CHECK(lint.code == 0);
  auto v = test::prometheus_samples(metrics.body);
  CHECK(v["gaia_dr3_runs_total{outcome=\"ok\"}"] == 1);
  CHECK(v["gaia_dr3_jobs_total{node=\"download\",outcome=\"done\"}"] == 3);
  CHECK(v["gaia_dr3_lightcurves_runs_total{outcome=\"ok\"}"] == 2);
  CHECK(v["gaia_dr3_lightcurves_runs_total{outcome=\"failed\"}"] == 0);
  CHECK(v["gaia_dr3_lightcurves_run_in_progress"] == 0);
  CHECK(v["gaia_dr3_lightcurves_jobs_total{node=\"lc_select\",outcome=\"done\"}"] == 3);
  // Each request's last assemble job, and before it at most one piece per
  // file but the last (a file's fragment appended as soon as it and the
  // files before it are in): 3 files over the 2 requests.
  const auto assembled = v["gaia_dr3_lightcurves_jobs_total{node=\"lc_assemble\",outcome=\"done\"}"];
  CHECK(assembled >= 2);
  CHECK(assembled <= 3);

  // status lists the answered requests, newest first.
  {
    fs::create_directories(dir / "status");
    test::child_process status({"status", "--config", config.string()}, env, dir / "status");
    CHECK(status.wait(60s) == 0);
    const auto text = status.out();
    INFO(text);
    const auto second = text.find("lightcurves: second done: ");
    const auto first = text.find("lightcurves: first done: ");
    CHECK(second != std::string::npos);
    CHECK(first != std::string::npos);
    CHECK(second < first);
  }

  // A config that does not load pauses the inbox; fixed, it resumes.
  test::write_file(config.string() + ".new", "{\"lightcurves_format\": \"xls\"}\n");
  fs::rename(config.string() + ".new", config);
  REQUIRE(test::wait_for_log(serve, "inbox paused: ", 60s));
  drop("third.txt", id0 + "\n");
  CHECK_FALSE(fs::exists(inbox / "third.done"));
  CHECK_FALSE(fs::exists(inbox / "third.err"));
  write_inbox_config(config, "csv");
  REQUIRE(test::wait_for_file(inbox / "third.done", 120s));
  CHECK(serve.err().find("the inbox resumes") != std::string::npos);
  CHECK(test::zip_entry_names(inbox / "third.zip")
        == std::vector<std::string>{"EPOCH_PHOTOMETRY-Gaia DR3 " + id0 + ".csv",
                                    "not_found.txt"});

  serve.signal(SIGTERM);
  CHECK(serve.wait(30s) == 0);
  // The variability run was not disturbed: still its one verdict.
  CHECK(fs::exists(out / "results.done"));
  CHECK_FALSE(fs::exists(out / "results.err"));
}

TEST_CASE("inbox in serve: request after request, serve's resident memory stays level (each "
          "request's threads must not leave their freed buffers in arenas of their own)") {
  inbox_setup f("gaia-inbox-memory", "votable");
  const std::string ids = std::to_string(f.m.archive.files[0].front().source_id) + "\n"
                          + std::to_string(f.m.archive.files[2].back().source_id) + "\n";
  fs::create_directories(f.dir / "serve");
  test::child_process serve({"serve", "--config", f.config.string()}, f.m.env(f.out),
                            f.dir / "serve");
  REQUIRE(test::wait_for_file(f.out / "results.done", 120s));
  fs::create_directories(f.inbox);
  // Answered and collected one at a time, as a user's script would.
  std::vector<long> rss;
  for (int i = 1; i <= 24; ++i) {
    const std::string name = "r" + std::to_string(i);
    test::write_file(f.dir / (name + ".txt"), ids);
    fs::rename(f.dir / (name + ".txt"), f.inbox / (name + ".txt"));
    INFO("request " << i << "; serve's log: " << serve.err().substr(0, 2000));
    REQUIRE(test::wait_for_file(f.inbox / (name + ".done"), 60s));
    // The inbox logs the answer once the request's actors have stopped and
    // their memory was given back: only then is the size the one to compare.
    REQUIRE(test::wait_for_log(serve, "lightcurves: " + name + ": ok: ", 60s));
    for (const char* ext : {".txt", ".zip", ".done"}) fs::remove(f.inbox / (name + ext));
    rss.push_back(test::vm_rss_kb(serve.pid()));
  }
  // Before the fix serve grew by about 10 MB a request (a fresh malloc arena
  // each time, kept at its high-water mark: 150 MB on 2 cores after 40
  // requests). With fastbins on, an arena's top of 8.9 MB stayed after about
  // one request in twelve, for several requests (engine/host/memory.cpp).
  // Now it moves by at most about 2 MB over these 20 (45 runs, 2 cores).
  const long first = rss[3], last = rss.back();
  const long highest = *std::max_element(rss.begin() + 3, rss.end());
  std::string series;
  for (long kb : rss) series += " " + std::to_string(kb);
  MESSAGE("serve VmRSS after request 4: " << first << " KiB, after 24: " << last
                                          << " KiB; after each request (KiB):" << series);
  CHECK(first > 0);
  CHECK(last - first < 6 * 1024);
  CHECK(highest - first < 6 * 1024); // no step held over requests either
  serve.signal(SIGTERM);
  CHECK(serve.wait(30s) == 0);
}

TEST_CASE("inbox in serve: killed (SIGKILL) mid-request, the next serve answers the request "
          "and removes the killed one's working files") {
  inbox_setup f("gaia-inbox-kill", "csv");
  const auto work = f.out / "lightcurves";
  auto env = f.m.env(f.out);
  env["GAIA_KEEP_DOWNLOADS"] = "false"; // the request fetches its file itself
  const std::string id2 = std::to_string(f.m.archive.files[2].back().source_id);
  fs::create_directories(f.dir / "serve1");
  auto serve = std::make_unique<test::child_process>(
    std::vector<std::string>{"serve", "--config", f.config.string()}, env, f.dir / "serve1");
  REQUIRE(test::wait_for_file(f.out / "results.done", 120s));
  // The request's file stalls half-way: it is certainly mid-request when
  // killed, its sorted ids and its spool in its working folder.
  mirror_fault stall;
  stall.what = mirror_fault::kind::stall_mid_body;
  stall.stall_ms = 60000;
  f.m.server->set_fault(f.m.file_name(2), stall);
  fs::create_directories(f.inbox);
  fs::create_directories(work); // watched below
  test::write_file(f.dir / "big.txt", id2 + "\n");
  fs::rename(f.dir / "big.txt", f.inbox / "big.txt");
  auto request_folders = [&] {
    std::vector<std::string> names;
    for (const auto& n : test::file_names(work))
      if (n.find(".lock") == std::string::npos) names.push_back(n);
    return names;
  };
  // Its folder first, then its sorted ids in it (the file it asks for
  // stalls after that: the request waits there).
  REQUIRE(test::wait_on_files({work}, [&] { return !request_folders().empty(); }, 60s));
  const auto killed = request_folders();
  REQUIRE(test::wait_for_file(work / killed.front() / "ids.bin", 60s));
  serve->signal(SIGKILL);
  CHECK(serve->wait(30s) == 128 + SIGKILL);
  CHECK(fs::exists(work / killed.front() / "ids.bin"));
  f.m.server->clear_faults();

  fs::create_directories(f.dir / "serve2");
  serve = std::make_unique<test::child_process>(
    std::vector<std::string>{"serve", "--config", f.config.string()}, env, f.dir / "serve2");
  INFO(serve->err());
  REQUIRE(test::wait_for_file(f.inbox / "big.done", 120s));
  CHECK(test::zip_entry_names(f.inbox / "big.zip")
        == std::vector<std::string>{"EPOCH_PHOTOMETRY-Gaia DR3 " + id2 + ".csv",
                                    "not_found.txt"});
  CHECK(test::wait_for_log(*serve, "removed the working files of 1 request(s) a killed process "
                                   "left in " + work.string(), 10s));
  // Neither the killed request's folder and lock nor the answered one's.
  CHECK(test::wait_on_files({work}, [&] { return test::file_names(work).empty(); }, 10s));
  serve->signal(SIGTERM);
  CHECK(serve->wait(30s) == 0);
}
