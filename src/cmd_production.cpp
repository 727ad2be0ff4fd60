// serve, run, check and graph: the commands that drive the production.
#include "src/commands.hpp"

#include "actors/production.hpp"
#include "actors/topology.hpp"
#include "core/cancellation.hpp"
#include "core/file_range.hpp"
#include "core/log.hpp"
#include "core/settings.hpp"
#include "messages/messages.hpp"

#include <caf/all.hpp>
#include <nlohmann/json.hpp>

#include <atomic>
#include <csignal>
#include <cstdio>
#include <cstring>
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

} // namespace

int cmd_check(int argc, char** argv) {
  common_args args;
  if (auto err = parse_common(argc, argv, args))
    return usage_error("check", *err);
  if (args.help) {
    print_help("check", "Validates the config and prints the resolved "
                        "settings (after environment overrides) as JSON. "
                        "Touches nothing.");
    return 0;
  }
  auto s = load_or_report(args);
  if (!s)
    return 2;
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
  if (auto err = parse_common(argc, argv, args))
    return usage_error("serve", *err);
  if (args.help) {
    print_help("serve",
               "The unattended service. Every poll_interval_ms it looks at "
               "output_dir; when neither results.done nor results.err exists "
               "it takes results.lock and runs the production. Delete a "
               "marker to run again. Stops cleanly on SIGTERM/SIGINT.");
    return 0;
  }
  auto s = load_or_report(args);
  if (!s)
    return 2;
  sigset_t set = shutdown_signals();
  pthread_sigmask(SIG_BLOCK, &set, nullptr);
  {
    caf::actor_system_config cfg;
    configure_actor_system(cfg);
    caf::actor_system sys{cfg};
    auto prod = spawn_production(sys, *s, service_options{});
    log_line("main", "serving; config " + args.config + ", output "
                       + s->output_dir);
    int sig = 0;
    while (sigwait(&set, &sig) == 0 && sig == SIGUSR1) {
    }
    log_line("main", std::string("received ") + strsignal(sig)
                       + ", shutting down");
    cancel_all_runs();
    prod.shutdown();
  } // the actor system waits for every actor here
  log_line("main", "stopped");
  return 0;
}

int cmd_run(int argc, char** argv) {
  common_args args;
  if (auto err = parse_common(argc, argv, args))
    return usage_error("run", *err);
  if (args.help) {
    print_help("run", "One run now, whatever the markers say (unless another "
                      "run holds results.lock). Exit 0 with results.done, 1 "
                      "with results.err, 2 for a bad config, 130 when "
                      "interrupted by SIGINT/SIGTERM.");
    return 0;
  }
  auto s = load_or_report(args);
  if (!s)
    return 2;
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
