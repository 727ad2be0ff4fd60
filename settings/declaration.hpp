// How settings are declared: each setting once, with its JSON key,
// environment variable, meaning, default, kind and checks, and the member
// that holds it; the settings of one component form a group. Parsing, the
// environment overrides, `check`, --help and the README table all walk
// the declarations (settings/settings.cpp), so a key cannot be half-added.
//
// A component above settings/ declares a group of its own in its own
// header, without editing settings/, and reads it with s.get<G>():
//
//   enum class misplaced { report, skip, fail };
//   struct validate_settings { misplaced misplaced_sources{}; };
//   inline const settings_group_registration<validate_settings> validate_group{
//     {"validate",
//      {choice({"misplaced_sources", "GAIA_MISPLACED_SOURCES", "what a source outside ..."},
//              &validate_settings::misplaced_sources, misplaced::report,
//              {{"report", misplaced::report}, {"skip", misplaced::skip},
//               {"fail", misplaced::fail}})}},
//     "import"}; // listed after the import group's keys
#pragma once

#include "settings/settings.hpp"

#include <nlohmann/json.hpp>

#include <algorithm>
#include <any>
#include <cstdint>
#include <mutex>
#include <string>
#include <typeindex>
#include <type_traits>
#include <utility>
#include <vector>

namespace gaia {

/// One setting of group G. Its kind and checks live in these functions;
/// the builders below (integer, boolean, text, choice) make them.
template <class G>
struct setting {
  setting_doc doc; ///< "cluster.port": the key "port" of the object "cluster"
  std::function<void(G&)> reset; ///< to its default
  /// Checks a value and stores it; an error starts with `where` (the file
  /// and key, or the variable).
  std::function<void(G&, const nlohmann::json& v, const std::string& where)> apply;
  /// The environment's text as the JSON a file would hold, so both go
  /// through the same checks; an error names `var`.
  std::function<nlohmann::json(const std::string& text, const std::string& var)> from_env;
  std::function<nlohmann::json(const G&)> value; ///< as `check` prints it
  /// What is wrong with the value once the environment is applied ("":
  /// nothing): a check the value's kind cannot make alone (a URL, a
  /// template). The error reads "<file>: <key>: <problem>".
  std::function<std::string(const G&)> problem = nullptr;

  /// This setting, its value checked by `p` as well.
  setting checked(std::function<std::string(const G&)> p) && {
    problem = std::move(p);
    return std::move(*this);
  }
};

/// A group: the component that reads it, its settings in the order the
/// docs list them, and the checks that need more than one value (run after
/// the environment and the settings' own checks; an error starts with
/// `origin`, the file).
template <class G>
struct group_declaration {
  const char* name;
  std::vector<setting<G>> entries;
  std::vector<std::function<void(const G&, const std::string& origin)>> checks = {};
};

/// The checks the builders share (settings/declaration.cpp). Each error
/// is a config_error starting with `where`.
namespace setting_values {
std::string quoted(const std::string& text);
int64_t integer(const nlohmann::json& v, const std::string& where, int64_t lo, int64_t hi);
bool boolean(const nlohmann::json& v, const std::string& where);
std::string text(const nlohmann::json& v, const std::string& where);
/// " 12 " -> 12; not an integer: an error naming `var`.
nlohmann::json env_integer(const std::string& text, const std::string& var);
/// The same for `item`, a part of the variable's `text` (a comma list),
/// the whole text in the error.
nlohmann::json env_integer_in(const std::string& item, const std::string& text,
                              const std::string& var);
/// true/1/yes, false/0/no.
nlohmann::json env_boolean(const std::string& text, const std::string& var);
nlohmann::json env_text(const std::string& text, const std::string& var);
/// `v` is none of `names`: "expected "a", "b" or "c", got 'x'".
[[noreturn]] void not_one_of(const std::vector<std::string>& names, const nlohmann::json& v,
                             const std::string& where);
/// "a, b" -> ["a", "b"] (each item trimmed of spaces).
nlohmann::json env_list(const std::string& text, const std::string& var);
/// `v` as a non-empty JSON array of distinct strings, or an error.
std::vector<std::string> distinct_names(const nlohmann::json& v, const std::string& where);
} // namespace setting_values

/// T, not deduced from a default (`1024` for an int64_t member).
template <class T>
struct plain {
  using type = T;
};

/// An integer in [lo, hi] (an int or int64_t member).
template <class G, class T>
setting<G> integer(setting_doc doc, T G::*m, typename plain<T>::type def, int64_t lo,
                   int64_t hi) {
  static_assert(std::is_integral_v<T> && !std::is_same_v<T, bool>);
  return {doc, [m, def](G& g) { g.*m = def; },
          [m, lo, hi](G& g, const nlohmann::json& v, const std::string& where) {
            g.*m = static_cast<T>(setting_values::integer(v, where, lo, hi));
          },
          setting_values::env_integer, [m](const G& g) { return nlohmann::json(g.*m); }};
}

/// true or false.
template <class G>
setting<G> boolean(setting_doc doc, bool G::*m, bool def) {
  return {doc, [m, def](G& g) { g.*m = def; },
          [m](G& g, const nlohmann::json& v, const std::string& where) {
            g.*m = setting_values::boolean(v, where);
          },
          setting_values::env_boolean, [m](const G& g) { return nlohmann::json(g.*m); }};
}

/// A string; with `if_empty`, "" is refused: "must not be empty" and
/// `if_empty` after it.
template <class G>
setting<G> text(setting_doc doc, std::string G::*m, std::string def,
                const char* if_empty = nullptr) {
  return {doc, [m, def](G& g) { g.*m = def; },
          [m, if_empty](G& g, const nlohmann::json& v, const std::string& where) {
            auto t = setting_values::text(v, where);
            if (if_empty != nullptr && t.empty())
              throw config_error(where + ": must not be empty" + if_empty);
            g.*m = std::move(t);
          },
          setting_values::env_text, [m](const G& g) { return nlohmann::json(g.*m); }};
}

/// One of a few names, each standing for a value of E (an enum).
template <class G, class E>
setting<G> choice(setting_doc doc, E G::*m, typename plain<E>::type def,
                  std::vector<std::pair<std::string, E>> names) {
  return {doc, [m, def](G& g) { g.*m = def; },
          [m, names](G& g, const nlohmann::json& v, const std::string& where) {
            for (const auto& [name, e] : names)
              if (v.is_string() && v.get<std::string>() == name) {
                g.*m = e;
                return;
              }
            std::vector<std::string> all;
            for (const auto& n : names) all.push_back(n.first);
            setting_values::not_one_of(all, v, where);
          },
          setting_values::env_text,
          [m, names](const G& g) {
            for (const auto& [name, e] : names)
              if (g.*m == e) return nlohmann::json(name);
            return nlohmann::json();
          }};
}

/// A non-empty list of distinct names, each standing for a value of E (an
/// enum); the environment's form is a comma list ("csv,fits").
template <class G, class E>
setting<G> choice_list(setting_doc doc, std::vector<E> G::*m, std::vector<E> def,
                       std::vector<std::pair<std::string, E>> names) {
  return {doc, [m, def](G& g) { g.*m = def; },
          [m, names](G& g, const nlohmann::json& v, const std::string& where) {
            std::vector<E> out;
            for (const auto& item : setting_values::distinct_names(v, where)) {
              auto it = std::find_if(names.begin(), names.end(),
                                     [&](const auto& n) { return n.first == item; });
              if (it == names.end()) {
                std::vector<std::string> all;
                for (const auto& n : names) all.push_back(n.first);
                setting_values::not_one_of(all, item, where);
              }
              out.push_back(it->second);
            }
            g.*m = std::move(out);
          },
          setting_values::env_list,
          [m, names](const G& g) {
            auto out = nlohmann::json::array();
            for (const E& e : g.*m)
              for (const auto& [name, value] : names)
                if (value == e) out.push_back(name);
            return out;
          }};
}

/// A group with its type erased: what parse, the environment, to_json,
/// default_settings and setting_docs walk.
class settings_group {
public:
  virtual ~settings_group() = default;
  virtual const char* name() const = 0;
  virtual std::type_index type() const = 0;
  /// Its values, each at its default (a G).
  virtual const std::any& defaults() const = 0;
  virtual std::vector<setting_doc> docs() const = 0;
  /// Gives the group's keys their defaults in `s`.
  virtual void reset(settings& s) const = 0;
  /// Applies `v` when `key` is one of the group's; false when not.
  virtual bool apply(settings& s, const std::string& key, const nlohmann::json& v,
                     const std::string& where) const = 0;
  /// Applies each of its keys the environment sets.
  virtual void apply_env(settings& s, const env_lookup& env) const = 0;
  /// Puts its keys into `out` ("cluster.port": out["cluster"]["port"]).
  virtual void put(const settings& s, nlohmann::json& out) const = 0;
  /// Its settings' own checks, then its checks of several values.
  virtual void check(const settings& s, const std::string& origin) const = 0;
};

/// The built-in groups, in the order of the docs (settings/groups.cpp).
const std::vector<const settings_group*>& builtin_settings_groups();

/// Every group, in the order of the docs: the built-in ones, each
/// registered one after the group it names (settings/group_registry.cpp).
std::vector<const settings_group*> settings_groups();

/// Adds `g` after the group named `after` (none or unknown: at the end);
/// std::logic_error when one of its keys, variables or its name is taken.
void add_settings_group(const settings_group& g, const char* after);
void remove_settings_group(const settings_group& g);

/// The defaults of the registered group of that type; none when no such
/// group is registered.
const std::any* registered_defaults(std::type_index group);

/// The declaration of group G, walked through its members.
template <class G>
class declared_group final : public settings_group {
public:
  explicit declared_group(group_declaration<G> d) : d_(std::move(d)) {}

  const char* name() const override { return d_.name; }
  std::type_index type() const override { return typeid(G); }

  const std::any& defaults() const override {
    // Made on first use, not while registering during static
    // initialisation: a default may read another file's globals.
    std::call_once(defaults_made_, [this] {
      G g{};
      for (const auto& e : d_.entries) e.reset(g);
      defaults_ = std::move(g);
    });
    return defaults_;
  }

  std::vector<setting_doc> docs() const override {
    std::vector<setting_doc> out;
    for (const auto& e : d_.entries) out.push_back(e.doc);
    return out;
  }

  void reset(settings& s) const override {
    // A registered group's values live beside the built-in ones.
    if constexpr (builtin) s.get<G>() = std::any_cast<const G&>(defaults());
    else s.extra_[typeid(G)] = defaults();
  }

  bool apply(settings& s, const std::string& key, const nlohmann::json& v,
             const std::string& where) const override {
    for (const auto& e : d_.entries)
      if (key == e.doc.key) {
        e.apply(s.get<G>(), v, where);
        return true;
      }
    return false;
  }

  void apply_env(settings& s, const env_lookup& env) const override {
    for (const auto& e : d_.entries)
      if (auto text = env(e.doc.env))
        e.apply(s.get<G>(), e.from_env(*text, e.doc.env),
                std::string(e.doc.env) + " (" + e.doc.key + ")");
  }

  void put(const settings& s, nlohmann::json& out) const override {
    const G& g = s.get<G>();
    for (const auto& e : d_.entries) {
      const std::string key = e.doc.key;
      const auto dot = key.find('.');
      if (dot == std::string::npos) out[key] = e.value(g);
      else out[key.substr(0, dot)][key.substr(dot + 1)] = e.value(g);
    }
  }

  void check(const settings& s, const std::string& origin) const override {
    const G& g = s.get<G>();
    for (const auto& e : d_.entries)
      if (e.problem)
        if (auto p = e.problem(g); !p.empty())
          throw config_error(origin + ": " + e.doc.key + ": " + p);
    for (const auto& c : d_.checks) c(g, origin);
  }

private:
  static constexpr bool builtin =
    std::is_same_v<G, cluster_settings> || std::is_base_of_v<G, settings>;
  group_declaration<G> d_;
  mutable std::once_flag defaults_made_;
  mutable std::any defaults_;
};

/// Declares group G for as long as it lives: an inline variable in the
/// component's header (see the top of this file), or a scope in a test.
template <class G>
class settings_group_registration {
public:
  /// `after`: the group whose keys come before these in the docs.
  explicit settings_group_registration(group_declaration<G> d, const char* after = nullptr)
    : group_(std::move(d)) {
    add_settings_group(group_, after);
  }
  ~settings_group_registration() { remove_settings_group(group_); }
  settings_group_registration(const settings_group_registration&) = delete;
  settings_group_registration& operator=(const settings_group_registration&) = delete;

private:
  declared_group<G> group_;
};

} // namespace gaia
