#include "web/server.hpp"

#include "engine/host/memory.hpp"
#include "engine/observe/trace_json.hpp"
#include "engine/observe/trace_store.hpp"
#include "web/guarded_server.hpp"

#include <httplib.h>
#include <nlohmann/json.hpp>

#include <algorithm>
#include <charconv>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <type_traits>

namespace web {

namespace {

using json = nlohmann::json;

/// The page's own files only; no inline script or style, nothing from
/// elsewhere.
constexpr const char* content_policy =
  "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
  "connect-src 'self'; frame-ancestors 'none'";

void send_json(httplib::Response& res, const json& j) {
  res.set_header("Cache-Control", "no-store");
  res.set_content(j.dump(-1, ' ', false, json::error_handler_t::replace), "application/json");
}

/// The kept runs; those the live view says are running (of any
/// production) are "running", not "unfinished".
json runs_json(const engine::live_state& live) {
  json out = json::array();
  const auto dir = live.trace_dir();
  if (dir.empty()) return out;
  const auto running = live.running_runs();
  for (const auto& r : engine::trace_store::list_runs(dir)) {
    auto j = engine::to_json(r);
    if (r.outcome == "unfinished"
        && std::find(running.begin(), running.end(), r.run_id) != running.end())
      j["outcome"] = "running";
    out.push_back(std::move(j));
  }
  return out;
}

/// The readers of the running runs last asked for, by run: the page polls
/// a running run's trace every 1.5 s, and indexing a whole-archive run's
/// trace (a few MB) each time would take the run's CPU; kept, each poll
/// reads only the lines appended since. Used under trace_page's lock.
std::map<uint64_t, std::unique_ptr<engine::trace_reader>>& polled_readers() {
  static std::map<uint64_t, std::unique_ptr<engine::trace_reader>> readers;
  return readers;
}

/// A page of run `run`'s trace into `res`, or 404.
void trace_page(const engine::live_state& live, uint64_t run, const engine::trace_page_query& q,
                httplib::Response& res) {
  const auto dir = live.trace_dir();
  const auto going = live.running_runs();
  auto& kept = polled_readers();
  for (auto i = kept.begin(); i != kept.end();) // runs that ended are not polled
    i = std::find(going.begin(), going.end(), i->first) == going.end() ? kept.erase(i) : ++i;
  std::unique_ptr<engine::trace_reader> earlier;
  if (auto i = kept.find(run); i != kept.end()) {
    earlier = std::move(i->second);
    kept.erase(i);
  }
  std::string why;
  auto t = dir.empty() ? nullptr
                       : engine::trace_store::reopen_reader(dir, run, std::move(earlier), &why);
  if (!t) {
    res.status = 404;
    send_json(res, json{{"error", "no trace of run " + std::to_string(run)
                                    + (why.empty() ? "" : ": cannot read " + why)}});
    return;
  }
  const bool running = t->run().outcome == "unfinished"
                       && std::find(going.begin(), going.end(), t->run().run_id) != going.end();
  res.set_header("Cache-Control", "no-store");
  res.set_content(engine::trace_page_json(*t, q, running ? "running" : ""), "application/json");
  if (running) kept[run] = std::move(t);
}

/// The paging parameters of /api/runs/N (engine::trace_page_query); false
/// and `bad` naming the parameter when one is not a number.
bool page_query(const httplib::Request& req, engine::trace_page_query& q, std::string& bad) {
  auto number = [&](const char* name, auto& to) {
    if (!req.has_param(name)) return true;
    const std::string v = req.get_param_value(name);
    uint64_t n = 0;
    const auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), n);
    if (ec != std::errc() || end != v.data() + v.size() || v.empty()) {
      bad = std::string(name) + ": \"" + v + "\" is not a whole number";
      return false;
    }
    to = static_cast<std::remove_reference_t<decltype(to)>>(
      std::min<uint64_t>(n, std::numeric_limits<size_t>::max()));
    return true;
  };
  size_t log_offset = 0;
  uint64_t failed = 0;
  if (!number("offset", q.offset) || !number("limit", q.limit) || !number("failed", failed)
      || !number("log_offset", log_offset) || !number("log_limit", q.log_limit)
      || !number("select", q.select))
    return false;
  q.failed_only = failed != 0;
  if (req.has_param("log_offset")) q.log_offset = log_offset;
  return true;
}

} // namespace

server::server(server_options opts, std::shared_ptr<engine::live_state> live,
               std::shared_ptr<metrics> m)
  : opts_(std::move(opts)), live_(std::move(live)), metrics_(std::move(m)),
    http_(std::make_unique<guarded_server>()) {}

server::~server() { stop(); }

std::string server::url() const {
  const bool v6 = opts_.bind.find(':') != std::string::npos;
  return "http://" + (v6 ? "[" + opts_.bind + "]" : opts_.bind) + ":" + std::to_string(port_)
         + "/";
}

void server::routes() {
  auto& h = *http_;
  // Threads, timeouts and size limits are guarded_server's (http_limits).
  h.set_default_headers({{"X-Content-Type-Options", "nosniff"},
                         {"Content-Security-Policy", content_policy},
                         {"Referrer-Policy", "no-referrer"}});

  auto live = live_;
  auto met = metrics_;
  h.Get("/api/live", [live](const httplib::Request& req, httplib::Response& res) {
    uint64_t after = 0;
    if (req.has_param("log_after")) {
      try {
        after = std::stoull(req.get_param_value("log_after"));
      } catch (const std::exception&) {
        after = 0;
      }
    }
    auto j = live->snapshot(after);
    j["trace_dir"] = live->trace_dir();
    send_json(res, j);
  });
  h.Get("/api/runs", [live](const httplib::Request&, httplib::Response& res) {
    send_json(res, runs_json(*live));
  });
  h.Get(R"(/api/runs/(\d{1,19}))", [live](const httplib::Request& req, httplib::Response& res) {
    engine::trace_page_query q;
    std::string bad;
    if (!page_query(req, q, bad)) {
      res.status = 400;
      send_json(res, json{{"error", bad}});
      return;
    }
    // One trace read at a time: each indexes a whole file (tens of MB for
    // a large one), a running run's only its new lines; the pages
    // themselves are bounded.
    static std::mutex one_at_a_time;
    std::lock_guard<std::mutex> lock(one_at_a_time);
    trace_page(*live, std::stoull(req.matches[1].str()), q, res);
    // The index is freed in this thread's malloc arena, which would keep
    // it: each server thread would hold one trace index for good.
    engine::release_free_memory();
  });
  h.Get("/api/settings", [live](const httplib::Request&, httplib::Response& res) {
    send_json(res, live->settings());
  });
  h.Get("/metrics", [met](const httplib::Request&, httplib::Response& res) {
    res.set_header("Cache-Control", "no-store");
    res.set_content(met->text(), "text/plain; version=0.0.4; charset=utf-8");
  });
  h.Get("/livez", [](const httplib::Request&, httplib::Response& res) {
    res.set_content("ok\n", "text/plain");
  });
  h.Get("/readyz", [live](const httplib::Request&, httplib::Response& res) {
    std::string why;
    if (live->ready(&why)) {
      res.set_content("ready\n", "text/plain");
    } else {
      res.status = 503;
      res.set_content("not ready: " + (why.empty() ? std::string("starting") : why) + "\n",
                      "text/plain");
    }
  });
  h.Get(R"(/[a-z0-9_.\-]*)", [](const httplib::Request& req, httplib::Response& res) {
    const asset* a = find_asset(req.path);
    if (a == nullptr) {
      res.status = 404;
      res.set_content("not found\n", "text/plain");
      return;
    }
    res.set_header("Cache-Control", "no-cache");
    res.set_content(a->body, a->size, a->content_type);
  });
}

void server::start() {
  routes();
  port_ = opts_.port == 0 ? http_->bind_to_any_port(opts_.bind)
                          : (http_->bind_to_port(opts_.bind, opts_.port) ? opts_.port : -1);
  if (port_ <= 0)
    throw std::runtime_error("cannot listen on " + opts_.bind + ":" + std::to_string(opts_.port)
                             + " (address in use, or not this machine's?)");
  if (!http_->raise_backlog())
    throw std::runtime_error("cannot listen on " + opts_.bind + ":" + std::to_string(port_)
                             + " with a backlog of 1024");
  thread_ = std::thread([this] { http_->listen_after_bind(); });
}

void server::stop() {
  if (!thread_.joinable()) return;
  http_->stop_all();
  thread_.join();
}

} // namespace web
