#include "cli/watch.hpp"

#include "actors/production.hpp"
#include "engine/log.hpp"
#include "engine/observe/production_json.hpp"
#include "settings/output_layout.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <exception>

namespace gaia::cli {

namespace {

/// The nodes of `prod` that receive requests: the metrics' node series.
std::vector<std::string> receiving_nodes(const engine::production& prod) {
  std::vector<std::string> nodes;
  for (const auto& e : prod.edges())
    if (std::find(nodes.begin(), nodes.end(), e.to) == nodes.end()) nodes.push_back(e.to);
  return nodes;
}

} // namespace

watch::watch()
  : live_(std::make_shared<engine::live_state>()),
    // Named now, not at the first production: the page may serve /metrics
    // before any config loads.
    metrics_(std::make_shared<web::metrics>(gaia_production(default_settings()).name())),
    retries_(std::make_shared<retry_counter>()) {
  metrics_->add_counter("download_retries_total",
                        "Download attempts that failed in a way worth retrying, by cause "
                        "(README, Downloads)",
                        "cause", [retries = retries_] { return retries->by_name(); });
}

watch::~watch() {
  if (page_) page_->stop();
}

void watch::attach(const settings& s, const engine::production& prod,
                   engine::spawn_options& opts) {
  metrics_->add_nodes(receiving_nodes(prod));
  live_->set_production(engine::production_json(prod, pool_sizes_of(s)));
  live_->set_settings(to_json(s));
  know_traces(s);
  live_->set_ready(true);
  opts.trace = std::make_shared<engine::trace_tee>(
    std::vector<std::shared_ptr<engine::trace_sink>>{opts.trace, live_, metrics_});

  const web::server_options want{s.web_bind, s.web_port};
  if (page_at_.port == 0) {
    start_page(want);
  } else if (want.bind != page_at_.bind || want.port != page_at_.port) {
    const std::string moved = want.bind + ":" + std::to_string(want.port);
    if (moved != moved_noted_)
      engine::log_line("web", "the config puts the page on " + moved + "; it stays on "
                                + page_at_.bind + ":" + std::to_string(page_at_.port)
                                + " until serve restarts");
    moved_noted_ = moved;
  } else if (!page_) {
    start_page(want); // it could not listen before: try again at each respawn
  }
}

void watch::know_traces(const settings& s) {
  live_->set_trace_dir(s.trace_keep_runs > 0 ? output_layout(s.output_dir).trace_dir : "");
}

void watch::attach_beside(const settings& s, const engine::production& prod,
                          engine::spawn_options& opts) {
  std::shared_ptr<web::metrics> own;
  {
    std::lock_guard<std::mutex> lock(beside_mu_);
    auto& m = beside_metrics_[prod.name()];
    if (!m) {
      m = std::make_shared<web::metrics>(prod.name());
      metrics_->include(m);
    }
    own = m;
  }
  own->add_nodes(receiving_nodes(prod));
  live_->add_production(engine::production_json(prod, pool_sizes_of(s)));
  opts.trace = std::make_shared<engine::trace_tee>(
    std::vector<std::shared_ptr<engine::trace_sink>>{opts.trace, live_, own});
}

void watch::start_page(const web::server_options& at) {
  page_at_ = at;
  if (at.port == 0) return;
  auto page = std::make_unique<web::server>(at, live_, metrics_);
  try {
    page->start();
    engine::log_line("web", "live page on " + page->url() + " (/metrics, /livez, /readyz)");
    page_ = std::move(page);
  } catch (const std::exception& e) {
    // Serving runs matters more than the page: say why, and try again at
    // the next respawn.
    engine::log_line("web", std::string("no live page: ") + e.what());
  }
}

config_report watch::readiness() const {
  std::weak_ptr<engine::live_state> live = live_;
  return [live](const std::string& error) {
    if (auto l = live.lock()) l->set_ready(error.empty(), error);
  };
}

void watch::config_failed(const std::string& error) { live_->set_ready(false, error); }

} // namespace gaia::cli
