#include "engine/production.hpp"

#include <algorithm>
#include <set>
#include <sstream>
#include <stdexcept>

namespace engine {

const char* group_title(node_kind k) {
  switch (k) {
    case node_kind::service: return "Services";
    case node_kind::process: return "Processes";
    case node_kind::operation: return "Operations";
  }
  return "?";
}

void production::insert(node n) {
  auto after = std::find_if(nodes_.begin(), nodes_.end(),
                            [&](const engine::node& m) { return m.kind > n.kind; });
  nodes_.insert(after, std::move(n));
}

node_ref<caf::actor> production::add_untyped(node_kind kind, std::string id, std::string title,
                                             std::string does, spawner s) {
  node_spawner spawn_it; // none for none: validate() names the node
  if (s)
    spawn_it = [s = std::move(s)](spawn_context& ctx) {
      auto a = s(ctx);
      return spawned_node{a, std::any(a)};
    };
  return add<caf::actor>(kind, std::move(id), std::move(title), std::move(does),
                         std::move(spawn_it));
}

node_ref<caf::actor> production::service(std::string id, std::string title, std::string does,
                                         spawner s) {
  return add_untyped(node_kind::service, std::move(id), std::move(title), std::move(does),
                     std::move(s));
}

node_ref<caf::actor> production::process(std::string id, std::string title, std::string does,
                                         spawner s) {
  return add_untyped(node_kind::process, std::move(id), std::move(title), std::move(does),
                     std::move(s));
}

node_ref<caf::actor> production::operation(std::string id, std::string title, std::string does,
                                           spawner s) {
  return add_untyped(node_kind::operation, std::move(id), std::move(title), std::move(does),
                     std::move(s));
}

void production::add_edge(const std::string& from, const std::string& to,
                          std::string message) {
  edges_.push_back({from, to, std::move(message)});
}

const node& production::find(const std::string& id) const {
  for (const auto& n : nodes_)
    if (n.id == id)
      return n;
  throw std::out_of_range("production " + name_ + " has no node '" + id + "'");
}

bool production::has_edge(const std::string& from, const std::string& to) const {
  return std::any_of(edges_.begin(), edges_.end(), [&](const edge& e) {
    return e.from == from && e.to == to;
  });
}

void production::validate() const {
  std::set<std::string> ids;
  for (const auto& n : nodes_) {
    if (n.id.empty())
      throw std::logic_error("production " + name_ + ": a node without id");
    if (!ids.insert(n.id).second)
      throw std::logic_error("production " + name_ + ": two nodes named '" + n.id + "'");
    if (!n.spawn)
      throw std::logic_error("production " + name_ + ": node '" + n.id + "' has no spawner");
    if (n.pooled && n.pool.key.empty() && n.pool.default_size < 1)
      throw std::logic_error("production " + name_ + ": pooled node '" + n.id
                             + "' needs a pool setting or a fixed size");
  }
  for (const auto& e : edges_)
    for (const auto* end : {&e.from, &e.to})
      if (ids.count(*end) == 0)
        throw std::logic_error("production " + name_ + ": edge " + e.from + " -> "
                               + e.to + " names an unknown node '" + *end + "'");
  spawn_order(); // throws on a cycle
}

std::vector<std::string> production::spawn_order() const {
  // Depth first along the edges: a node is placed after everything it
  // sends to, so spawning in this order can hand every node its peers.
  std::vector<std::string> order;
  std::map<std::string, int> state; // 1: on the stack, 2: placed
  std::function<void(const std::string&)> visit = [&](const std::string& id) {
    if (state[id] == 2) return;
    if (state[id] == 1)
      throw std::logic_error("production " + name_ + ": a cycle through '" + id + "'");
    state[id] = 1;
    for (const auto& e : edges_)
      if (e.from == id) visit(e.to);
    state[id] = 2;
    order.push_back(id);
  };
  for (const auto& n : nodes_) visit(n.id);
  return order;
}

std::string production::to_mermaid(const pool_sizes* sizes) const {
  std::ostringstream out;
  out << "flowchart LR\n";
  for (auto kind : {node_kind::service, node_kind::process, node_kind::operation}) {
    bool any = std::any_of(nodes_.begin(), nodes_.end(),
                           [&](const node& n) { return n.kind == kind; });
    if (!any) continue;
    std::string group = group_title(kind);
    std::string group_id = group;
    std::transform(group_id.begin(), group_id.end(), group_id.begin(), ::tolower);
    out << "  subgraph group_" << group_id << "[\"" << group << "\"]\n";
    for (const auto& n : nodes_) {
      if (n.kind != kind) continue;
      std::string title = n.title;
      const bool fixed = n.pooled && n.pool.key.empty();
      // A single operation behind a pool of one is drawn as what it is.
      const bool pooled = n.pooled && !(fixed && n.pool.default_size == 1);
      if (pooled && fixed)
        title += " x" + std::to_string(n.pool.default_size);
      else if (pooled)
        title += sizes != nullptr ? " x" + std::to_string((*sizes)(n.pool)) : " pool";
      // Shapes: service = stadium, process = rectangle, pool = subroutine,
      // single operation = rounded.
      out << "    " << n.id;
      switch (n.kind) {
        case node_kind::service: out << "([\"" << title << "\"])"; break;
        case node_kind::process: out << "[\"" << title << "\"]"; break;
        case node_kind::operation:
          out << (pooled ? "[[\"" : "(\"") << title << (pooled ? "\"]]" : "\")");
          break;
      }
      out << "\n";
    }
    out << "  end\n";
  }
  for (const auto& e : edges_)
    out << "  " << e.from << " -- " << e.message << " --> " << e.to << "\n";
  return out.str();
}

} // namespace engine
