// serve and run: the commands that run the production (an actor system),
// and stop cleanly on SIGINT/SIGTERM.
#include "cli/commands.hpp"

#include "cli/cli_common.hpp"

#include "settings/config_failure.hpp"

#include "actors/production.hpp"
#include "engine/atomic_file.hpp"
#include "settings/defaults.hpp"
#include "engine/log.hpp"
#include "settings/output_layout.hpp"
#include "settings/run_status.hpp"
#include "settings/settings.hpp"
#include "messages/messages.hpp"

#include <caf/all.hpp>

#include <chrono>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <string>
#include <thread>

namespace gaia::cli {

namespace {

/// serve's first settings. A config that does not load does not end serve:
/// under a restart policy (Docker's) an exit would restart it in a loop, and
/// without one the service would be gone. It is logged once (the error names
/// the key), written to results.err where status and RunChallenge.sh look,
/// and the config is read again every poll until it loads; the service then
/// starts and, like after any failure, runs once results.err is deleted.
/// Empty when a signal came first.
std::optional<settings> await_valid_config(caf::scoped_actor& self,
                                           const std::string& config) {
  std::string reported;
  auto last_heartbeat = std::chrono::steady_clock::time_point{};
  for (;;) {
    try {
      auto s = load_settings(config, process_env());
      if (!reported.empty())
        engine::log_line("main", config + " loads now");
      return s;
    } catch (const config_error& e) {
      output_layout layout(output_dir_despite(config, process_env()));
      bool changed = e.what() != reported;
      if (changed)
        engine::log_line("main", std::string("config error: ") + e.what()
                           + " (waiting for a valid config; results.err in "
                           + layout.dir + ")");
      if (changed || !std::filesystem::exists(layout.err_marker)) {
        try {
          std::filesystem::create_directories(layout.dir);
          engine::write_file_atomic(layout.err_marker,
                            config_failure_text(config, e.what()));
        } catch (const std::exception& w) {
          if (changed)
            engine::log_line("main", std::string("cannot write results.err: ")
                               + w.what());
        }
      }
      reported = e.what();
      // Alive, though unhealthy: status tells a waiting service from a
      // dead one.
      auto now = std::chrono::steady_clock::now();
      if (now - last_heartbeat >= std::chrono::seconds(10)
          && write_heartbeat(layout))
        last_heartbeat = now;
    }
    bool stop = false;
    self->receive(
      [&](shutdown_atom) { stop = true; },
      caf::after(std::chrono::milliseconds(defaults::poll_interval_ms))
        >> [] {});
    if (stop)
      return std::nullopt;
  }
}

} // namespace

int cmd_serve(int argc, char** argv) {
  const char* what =
    "The unattended service. Every poll_interval_ms it looks at "
    "output_dir; when neither results.done nor results.err exists "
    "it re-reads the config, takes results.lock and runs the "
    "production. Delete a marker (or `gaia-dr3 trigger`) to run "
    "again. A config that does not load is reported in results.err "
    "and waited out, never a reason to exit. Stops cleanly on "
    "SIGTERM/SIGINT.";
  common_args args;
  if (auto err = parse_common(argc, argv, args))
    return usage_error("serve", *err);
  if (args.help) {
    print_help("serve", what);
    return 0;
  }
  signal_waiter signals; // before the actor system: its threads inherit
  {
    caf::actor_system_config cfg;
    configure_actor_system(cfg);
    caf::actor_system sys{cfg};
    caf::scoped_actor self{sys};
    caf::actor me = self;
    // A signal becomes a message to the loops below.
    signals.start("shutting down",
                  [me] { caf::anon_send(me, shutdown_atom::value); });
    auto s = await_valid_config(self, args.config);
    bool stop = !s;
    if (s)
      engine::log_line("main", "serving; config " + args.config + ", output "
                         + s->output_dir);
    service_options opts;
    opts.listener = me;
    opts.config_path = args.config;
    while (!stop) {
      auto prod = spawn_production(sys, *s, opts);
      auto service = prod.service();
      self->monitor(service);
      bool restart = false;
      while (!stop && !restart) {
        self->receive(
          [&](shutdown_atom) { stop = true; },
          [&](config_changed_atom) { restart = true; },
          [&](caf::down_msg& d) {
            if (d.source != service.address())
              return; // an earlier production's service
            engine::log_line("main", "the service stopped (" + caf::to_string(d.reason)
                               + "); restarting it in 1 s");
            std::this_thread::sleep_for(std::chrono::seconds(1));
            restart = true;
          });
      }
      self->demonitor(service);
      prod.shutdown();
      if (restart) {
        try {
          s = load_settings(args.config, process_env());
        } catch (const config_error& e) {
          // The service checked it a moment ago; keep the old settings.
          engine::log_line("main", std::string("config error: ") + e.what());
        }
      }
    }
    signals.stop();
  } // the actor system waits for every actor here
  engine::log_line("main", "stopped");
  return 0;
}

int cmd_run(int argc, char** argv) {
  common_args args;
  int exit_code = 0;
  auto s = start_command(
    "run",
    "One run now, whatever the markers say (unless another "
    "run holds results.lock). Exit 0 with results.done, 1 "
    "with results.err, 2 for a bad config, 130 when "
    "interrupted by SIGINT/SIGTERM.",
    argc, argv, exit_code, args);
  if (!s)
    return exit_code;
  // A signal cancels the run's jobs; the process then ends the run without
  // a verdict and the lock is released.
  signal_waiter signals;
  signals.start("cancelling the run", nullptr);
  auto outcome = run_production_once(*s);
  signals.stop();
  if (signals.signalled()) {
    engine::log_line("main", "run interrupted; results.lock released");
    return 130;
  }
  if (!outcome.ok) {
    std::fprintf(stderr, "gaia-dr3 run: %s failed: %s: %s\n",
                 outcome.step.c_str(), outcome.file.c_str(),
                 outcome.error.c_str());
    return 1;
  }
  return 0;
}

} // namespace gaia::cli
