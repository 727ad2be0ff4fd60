// check and graph, the commands that only read the config, and what every
// production command shares (cli_common.hpp). serve and run are in
// cmd_serve_run.cpp, status and trigger in cmd_status.cpp.
#include "cli/commands.hpp"

#include "cli/cli_common.hpp"

#include "actors/topology.hpp"
#include "settings/cancellation.hpp"
#include "archive/file_range.hpp"
#include "engine/log.hpp"
#include "settings/settings.hpp"

#include <nlohmann/json.hpp>

#include <cstdio>
#include <cstring>
#include <pthread.h>
#include <optional>
#include <string>

namespace gaia::cli {

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

std::optional<settings> load_or_report(const common_args& args) {
  try {
    return load_settings(args.config, process_env());
  } catch (const config_error& e) {
    std::fprintf(stderr, "gaia-dr3: config error: %s\n", e.what());
    return std::nullopt;
  }
}

signal_waiter::signal_waiter() {
  sigemptyset(&set_);
  sigaddset(&set_, SIGINT);
  sigaddset(&set_, SIGTERM);
  sigaddset(&set_, SIGUSR1); // internal: stop() without a signal
  pthread_sigmask(SIG_BLOCK, &set_, nullptr);
}

void signal_waiter::start(std::string action, std::function<void()> on_signal) {
  thread_ = std::thread([this, action = std::move(action),
                         on_signal = std::move(on_signal)] {
    int sig = 0;
    if (sigwait(&set_, &sig) != 0 || sig == SIGUSR1)
      return;
    signalled_ = true;
    engine::log_line("main", std::string("received ") + strsignal(sig) + ", "
                       + action);
    cancel_all_runs();
    if (on_signal)
      on_signal();
  });
}

signal_waiter::~signal_waiter() { stop(); }

void signal_waiter::stop() {
  if (!thread_.joinable())
    return;
  pthread_kill(thread_.native_handle(), SIGUSR1);
  thread_.join();
}

int usage_error(const char* cmd, const std::string& text) {
  std::fprintf(stderr, "gaia-dr3 %s: %s (see --help)\n", cmd, text.c_str());
  return 2;
}

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

} // namespace gaia::cli
