// The groups every settings holds: the built-in ones (settings/groups.cpp)
// and those components register from their own files, in the order the
// docs list them. A key, a variable or a group name is declared once.
#include "settings/declaration.hpp"

#include <algorithm>
#include <mutex>
#include <set>

namespace gaia {

namespace {

struct registered {
  const settings_group* group;
  std::string after;
};

/// Registrations happen during static initialisation (inline variables)
/// or in a test's scope; reads may come from any thread.
std::mutex& registry_mutex() {
  static std::mutex m;
  return m;
}

std::vector<registered>& registry() {
  static std::vector<registered> r;
  return r;
}

/// Every group, `extra` (when given) put after its `after`.
std::vector<const settings_group*> ordered(const std::vector<registered>& extras) {
  std::vector<const settings_group*> out = builtin_settings_groups();
  // Groups after the same group: by name, whatever the order of static
  // initialisation across files.
  auto sorted = extras;
  std::stable_sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) {
    return std::string(a.group->name()) < b.group->name();
  });
  for (auto i = sorted.rbegin(); i != sorted.rend(); ++i) {
    auto at = std::find_if(out.begin(), out.end(),
                           [&](const settings_group* g) { return g->name() == i->after; });
    out.insert(at == out.end() ? out.end() : at + 1, i->group);
  }
  return out;
}

} // namespace

std::vector<const settings_group*> settings_groups() {
  std::lock_guard<std::mutex> lock(registry_mutex());
  return ordered(registry());
}

void add_settings_group(const settings_group& g, const char* after) {
  std::lock_guard<std::mutex> lock(registry_mutex());
  std::set<std::string> taken;
  for (const auto* other : ordered(registry())) {
    taken.insert(std::string("group ") + other->name());
    for (const auto& d : other->docs()) {
      taken.insert(std::string("key ") + d.key);
      taken.insert(std::string("variable ") + d.env);
    }
  }
  for (const auto& r : registry())
    if (r.group->type() == g.type())
      throw std::logic_error(std::string("settings: group ") + g.name() + " has the type of group "
                             + r.group->name());
  std::vector<std::string> mine = {std::string("group ") + g.name()};
  for (const auto& d : g.docs()) {
    mine.push_back(std::string("key ") + d.key);
    mine.push_back(std::string("variable ") + d.env);
  }
  for (const auto& m : mine)
    if (taken.count(m) != 0)
      throw std::logic_error("settings: " + m + " is declared twice");
  registry().push_back({&g, after != nullptr ? after : ""});
}

const std::any* registered_defaults(std::type_index group) {
  std::lock_guard<std::mutex> lock(registry_mutex());
  for (const auto& r : registry())
    if (r.group->type() == group) return &r.group->defaults();
  return nullptr;
}

void remove_settings_group(const settings_group& g) {
  std::lock_guard<std::mutex> lock(registry_mutex());
  auto& r = registry();
  r.erase(std::remove_if(r.begin(), r.end(), [&](const auto& x) { return x.group == &g; }),
          r.end());
}

} // namespace gaia
