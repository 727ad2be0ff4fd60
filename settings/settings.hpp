// The production's settings: config/production.json, then environment
// overrides, validated as a whole before anything starts. `settings` is made
// of one struct per component (settings/groups.hpp), each declared once
// (settings/groups.cpp); a component above settings/ may declare a group of
// its own in its own file (settings/declaration.hpp), read with get<G>().
#pragma once

#include "settings/groups.hpp"

#include <any>
#include <functional>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <typeindex>
#include <vector>

#include <nlohmann/json_fwd.hpp>

namespace gaia {

struct checksum_source; // download/checksums.hpp
template <class G>
class declared_group;   // settings/declaration.hpp

/// Everything a run needs to know: the groups, inherited, so each key is a
/// member of its own name (`s.download_pool_size`); the cluster's keys in
/// `s.cluster` (JSON: "cluster": {...}). An operation is given only its
/// group: a `settings` converts to any of them.
struct settings : archive_settings, service_settings, download_settings, import_settings,
                  job_settings, trace_settings, web_settings {
  cluster_settings cluster;

  /// The values of group G: a built-in one, or one a component declared
  /// (settings_group_registration; its defaults when these settings were
  /// made without it); logic_error when G is neither.
  template <class G>
  const G& get() const {
    if constexpr (std::is_same_v<G, cluster_settings>) return cluster;
    else if constexpr (std::is_base_of_v<G, settings>) return *this;
    else return *std::any_cast<G>(&extra(typeid(G)));
  }
  template <class G>
  G& get() {
    if constexpr (std::is_same_v<G, cluster_settings>) return cluster;
    else if constexpr (std::is_base_of_v<G, settings>) return *this;
    else return *std::any_cast<G>(&extra_slot(typeid(G)));
  }

private:
  template <class G>
  friend class declared_group;
  const std::any& extra(std::type_index group) const;
  std::any& extra_slot(std::type_index group);
  /// The registered groups' values, by type.
  std::map<std::type_index, std::any> extra_;
};

/// Where a run's checksums come from: checksum_url when set ("" = none),
/// else derived from the template (download/checksums.hpp).
checksum_source checksum_source_of(const archive_settings& s);

/// A config that cannot be used. what() is one line naming the key (or the
/// environment variable, or the file) and the problem.
class config_error : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

/// Looks up an environment variable; empty optional when unset.
using env_lookup = std::function<std::optional<std::string>(const char*)>;

/// The process environment.
env_lookup process_env();

/// The environment variable that overrides any keys at once, as a JSON
/// object shaped like the config file ('{"misplaced_sources": "skip"}'):
/// applied over the file, under each key's own variable. It reaches every
/// setting, also those a component declares later, with no list to keep
/// (docker-compose.yml passes it through).
inline constexpr char settings_env_var[] = "GAIA_SETTINGS";

/// Default settings (no file, no environment).
settings default_settings();

/// Reads the JSON file at `path` (keys not present keep their defaults),
/// applies the environment overrides, validates. Throws config_error.
settings load_settings(const std::string& path, const env_lookup& env);

/// Same from JSON text already read; `origin` names it in errors.
settings parse_settings(const std::string& json_text, const std::string& origin,
                        const env_lookup& env);

/// The resolved settings as JSON (what `gaia-dr3 check` prints).
nlohmann::json to_json(const settings& s);

/// One line per key: JSON key, environment variable, meaning (for --help
/// and the README), in the order of the declarations: group by group.
struct setting_doc {
  const char* key;
  const char* env;
  const char* meaning;
};
std::vector<setting_doc> setting_docs();

} // namespace gaia
