#include "engine/spawn.hpp"

#include <algorithm>
#include <stdexcept>

namespace engine {

int spawn_context::pool_size() const {
  if (!node_.pooled) return 1;
  // A pool without a setting has its declared size.
  int n = opts_.sizes && !node_.pool.key.empty() ? opts_.sizes(node_.pool)
                                                 : node_.pool.default_size;
  return n < 1 ? 1 : n;
}

const spawned_node& spawn_context::spawned_peer(const std::string& to) const {
  if (std::find(peers_.begin(), peers_.end(), to) == peers_.end())
    throw std::logic_error("production " + prod_name_ + " declares no edge "
                           + node_.id + " -> " + to);
  auto i = spawned_.find(to);
  if (i == spawned_.end())
    throw std::logic_error(node_.id + " needs " + to + ", which is not spawned yet");
  return i->second;
}

void running_production::shutdown() const {
  for (const auto& [id, a] : actors)
    caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
}

running_production spawn(caf::actor_system& sys, const production& prod,
                         spawn_options opts) {
  prod.validate();
  if (!opts.runs) opts.runs = std::make_shared<run_control>();
  if (!opts.trace) opts.trace = std::make_shared<no_trace>();
  // Every event says whose it is: serve's live views and trace folder are
  // shared by the productions it runs.
  opts.trace = std::make_shared<production_stamp>(prod.name(), std::move(opts.trace));
  running_production out;
  out.runs = opts.runs;
  auto names = std::make_shared<actor_names>();
  std::map<std::string, spawned_node> spawned;
  for (const auto& id : prod.spawn_order()) {
    const node& n = prod.find(id);
    spawn_context ctx(sys, prod, n, opts, spawned, names);
    spawned[id] = n.spawn(ctx);
    out.actors[id] = spawned[id].actor;
    names->add(out.actors[id], id);
  }
  if (opts.on_spawned) opts.on_spawned(out);
  return out;
}

} // namespace engine
