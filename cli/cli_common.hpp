// What the production commands (serve, run, check, status, trigger, graph)
// share: --config parsing, --help text, loading settings, shutdown signals.
// Defined in cmd_production.cpp.
#pragma once

#include "settings/settings.hpp"

#include <atomic>
#include <csignal>
#include <functional>
#include <optional>
#include <string>
#include <thread>

namespace gaia::cli {

/// The config file read when no --config is given.
inline constexpr const char* default_config = "config/production.json";

/// The arguments every production command takes.
struct common_args {
  std::string config = default_config;
  bool config_given = false;
  bool help = false;
};

/// Parses --config FILE / --config=FILE / --help; anything else is an error
/// (returned as text).
std::optional<std::string> parse_common(int argc, char** argv,
                                        common_args& out);

/// Prints `cmd`'s usage, `what` it does and the table of settings.
void print_help(const char* cmd, const char* what);

/// Loads settings or prints one line and returns nothing (exit code 2).
std::optional<settings> load_or_report(const common_args& args);

/// Turns SIGINT/SIGTERM into ordinary code: the constructor blocks them in
/// every thread (CAF's included, so construct it before the actor system);
/// after start(), a thread of its own waits for one with sigwait, logs it,
/// cancels all runs and calls `on_signal`. stop() ends the wait when no
/// signal came.
class signal_waiter {
public:
  signal_waiter();
  ~signal_waiter(); ///< stop()
  /// `action` ends the log line "received <signal>, <action>".
  void start(std::string action, std::function<void()> on_signal);
  signal_waiter(const signal_waiter&) = delete;
  signal_waiter& operator=(const signal_waiter&) = delete;

  /// Wakes the thread without a signal (internal SIGUSR1) and joins it.
  void stop();
  /// True when a signal arrived.
  bool signalled() const { return signalled_; }

private:
  sigset_t set_;
  std::atomic<bool> signalled_{false};
  std::thread thread_;
};

/// Prints "gaia-dr3 <cmd>: <text> (see --help)" and returns 2.
int usage_error(const char* cmd, const std::string& text);

/// What every command that reads the config starts with: arguments,
/// --help, settings. Without settings, `exit_code` says how to end: 0 after
/// --help, 2 for a usage or config error (already reported).
std::optional<settings> start_command(const char* cmd, const char* what,
                                      int argc, char** argv, int& exit_code,
                                      common_args& args);

} // namespace gaia::cli
