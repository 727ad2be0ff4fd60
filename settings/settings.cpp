// Loading the settings by walking the declared groups (settings/groups.cpp
// and those components register): defaults, the JSON file, the
// environment, the checks, `check`'s JSON and the docs. No key is named
// here.
#include "settings/settings.hpp"

#include "settings/declaration.hpp"

#include "engine/state/atomic_file.hpp"

#include <cstdlib>

#include <nlohmann/json.hpp>

namespace gaia {

namespace {

using json = nlohmann::json;
using setting_values::quoted;

/// Applies `v` to the declared `key`; false when no group declares it.
bool apply(const std::vector<const settings_group*>& groups, settings& s, const std::string& key,
           const json& v, const std::string& origin) {
  for (const auto* g : groups)
    if (g->apply(s, key, v, origin + ": " + key)) return true;
  return false;
}

/// Whether `key` is an object of keys ("cluster" for "cluster.port").
bool is_object_key(const std::vector<const settings_group*>& groups, const std::string& key) {
  for (const auto* g : groups)
    for (const auto& d : g->docs())
      if (std::string(d.key).rfind(key + ".", 0) == 0) return true;
  return false;
}

settings defaults_of(const std::vector<const settings_group*>& groups) {
  settings s;
  for (const auto* g : groups) g->reset(s);
  return s;
}

/// Applies every key of `doc` (a config file's object, or GAIA_SETTINGS')
/// to `s`; an unknown key or a wrong type names `origin` and the key.
void apply_object(const std::vector<const settings_group*>& groups, settings& s,
                  const json& doc, const std::string& origin) {
  for (const auto& [key, value] : doc.items()) {
    if (is_object_key(groups, key)) {
      if (!value.is_object())
        throw config_error(origin + ": " + key + ": expected an object, got " + value.dump());
      for (const auto& [sub, v] : value.items()) {
        const std::string full = key + "." + sub;
        if (!apply(groups, s, full, v, origin))
          throw config_error(origin + ": unknown key " + quoted(full));
      }
      continue;
    }
    if (key.find('.') != std::string::npos || !apply(groups, s, key, value, origin))
      throw config_error(origin + ": unknown key " + quoted(key));
  }
}

} // namespace

const std::any& settings::extra(std::type_index group) const {
  auto it = extra_.find(group);
  if (it != extra_.end()) return it->second;
  // Settings made before the group was registered, or by hand.
  if (const auto* d = registered_defaults(group)) return *d;
  throw std::logic_error(std::string("settings: no registered group of type ") + group.name());
}

std::any& settings::extra_slot(std::type_index group) {
  auto it = extra_.find(group);
  if (it != extra_.end()) return it->second;
  return extra_[group] = extra(group);
}

env_lookup process_env() {
  return [](const char* name) -> std::optional<std::string> {
    // An empty variable counts as unset: docker compose passes declared
    // but unset variables through as empty strings.
    const char* v = std::getenv(name);
    if (v != nullptr && *v != '\0')
      return std::string(v);
    return std::nullopt;
  };
}

settings default_settings() { return defaults_of(settings_groups()); }

settings parse_settings(const std::string& json_text, const std::string& origin,
                        const env_lookup& env) {
  json doc;
  try {
    doc = json::parse(json_text);
  } catch (const json::parse_error& e) {
    throw config_error(origin + ": not valid JSON: " + e.what());
  }
  if (!doc.is_object())
    throw config_error(origin + ": expected a JSON object at the top level");
  const auto groups = settings_groups();
  settings s = defaults_of(groups);
  apply_object(groups, s, doc, origin);
  // Then GAIA_SETTINGS (any key, as the file writes it), then each key's
  // own variable: the more specific override wins.
  if (auto text = env(settings_env_var)) {
    json over;
    try {
      over = json::parse(*text);
    } catch (const json::parse_error& e) {
      throw config_error(std::string(settings_env_var) + ": not valid JSON: " + e.what());
    }
    if (!over.is_object())
      throw config_error(std::string(settings_env_var) + ": expected a JSON object, as the "
                         "config file holds, got " + over.dump());
    apply_object(groups, s, over, settings_env_var);
  }
  for (const auto* g : groups) g->apply_env(s, env);
  for (const auto* g : groups) g->check(s, origin);
  return s;
}

settings load_settings(const std::string& path, const env_lookup& env) {
  const auto text = engine::read_whole_file(path);
  if (!text) throw config_error(path + ": cannot read the config file");
  return parse_settings(*text, path, env);
}

nlohmann::json to_json(const settings& s) {
  json out = json::object();
  for (const auto* g : settings_groups()) g->put(s, out);
  return out;
}

std::vector<setting_doc> setting_docs() {
  std::vector<setting_doc> out;
  for (const auto* g : settings_groups())
    for (const auto& d : g->docs()) out.push_back(d);
  return out;
}

} // namespace gaia
