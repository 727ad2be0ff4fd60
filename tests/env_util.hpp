// Settings under test: a fixed environment instead of the process's, and
// the error text of a bad config.
#pragma once

#include "settings/settings.hpp"

#include <map>
#include <optional>
#include <string>

namespace gaia::test {

/// An environment holding exactly `vars`.
inline env_lookup env_of(std::map<std::string, std::string> vars) {
  return [vars](const char* name) -> std::optional<std::string> {
    auto i = vars.find(name);
    if (i == vars.end())
      return std::nullopt;
    return i->second;
  };
}

/// The config_error message parse_settings gives for `json` under `env`,
/// or "" when it is valid.
inline std::string error_of(const std::string& json,
                            const env_lookup& env = env_of({})) {
  try {
    parse_settings(json, "test.json", env);
  } catch (const config_error& e) {
    return e.what();
  }
  return "";
}

} // namespace gaia::test
