// What the production commands (serve, run, check, status, trigger, graph)
// share: the --config option, the settings table in their --help, loading
// the settings with one error line.
#pragma once

#include "settings/settings.hpp"

#include <CLI/CLI.hpp>

#include <optional>
#include <string>

namespace gaia::cli {

/// The config file read when no --config is given.
inline constexpr const char* default_config = "config/production.json";

struct config_option {
  std::string path = default_config;

  /// Was --config given?
  bool given() const { return option_ != nullptr && option_->count() > 0; }

  /// Adds --config to `sub`, and the settings table to its help.
  void add_to(CLI::App* sub);

private:
  CLI::Option* option_ = nullptr;
};

/// Loads settings, or prints "gaia-dr3: config error: <one line naming the
/// key>" and returns nothing (exit code 2).
std::optional<settings> load_or_report(const config_option& c);

} // namespace gaia::cli
