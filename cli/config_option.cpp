#include "cli/config_option.hpp"

#include <cstdio>

namespace gaia::cli {

namespace {

std::string settings_table() {
  std::string out = "Settings (JSON key, environment override, meaning):\n";
  char line[512];
  for (const auto& d : setting_docs()) {
    std::snprintf(line, sizeof line, "  %-22s %-32s %s\n", d.key, d.env, d.meaning);
    out += line;
  }
  return out;
}

} // namespace

void config_option::add_to(CLI::App* sub) {
  option_ = sub->add_option("--config", path, "the JSON config file")
              ->default_str(default_config)
              ->type_name("FILE");
  sub->footer(settings_table());
}

std::optional<settings> load_or_report(const config_option& c) {
  try {
    return load_settings(c.path, process_env());
  } catch (const config_error& e) {
    std::fprintf(stderr, "gaia-dr3: config error: %s\n", e.what());
    return std::nullopt;
  }
}

} // namespace gaia::cli
