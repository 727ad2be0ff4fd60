#include "settings/config_failure.hpp"

#include "core/defaults.hpp"
#include "engine/state/atomic_file.hpp"

#include <nlohmann/json.hpp>

#include <optional>

namespace gaia::cli {

namespace {

/// The config file as JSON, or a discarded value when it is not JSON.
nlohmann::json json_despite(const std::string& config_path) {
  const auto text = engine::read_whole_file(config_path).value_or("");
  // No exceptions: the file may be anything, that is why we are here.
  return nlohmann::json::parse(text, nullptr, false);
}

/// GAIA_SETTINGS as JSON, or a discarded value when unset or not JSON.
nlohmann::json env_json_despite(const env_lookup& env) {
  auto text = env(settings_env_var);
  if (!text) return nlohmann::json(nlohmann::json::value_t::discarded);
  return nlohmann::json::parse(*text, nullptr, false);
}

/// The settings with only `key` taken from the file, GAIA_SETTINGS and its
/// own variable, in load_settings' order, checked as load_settings checks
/// them; none when that value is wrong too.
std::optional<settings> one_key_despite(const nlohmann::json& doc, const std::string& origin,
                                        const std::string& key, const env_lookup& env) {
  auto only = nlohmann::json::object();
  if (doc.is_object() && doc.contains(key)) only[key] = doc[key];
  const auto over = env_json_despite(env);
  if (over.is_object() && over.contains(key)) only[key] = over[key];
  std::string var;
  for (const auto& d : setting_docs())
    if (key == d.key) var = d.env;
  const env_lookup just_var = [&](const char* name) -> std::optional<std::string> {
    return name == var ? env(name) : std::nullopt;
  };
  try {
    return parse_settings(only.dump(), origin, just_var);
  } catch (const config_error&) {
    return std::nullopt;
  }
}

} // namespace

web_address web_despite(const std::string& config_path, const env_lookup& env) {
  const auto doc = json_despite(config_path);
  web_address out;
  out.bind = default_settings().web_bind;
  if (auto s = one_key_despite(doc, config_path, "web_port", env)) out.port = s->web_port;
  if (auto s = one_key_despite(doc, config_path, "web_bind", env)) out.bind = s->web_bind;
  return out;
}

std::string output_dir_despite(const std::string& config_path,
                               const env_lookup& env) {
  if (auto dir = env("GAIA_OUTPUT_DIR"))
    return *dir;
  for (const auto& doc : {env_json_despite(env), json_despite(config_path)}) {
    if (!doc.is_object()) continue;
    auto it = doc.find("output_dir");
    if (it != doc.end() && it->is_string() && !it->get<std::string>().empty())
      return it->get<std::string>();
  }
  return defaults::output_dir;
}

std::string config_failure_text(const std::string& config_path,
                                const std::string& error) {
  return "config failed: " + config_path + "\n" + error + "\n";
}

bool is_config_failure(const std::string& err_marker_text) {
  return err_marker_text.rfind("config failed: ", 0) == 0;
}

} // namespace gaia::cli
