// The page's server in this process, without a production: what each
// address answers before and after a run is known, readiness with its
// reason, the page's own files under a policy that lets nothing else in.
#include "engine/observe/live_state.hpp"
#include "engine/observe/trace_store.hpp"
#include "web/metrics.hpp"
#include "web/server.hpp"

#include "tests/web_util.hpp"

#include <doctest/doctest.h>

#include <nlohmann/json.hpp>

using json = nlohmann::json;
using kind = engine::trace_event::kind;

namespace {

/// The page's server in this process, and (trace()) a trace store the
/// live state knows of, fed with the live state and the metrics by one tee,
/// as serve wires them.
struct page_fixture {
  gaia::test::temp_dir dir;
  std::shared_ptr<engine::live_state> live = std::make_shared<engine::live_state>();
  std::shared_ptr<web::metrics> metrics = std::make_shared<web::metrics>("toy-app");
  web::server page{{"127.0.0.1", 0}, live, metrics};
  std::unique_ptr<engine::trace_store> store;
  std::unique_ptr<engine::trace_tee> tee;
  int port = 0;

  page_fixture() {
    page.start();
    port = page.port();
    REQUIRE(port > 0);
  }
  ~page_fixture() { page.stop(); }

  engine::trace_tee& trace() {
    const auto traces = (dir / "trace").string();
    live->set_trace_dir(traces);
    live->set_production(
      json{{"name", "toy"}, {"nodes", json::array()}, {"edges", json::array()}});
    store = std::make_unique<engine::trace_store>(traces, engine::trace_limits{});
    tee = std::make_unique<engine::trace_tee>(std::vector<std::shared_ptr<engine::trace_sink>>{
      std::shared_ptr<engine::trace_sink>(store.get(), [](auto*) {}), live, metrics});
    return *tee;
  }
};

/// A job's event as the pools trace it: request `id` from "process" to
/// "work" for `key`.
engine::trace_event work_event(kind what, uint64_t run, uint64_t id, const std::string& key) {
  engine::trace_event e;
  e.what = what;
  e.run_id = run;
  e.id = id;
  e.source = "process";
  e.target = "work";
  e.key = key;
  e.message = "work_request";
  return e;
}

/// A run's start or end (`outcome`, `error`) as the process traces it.
engine::trace_event run_event(kind what, uint64_t run, const std::string& outcome = "",
                              const std::string& error = "") {
  engine::trace_event e;
  e.what = what;
  e.run_id = run;
  e.outcome = outcome;
  e.error = error;
  return e;
}

} // namespace

TEST_CASE("web server: probes, the page's files, the API before and after a run") {
  page_fixture f;
  auto& live = f.live;
  const int port = f.port;
  CHECK(f.page.url() == "http://127.0.0.1:" + std::to_string(port) + "/");

  // Not ready until a production runs; the reason is given.
  live->set_ready(false, "config.json: import_pool_size: 0 is out of range");
  auto ready = gaia::test::http_get(port, "/readyz");
  CHECK(ready.status == 503);
  CHECK(ready.body.find("import_pool_size") != std::string::npos);
  CHECK(gaia::test::http_get(port, "/livez").status == 200);
  live->set_ready(true);
  CHECK(gaia::test::http_get(port, "/readyz").status == 200);

  // The page and its files, from the binary; nothing else.
  httplib::Client c("127.0.0.1", port);
  auto index = c.Get("/");
  REQUIRE(index);
  CHECK(index->status == 200);
  CHECK(index->body.find("<script src=\"app.js\"") != std::string::npos);
  CHECK(index->get_header_value("Content-Security-Policy").find("default-src 'self'")
        != std::string::npos);
  for (const char* f : {"/app.js", "/app.css", "/index.html"})
    CHECK(gaia::test::http_get(port, f).status == 200);
  CHECK(gaia::test::http_get(port, "/../etc/passwd").status == 404);
  CHECK(gaia::test::http_get(port, "/api/runs/1").status == 404);
  CHECK(json::parse(gaia::test::http_get(port, "/api/runs").body).empty());

  // A run, traced to a store the live state knows of.
  auto& tee = f.trace();
  tee.record(run_event(kind::run_started, 4));
  tee.record(work_event(kind::sent, 4, 1, "item-a"));
  auto l = json::parse(gaia::test::http_get(port, "/api/live").body);
  CHECK(l["run"]["state"] == "running");
  CHECK(l["counts"]["work"]["queued"] == 1);
  CHECK(l["timeline"][0]["key"] == "item-a");
  auto runs = json::parse(gaia::test::http_get(port, "/api/runs").body);
  REQUIRE(runs.size() == 1);
  CHECK(runs[0]["outcome"] == "running"); // not "unfinished": it is the live one
  CHECK(gaia::test::http_get(port, "/metrics").body.find("toy_app_queue_depth{node=\"work\"} 1")
        != std::string::npos);
  tee.record(run_event(kind::run_ended, 4, "failed", "work failed: item-a: broken"));
  auto run = json::parse(gaia::test::http_get(port, "/api/runs/4").body);
  CHECK(run["run"]["outcome"] == "failed");
  CHECK(run["messages"][0]["type"] == "work_request");
  CHECK(gaia::test::http_get(port, "/metrics").body.find("toy_app_runs_total{outcome=\"failed\"} 1")
        != std::string::npos);
}

TEST_CASE("web server: a running run's trace, asked for again and again as it grows (the "
          "page polls it), shows every message so far each time, then its end") {
  page_fixture f;
  const int port = f.port;
  auto& tee = f.trace();
  tee.record(run_event(kind::run_started, 7));
  for (uint64_t id = 1; id <= 30; ++id) {
    const auto e = work_event(kind::sent, 7, id, "item-" + std::to_string(id));
    tee.record(e);
    if (id % 3 != 0) continue;
    auto got = json::parse(gaia::test::http_get(port, "/api/runs/7?limit=100").body);
    INFO("after message " << id);
    CHECK(got["run"]["outcome"] == "running");
    REQUIRE(got["messages"].size() == id);
    CHECK(got["messages"][id - 1]["key"] == e.key);
    CHECK(got["messages"][id - 1]["status"] == "queued");
  }
  tee.record(run_event(kind::run_ended, 7, "ok"));
  auto done = json::parse(gaia::test::http_get(port, "/api/runs/7?limit=100").body);
  CHECK(done["run"]["outcome"] == "ok");
  CHECK(done["messages"].size() == 30);
}

TEST_CASE("web page: a long trace in headless Chromium, clicked as a person would: 'show more' "
          "adds the next page until every message is shown, 'failed only' shows the failed "
          "ones alone (or says none did), and unticked the first page again") {
  page_fixture f;
  const int port = f.port;
  auto& tee = f.trace();
  // Run 9: 1,200 jobs, each a request and its reply; every 100th failed.
  tee.record(run_event(kind::run_started, 9));
  engine::trace_event e;
  for (uint64_t job = 1; job <= 1200; ++job) {
    const uint64_t id = 2 * job - 1;
    const bool fails = job % 100 == 0;
    e = work_event(kind::sent, 9, id, "item-" + std::to_string(job));
    tee.record(e);
    e.what = kind::started;
    e.worker = "work#1";
    tee.record(e);
    e.what = fails ? kind::failed : kind::finished;
    e.reply_id = id + 1;
    e.message = fails ? "error" : "work_reply";
    e.error = fails ? e.key + ": broken" : "";
    tee.record(e);
  }
  tee.record(run_event(kind::run_ended, 9, "failed", "work failed: item-100: broken"));
  // Run 10: one job, and it worked.
  for (kind k : {kind::run_started, kind::sent, kind::finished, kind::run_ended}) {
    e = work_event(k, 10, k == kind::sent || k == kind::finished ? 1 : 0, "item-1");
    e.reply_id = k == kind::finished ? 2 : 0;
    if (k == kind::finished) e.message = "work_reply";
    e.outcome = "ok";
    tee.record(e);
  }
  // What the server says there is: the page must show exactly that.
  const auto all = json::parse(gaia::test::http_get(port, "/api/runs/9?limit=0&log_limit=0").body);
  const auto failed =
    json::parse(gaia::test::http_get(port, "/api/runs/9?limit=0&log_limit=0&failed=1").body);
  const uint64_t total = all["messages_total"].get<uint64_t>();
  const uint64_t failed_total = failed["messages_total"].get<uint64_t>();
  REQUIRE(total > 2000);
  REQUIRE(total < 3000);
  REQUIRE(failed_total >= 12);
  REQUIRE(failed_total < 1000);

  const std::string rows = "document.querySelectorAll('#trace .msg').length";
  const std::string more = "((document.querySelector('#trace-more button') || {}).textContent || '')";
  const std::string click_more = "document.querySelector('#trace-more button').click(), true";
  const std::string click_failed = "document.getElementById('trace-failed-only').click(), true";
  auto until = [](const std::string& js) {
    return json{{"until", js}, {"timeout_ms", 30000}};
  };
  const json steps = json::array({
    until(rows + " >= 1000 && " + more),                                   // 0
    json{{"eval", rows}},                                                  // 1
    json{{"eval", click_more}},                                            // 2
    until(rows + " >= 2000 && " + more),                                   // 3
    json{{"eval", click_more}},                                            // 4
    until(rows + " === " + std::to_string(total) + " && " + more + " === '' && " + rows),  // 5
    json{{"eval", click_failed}},                                          // 6
    until(rows + " < 1000 && " + rows),                                    // 7
    json{{"eval", "[...document.querySelectorAll('#trace .msg')].every(r => "
                  "r.classList.contains('failed'))"}},                     // 8
    json{{"eval", click_failed}},                                          // 9
    until(rows + " >= 1000 && " + rows),                                   // 10
    // "failed only" on a run where nothing failed says so.
    json{{"eval", click_failed}},                                          // 11
    json{{"eval", "location.hash = '#trace/10', true"}},                   // 12
    until("(document.querySelector('#trace .empty') || {}).textContent"), // 13
    json{{"eval", rows}},                                                  // 14
  });
  const auto out = gaia::test::browser_steps(
    "http://127.0.0.1:" + std::to_string(port) + "/#trace/9", steps.dump(), f.dir.path());
  INFO(out);
  const auto got = json::parse(out, nullptr, false);
  REQUIRE(got.is_array());
  REQUIRE(got.size() == steps.size());
  const std::string of = " more of " + std::to_string(total);
  CHECK(got[0] == "show 1000" + of);
  CHECK(got[1] == 1000);
  CHECK(got[3] == "show " + std::to_string(total - 2000) + of);
  CHECK(got[5] == total);
  CHECK(got[7] == failed_total);
  CHECK(got[8] == true);
  CHECK(got[10] == 1000);
  CHECK(got[13] == "No message of this run failed.");
  CHECK(got[14] == 0);
}
