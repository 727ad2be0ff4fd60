// What the production commands (serve, run, check, status, trigger, graph)
// share: --config parsing, --help text, loading settings, shutdown signals.
// Defined in cmd_production.cpp.
#pragma once

#include "core/settings.hpp"

#include <csignal>
#include <optional>
#include <string>

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

/// SIGINT, SIGTERM and the internal SIGUSR1. They are blocked in every
/// thread (CAF's included: they start after this) and taken with sigwait,
/// so shutdown runs as ordinary code.
sigset_t shutdown_signals();

/// Prints "gaia-dr3 <cmd>: <text> (see --help)" and returns 2.
int usage_error(const char* cmd, const std::string& text);

/// What every command that reads the config starts with: arguments,
/// --help, settings. Without settings, `exit_code` says how to end: 0 after
/// --help, 2 for a usage or config error (already reported).
std::optional<settings> start_command(const char* cmd, const char* what,
                                      int argc, char** argv, int& exit_code,
                                      common_args& args);

} // namespace gaia::cli
