// serve, run, check and graph: the commands that drive the production.
#include "src/commands.hpp"

#include "actors/production.hpp"
#include "actors/topology.hpp"
#include "core/cancellation.hpp"
#include "core/file_range.hpp"
#include "core/atomic_file.hpp"
#include "core/log.hpp"
#include "core/output_layout.hpp"
#include "core/run_status.hpp"
#include "core/settings.hpp"
#include "messages/messages.hpp"

#include <caf/all.hpp>
#include <nlohmann/json.hpp>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <optional>
#include <pthread.h>
#include <string>
#include <thread>

namespace gaia::cli {

namespace {

constexpr const char* default_config = "config/production.json";

struct common_args {
  std::string config = default_config;
  bool config_given = false;
  bool help = false;
};

/// Parses --config FILE / --config=FILE / --help; anything else is an error
/// (returned as text).
std::optional<std::string> parse_common(int argc, char** argv,
                                        common_args& out) {
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    if (a == "--help" || a == "-h") {
      out.help = true;
    } else if (a == "--config" && i + 1 < argc) {
      out.config = argv[++i];
      out.config_given = true;
    } else if (a.rfind("--config=", 0) == 0) {
      out.config = a.substr(9);
      out.config_given = true;
    } else if (a == "--config") {
      return std::string("--config needs a file name");
    } else {
      return "unknown argument '" + a + "'";
    }
  }
  return std::nullopt;
}

void print_help(const char* cmd, const char* what) {
  std::printf("usage: gaia-dr3 %s [--config FILE]\n\n%s\n\n"
              "FILE defaults to %s. Settings (JSON key / environment "
              "override):\n",
              cmd, what, default_config);
  for (const auto& d : setting_docs())
    std::printf("  %-22s %-30s %s\n", d.key, d.env, d.meaning);
}

/// Loads settings or prints one line and returns nothing (exit code 2).
std::optional<settings> load_or_report(const common_args& args) {
  try {
    return load_settings(args.config, process_env());
  } catch (const config_error& e) {
    std::fprintf(stderr, "gaia-dr3: config error: %s\n", e.what());
    return std::nullopt;
  }
}

/// SIGINT/SIGTERM are blocked in every thread (CAF's included: they start
/// after this) and taken with sigwait, so shutdown runs as ordinary code.
sigset_t shutdown_signals() {
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGINT);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGUSR1); // internal: wakes the waiter when a run ends
  return set;
}

int usage_error(const char* cmd, const std::string& text) {
  std::fprintf(stderr, "gaia-dr3 %s: %s (see --help)\n", cmd, text.c_str());
  return 2;
}

/// What every command that reads the config starts with: arguments,
/// --help, settings. Without settings, `exit_code` says how to end: 0 after
/// --help, 2 for a usage or config error (already reported).
std::optional<settings> start_command(const char* cmd, const char* what,
                                      int argc, char** argv, int& exit_code,
                                      common_args& args) {
  exit_code = 0;
  if (auto err = parse_common(argc, argv, args)) {
    exit_code = usage_error(cmd, *err);
    return std::nullopt;
  }
  if (args.help) {
    print_help(cmd, what);
    return std::nullopt;
  }
  auto s = load_or_report(args);
  if (!s)
    exit_code = 2;
  return s;
}

} // namespace

int cmd_check(int argc, char** argv) {
  common_args args;
  int exit_code = 0;
  auto s = start_command(
    "check",
    "Validates the config and prints the resolved "
    "settings (after environment overrides) as JSON. "
    "Touches nothing.",
    argc, argv, exit_code, args);
  if (!s)
    return exit_code;
  auto j = to_json(*s);
  std::printf("%s\n", j.dump(2).c_str());
  auto ranges = ranges_from_boundaries(s->file_boundaries);
  std::fprintf(stderr, "gaia-dr3 check: %s is valid: %zu files, first %s\n",
               args.config.c_str(), ranges.size(),
               expand_url_template(s->archive_url_template, ranges[0].label())
                 .c_str());
  return 0;
}

int cmd_graph(int argc, char** argv) {
  common_args args;
  if (auto err = parse_common(argc, argv, args))
    return usage_error("graph", *err);
  if (args.help) {
    print_help("graph", "Prints the production as a Mermaid flowchart, "
                        "generated from the topology declaration that also "
                        "spawns the actors. With --config, pools show their "
                        "sizes.");
    return 0;
  }
  if (!args.config_given) {
    std::fputs(topology::to_mermaid().c_str(), stdout);
    return 0;
  }
  auto s = load_or_report(args);
  if (!s)
    return 2;
  std::fputs(topology::to_mermaid(&*s).c_str(), stdout);
  return 0;
}

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
  sigset_t set = shutdown_signals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  {
    caf::actor_system_config cfg;
    configure_actor_system(cfg);
    caf::actor_system sys{cfg};
    caf::scoped_actor self{sys};
    caf::actor me = self;
    // Signals become a message to this loop.
    std::thread waiter([&set, me] {
      int sig = 0;
      while (sigwait(&set, &sig) == 0 && sig == SIGUSR1) {
      }
      log_line("main", std::string("received ") + strsignal(sig)
                         + ", shutting down");
      cancel_all_runs();
      caf::anon_send(me, shutdown_atom::value);
    });
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
    waiter.join();
  } // the actor system waits for every actor here
  log_line("main", "stopped");
  return 0;
}

int cmd_status(int argc, char** argv) {
  common_args args;
  int exit_code = 0;
  auto s = start_command(
    "status",
    "Reports, from output_dir: whether a run is in progress (its "
    "step and progress), the last outcome, and whether a service "
    "is alive. Exit 0 when a service has sent a heartbeat in the "
    "last 2 minutes or a run is in progress, 1 otherwise (a Docker "
    "healthcheck).",
    argc, argv, exit_code, args);
  if (!s)
    return exit_code;
  output_layout layout(s->output_dir);
  std::string holder;
  bool running = run_in_progress(layout, &holder);
  auto progress = read_progress(layout);
  auto heartbeat = heartbeat_age(layout);
  auto first_line = [](const std::string& path) {
    std::ifstream in(path);
    std::string line;
    std::getline(in, line);
    return line;
  };
  if (running) {
    std::string where = "starting";
    if (progress) {
      where = progress->step;
      if (progress->step == "download+import")
        where += " (downloaded " + std::to_string(progress->downloaded) + "/"
                 + std::to_string(progress->files) + ", imported "
                 + std::to_string(progress->imported) + "/"
                 + std::to_string(progress->files) + ")";
      where += ", run " + std::to_string(progress->run_id) + " for "
               + std::to_string(std::time(nullptr) - progress->started_unix)
               + " s";
    }
    std::printf("running: %s (pid %s)\n", where.c_str(), holder.c_str());
  } else if (std::filesystem::exists(layout.done_marker)) {
    std::printf("idle: last run succeeded: %s\n",
                first_line(layout.done_marker).c_str());
  } else if (std::filesystem::exists(layout.err_marker)) {
    std::printf("idle: last run failed: %s\n",
                first_line(layout.err_marker).c_str());
  } else {
    std::printf("idle: no outcome yet; a service starts a run at its next "
                "poll\n");
  }
  bool alive = heartbeat && heartbeat->first <= 120;
  if (heartbeat)
    std::printf("service: pid %ld, heartbeat %lld s ago%s\n", heartbeat->second,
                static_cast<long long>(heartbeat->first),
                alive ? "" : " (stale: is the service running?)");
  else
    std::printf("service: no heartbeat in %s\n", layout.dir.c_str());
  return alive || running ? 0 : 1;
}

int cmd_trigger(int argc, char** argv) {
  common_args args;
  int exit_code = 0;
  auto s = start_command(
    "trigger",
    "Asks the service for a new run: removes results.done and "
    "results.err (never results.lock). While a run is in "
    "progress it changes nothing.",
    argc, argv, exit_code, args);
  if (!s)
    return exit_code;
  output_layout layout(s->output_dir);
  std::string holder;
  if (run_in_progress(layout, &holder)) {
    std::printf("a run is in progress (pid %s); nothing to trigger\n",
                holder.c_str());
    return 0;
  }
  try {
    remove_if_exists(layout.done_marker);
    remove_if_exists(layout.err_marker);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "gaia-dr3 trigger: %s\n", e.what());
    return 1;
  }
  std::printf("markers removed: the service starts a new run within one "
              "poll (%d ms)\n", s->poll_interval_ms);
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
  sigset_t set = shutdown_signals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  // A signal cancels the run's jobs; the process then ends the run without
  // a verdict and the lock is released. SIGUSR1 wakes the waiter when the
  // run ends on its own.
  std::atomic<bool> interrupted{false};
  std::thread waiter([&set, &interrupted] {
    int sig = 0;
    if (sigwait(&set, &sig) == 0 && sig != SIGUSR1) {
      interrupted = true;
      log_line("main", std::string("received ") + strsignal(sig)
                         + ", cancelling the run");
      cancel_all_runs();
    }
  });
  auto outcome = run_production_once(*s);
  pthread_kill(waiter.native_handle(), SIGUSR1);
  waiter.join();
  if (interrupted) {
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
