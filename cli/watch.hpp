// What `serve` offers to watch the production with: the live state and
// metrics (fed by every run's trace events, and the download retries the
// productions count), readiness (whether the config loads) and, with
// web_port set, the live page (web/server.hpp). They outlive the
// productions serve spawns and respawns after a config change.
#pragma once

#include "actors/production.hpp"
#include "download/retry.hpp"
#include "engine/observe/live_state.hpp"
#include "engine/production.hpp"
#include "engine/spawn.hpp"
#include "settings/settings.hpp"
#include "web/metrics.hpp"
#include "web/server.hpp"

#include <map>
#include <memory>
#include <mutex>
#include <string>

namespace gaia::cli {

class watch {
public:
  watch();
  ~watch();

  /// The page on `at` (nothing when its port is 0), before any config
  /// loads: /livez and /readyz answer even while none does. Its address
  /// then stays for as long as serve runs (a later config naming another
  /// is logged, not followed); when `at` has no port, the first config
  /// that loads and has a web_port sets it.
  void start_page(const web::server_options& at);

  /// Before `prod` is spawned with `opts`: its events go to the live state
  /// and the metrics too (besides its trace file); the page shows its
  /// graph and settings; ready.
  void attach(const settings& s, const engine::production& prod, engine::spawn_options& opts);

  /// Before `prod`, another production than the main one (serve's light-
  /// curve requests), is spawned with `opts`: its events go to the live
  /// state, shown beside the main production's, and to metrics of its own
  /// (named by its production: other names on the same /metrics).
  void attach_beside(const settings& s, const engine::production& prod,
                     engine::spawn_options& opts);

  /// Where the runs' traces are (`s`'s output_dir), for the page's run
  /// list from its first answer, before any production is attached.
  void know_traces(const settings& s);

  /// The config does not load: /readyz says so.
  void config_failed(const std::string& error);

  /// For the production's config watch: "" (the config loads: ready) or
  /// the error (/readyz 503 naming the key). Safe to call from any thread,
  /// and after this object is gone.
  config_report readiness() const;

  /// Where the productions count their download retries by cause, for
  /// /metrics: one tally for as long as serve runs, across respawns.
  std::shared_ptr<retry_counter> retries() const { return retries_; }

private:
  std::shared_ptr<engine::live_state> live_;
  std::shared_ptr<web::metrics> metrics_;
  std::mutex beside_mu_; ///< attach_beside runs on the inbox's thread
  std::map<std::string, std::shared_ptr<web::metrics>> beside_metrics_; ///< by production
  std::shared_ptr<retry_counter> retries_;
  std::unique_ptr<web::server> page_;
  web::server_options page_at_; ///< port 0: no page yet
  std::string moved_noted_;     ///< a config's other address, logged once
};

} // namespace gaia::cli
