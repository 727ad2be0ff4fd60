// What `serve` offers to watch the production with: the live state and
// metrics (fed by every run's trace events) and, with web_port set, the
// live page (web/server.hpp). They outlive the productions serve spawns
// and respawns after a config change.
#pragma once

#include "engine/observe/live_state.hpp"
#include "engine/production.hpp"
#include "engine/spawn.hpp"
#include "settings/settings.hpp"
#include "web/metrics.hpp"
#include "web/server.hpp"

#include <memory>
#include <string>

namespace gaia::cli {

class watch {
public:
  watch();
  ~watch();

  /// Before `prod` is spawned with `opts`: its events go to the live state
  /// and the metrics too (besides its trace file); the page shows its
  /// graph and settings, and is (re)started at web_port / web_bind when
  /// those are set and changed.
  void attach(const settings& s, const engine::production& prod, engine::spawn_options& opts);

  /// The config does not load: /readyz says so.
  void config_failed(const std::string& error);

private:
  std::shared_ptr<engine::live_state> live_;
  std::shared_ptr<web::metrics> metrics_;
  std::unique_ptr<web::server> page_;
  web::server_options page_at_;
};

} // namespace gaia::cli
