// serve and run: the commands that run the production (engine/runner), and
// stop cleanly on SIGINT/SIGTERM.
#include "cli/commands.hpp"

#include "cli/config_option.hpp"
#include "cli/watch.hpp"

#include "actors/cluster.hpp"
#include "actors/production.hpp"
#include "engine/state/atomic_file.hpp"
#include "engine/log.hpp"
#include "engine/runner.hpp"
#include "settings/config_failure.hpp"
#include "core/defaults.hpp"
#include "settings/output_layout.hpp"
#include "lightcurve_production/inbox.hpp"
#include "lightcurve_production/production.hpp"
#include "lightcurve_production/remote_select.hpp"

#include <caf/all.hpp>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <sys/resource.h>

namespace gaia::cli {

namespace {

/// serve's view of the config, asked for at the start and whenever the
/// service found it changed. A config that does not load does not end
/// serve: under a restart policy (Docker's) an exit would restart it in a
/// loop, and without one the service would be gone. It is logged once (the
/// error names the key), written to results.err where status and
/// RunChallenge.sh look, with a heartbeat (alive, though unhealthy); the
/// runner asks again every poll until it loads, and the service then runs
/// once results.err is deleted.
class config_loader {
public:
  config_loader(std::string path, watch& w, coordinator* cluster)
    : path_(std::move(path)), watch_(w), cluster_(cluster) {}

  std::optional<engine::serve_plan> operator()() {
    try {
      auto s = load_settings(path_, process_env());
      if (!reported_.empty())
        engine::log_line("main", path_ + " loads now");
      else if (!served_)
        engine::log_line("main", "serving; config " + path_ + ", output " + s.output_dir);
      reported_.clear();
      served_ = true;
      engine::serve_plan plan{
        gaia_production(s, path_, watch_.readiness(), watch_.retries()), spawn_options_of(s)};
      if (cluster_) cluster_->attach(plan.opts);
      watch_.attach(s, plan.prod, plan.opts);
      return plan;
    } catch (const config_error& e) {
      report(e.what());
      watch_.config_failed(e.what());
      return std::nullopt;
    }
  }

private:
  void report(const std::string& error) {
    output_layout layout(output_dir_despite(path_, process_env()));
    const bool changed = error != reported_;
    if (changed)
      engine::log_line("main", "config error: " + error
                                 + " (waiting for a valid config; results.err in "
                                 + layout.dir + ")");
    if (changed || !std::filesystem::exists(layout.err_marker)) {
      try {
        std::filesystem::create_directories(layout.dir);
        engine::write_file_atomic(layout.err_marker, config_failure_text(path_, error));
      } catch (const std::exception& w) {
        if (changed)
          engine::log_line("main", std::string("cannot write results.err: ") + w.what());
      }
    }
    reported_ = error;
    auto now = std::chrono::steady_clock::now();
    if (now - last_heartbeat_ >= std::chrono::seconds(10) && layout.state.write_heartbeat())
      last_heartbeat_ = now;
  }

  std::string path_;
  watch& watch_;
  coordinator* cluster_;
  std::string reported_;
  bool served_ = false;
  std::chrono::steady_clock::time_point last_heartbeat_{};
};

/// How serve answers a light-curve request: the light-curve production
/// spawned in serve's actor system with serve's spawn options, as the
/// variability production is: its trace in output_dir/trace, its events on
/// the live page and /metrics (beside the variability run's), the run ids
/// and the signals' cancellation of serve's run_control, and remote
/// workers through the cluster's attach.
lightcurve_runner lightcurve_runner_in(caf::actor_system& sys, watch& w, coordinator* cluster) {
  return [&sys, &w, cluster](const settings& s, const lightcurve_job& job,
                             std::shared_ptr<engine::run_control> runs) {
    auto prod = lightcurve_production(s, job, w.retries());
    auto opts = spawn_options_of(s);
    opts.runs = std::move(runs);
    // The hook for remote workers (`gaia-dr3 worker`): the pools this
    // production declares among the cluster's take them as the variability
    // production's do.
    if (cluster) cluster->attach(opts);
    w.attach_beside(s, prod, opts);
    return engine::run_once(sys, prod, opts);
  };
}

/// serve holds a socket per client of the page and per remote worker, a
/// file per download and import: the usual soft limit of 1024 open files
/// is met by a crowd of clients long before the hard limit. Raised to the
/// hard limit, once, and said.
void raise_open_file_limit() {
  rlimit lim{};
  if (::getrlimit(RLIMIT_NOFILE, &lim) != 0 || lim.rlim_cur >= lim.rlim_max) return;
  const rlim_t before = lim.rlim_cur;
  lim.rlim_cur = lim.rlim_max;
  if (::setrlimit(RLIMIT_NOFILE, &lim) == 0)
    engine::log_line("main", "open files: raised the limit from " + std::to_string(before)
                               + " to " + std::to_string(lim.rlim_cur));
}

int serve(const config_option& config) {
  raise_open_file_limit();
  engine::signal_waiter signals; // before the actor system: its threads inherit
  auto runs = std::make_shared<engine::run_control>();
  // The cluster section is read once, at the start: remote workers join
  // this process for as long as it serves (a changed section needs a
  // restart).
  std::optional<settings> first;
  try {
    first = load_settings(config.path, process_env());
  } catch (const config_error&) {
    // reported by the loader below
  }
  {
    caf::actor_system_config cfg;
    if (first) configure_actor_system(cfg, *first);
    else configure_actor_system(cfg);
    caf::actor_system sys{cfg};
    std::optional<coordinator> cluster;
    if (first && first->cluster.port != 0) {
      try {
        // Workers join the light curves' select pool too: light-curve
        // requests spawned with this coordinator's attach use them.
        auto adapters = remote_adapters();
        adapters.merge(lc_remote_adapters());
        cluster.emplace(sys, first->cluster, std::move(adapters));
      } catch (const std::exception& e) {
        engine::log_line("main", e.what());
        return 2;
      }
    }
    caf::scoped_actor self{sys};
    caf::actor me = self;
    // A signal cancels every run and becomes a message to the loop.
    signals.start("shutting down", runs,
                  [me] { caf::anon_send(me, engine::shutdown_atom::value); });
    watch w; // the live page (web_port), the metrics, the readiness
    // The kept runs are listed from the page's first answer, not only once
    // a production is attached.
    if (first) w.know_traces(*first);
    // The page first, whether the config loads or not: /livez, and /readyz
    // saying why not. Its address is fixed for the life of serve.
    if (first) {
      w.start_page({first->web_bind, first->web_port});
    } else {
      const auto at = web_despite(config.path, process_env());
      w.start_page({at.bind, at.port});
    }
    coordinator* remote = cluster ? &*cluster : nullptr;
    config_loader load(config.path, w, remote);
    // Light-curve requests dropped into the inbox, answered beside the
    // variability runs (a bad request stops neither), each with the config
    // as it is then: a config that does not load pauses the inbox.
    inbox_service inbox([path = config.path] { return load_settings(path, process_env()); },
                        lightcurve_runner_in(sys, w, remote), runs);
    engine::serve(sys, self, runs, std::ref(load),
                  std::chrono::milliseconds(defaults::poll_interval_ms));
    inbox.stop();
    signals.stop();
  } // the actor system waits for every actor here
  engine::log_line("main", "stopped");
  return 0;
}

int run(const config_option& config) {
  auto s = load_or_report(config);
  if (!s)
    return 2;
  // A signal cancels the run's jobs; the run then ends without a verdict
  // and the lock is released.
  engine::signal_waiter signals;
  auto runs = std::make_shared<engine::run_control>();
  signals.start("cancelling the run", runs, nullptr);
  engine::run_outcome outcome;
  try {
    outcome = run_production_once(*s, runs);
  } catch (const std::runtime_error& e) {
    signals.stop();
    std::fprintf(stderr, "gaia-dr3 run: %s\n", e.what());
    return 2;
  }
  signals.stop();
  if (signals.signalled()) {
    engine::log_line("main", "run interrupted; results.lock released");
    return 130;
  }
  if (!outcome.ok) {
    std::fprintf(stderr, "gaia-dr3 run: %s failed: %s: %s\n", outcome.step.c_str(),
                 outcome.subject.c_str(), outcome.error.c_str());
    return 1;
  }
  return 0;
}

} // namespace

void add_serve_run(CLI::App& app, command_list& out) {
  auto serve_config = std::make_shared<config_option>();
  auto* serve_cmd = app.add_subcommand(
    "serve",
    "The unattended service. Every poll_interval_ms it looks at output_dir; "
    "when neither results.done nor results.err exists it re-reads the config, "
    "takes results.lock and runs the production. Delete a marker (or "
    "`gaia-dr3 trigger`) to run again. A config that does not load is "
    "reported in results.err and waited out, never a reason to exit. Stops "
    "cleanly on SIGTERM/SIGINT. With web_port set it also serves the live page "
    "(graph, timeline, message traces, log, runs, settings), /metrics, /livez "
    "and /readyz on web_bind:web_port. Light-curve requests dropped into lightcurves_inbox "
    "(NAME.txt or NAME.csv of ids) are answered there: NAME.zip with NAME.done, or NAME.err.");
  serve_config->add_to(serve_cmd);
  out.push_back({serve_cmd, [serve_config] { return serve(*serve_config); }});

  auto run_config = std::make_shared<config_option>();
  auto* run_cmd = app.add_subcommand(
    "run",
    "One run now, whatever the markers say (unless another run holds "
    "results.lock). Exit 0 with results.done, 1 with results.err, 2 for a "
    "bad config, 130 when interrupted by SIGINT/SIGTERM.");
  run_config->add_to(run_cmd);
  out.push_back({run_cmd, [run_config] { return run(*run_config); }});
}

} // namespace gaia::cli
