// serve and run: the commands that run the production (an actor system),
// and stop cleanly on SIGINT/SIGTERM.
#include "src/commands.hpp"

#include "src/cli_common.hpp"

#include "actors/production.hpp"
#include "core/log.hpp"
#include "core/settings.hpp"
#include "messages/messages.hpp"

#include <caf/all.hpp>

#include <chrono>
#include <cstdio>
#include <string>
#include <thread>

namespace gaia::cli {

int cmd_serve(int argc, char** argv) {
  common_args args;
  int exit_code = 0;
  auto s = start_command(
    "serve",
    "The unattended service. Every poll_interval_ms it looks at "
    "output_dir; when neither results.done nor results.err exists "
    "it re-reads the config, takes results.lock and runs the "
    "production. Delete a marker (or `gaia-dr3 trigger`) to run "
    "again. Stops cleanly on SIGTERM/SIGINT.",
    argc, argv, exit_code, args);
  if (!s)
    return exit_code;
  signal_waiter signals; // before the actor system: its threads inherit
  {
    caf::actor_system_config cfg;
    configure_actor_system(cfg);
    caf::actor_system sys{cfg};
    caf::scoped_actor self{sys};
    caf::actor me = self;
    // A signal becomes a message to the loop below.
    signals.start("shutting down",
                  [me] { caf::anon_send(me, shutdown_atom::value); });
    log_line("main", "serving; config " + args.config + ", output "
                       + s->output_dir);
    service_options opts;
    opts.listener = me;
    opts.config_path = args.config;
    bool stop = false;
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
            log_line("main", "the service stopped (" + caf::to_string(d.reason)
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
          log_line("main", std::string("config error: ") + e.what());
        }
      }
    }
    signals.stop();
  } // the actor system waits for every actor here
  log_line("main", "stopped");
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
    log_line("main", "run interrupted; results.lock released");
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
