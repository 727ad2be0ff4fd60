// The live page of a production and its probes, served over HTTP
// (cpp-httplib) by the process that runs it. Every asset is served from
// the binary itself: no CDN, nothing fetched from elsewhere.
//
//   /                 the page (web/assets: index.html, app.js, app.css)
//   /api/live         engine::live_state::snapshot (?log_after=N)
//   /api/runs         the kept runs (engine::trace_store::list_runs)
//   /api/runs/N       a page of run N's trace (engine::trace_page_json):
//                     ?offset=&limit=&failed=1 messages, ?log_offset=
//                     &log_limit= log lines (default the last 1000),
//                     ?select=ID the message to detail
//   /api/settings     the resolved settings
//   /metrics          Prometheus text format (web/metrics.hpp)
//   /livez            200 while the process serves
//   /readyz           200 while a production runs, 503 (and why) otherwise
//
// Slow, idle or oversized requests cannot starve it or fill its memory
// (web/guarded_server.hpp). It binds 127.0.0.1 unless told otherwise, and
// has no authentication: it
// shows paths and URLs of the machine, so expose it only to those who may
// see them.
#pragma once

#include "engine/observe/live_state.hpp"
#include "web/metrics.hpp"

#include <memory>
#include <string>
#include <thread>

namespace web {

class guarded_server;

struct server_options {
  std::string bind = "127.0.0.1";
  int port = 0; ///< 0: any free port
};

class server {
public:
  server(server_options opts, std::shared_ptr<engine::live_state> live,
         std::shared_ptr<metrics> metrics);
  ~server(); ///< stop()
  server(const server&) = delete;
  server& operator=(const server&) = delete;

  /// Binds and serves on a thread of its own. Throws std::runtime_error
  /// naming the address when it cannot bind.
  void start();
  /// Stops serving and joins the thread; idempotent.
  void stop();
  /// The bound port (after start()).
  int port() const { return port_; }
  /// "http://127.0.0.1:8090/".
  std::string url() const;

private:
  void routes();

  server_options opts_;
  std::shared_ptr<engine::live_state> live_;
  std::shared_ptr<metrics> metrics_;
  std::unique_ptr<guarded_server> http_; ///< httplib behind a gate (web/guarded_server.hpp)
  std::thread thread_;
  int port_ = 0;
};

/// One file of the page, built into the binary (web/embed_assets.cmake).
struct asset {
  const char* content_type;
  const char* body;
  size_t size;
};
/// The asset served at `path` ("/app.js"; "/" is index.html), or nullptr.
const asset* find_asset(const std::string& path);

} // namespace web
