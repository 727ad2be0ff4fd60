#include "engine/observe/production_json.hpp"

namespace engine {

nlohmann::json production_json(const production& p, const pool_sizes& sizes) {
  using json = nlohmann::json;
  json nodes = json::array();
  for (const auto& n : p.nodes()) {
    int size = 1;
    if (n.pooled)
      size = sizes && !n.pool.key.empty() ? sizes(n.pool) : n.pool.default_size;
    const bool pooled = n.pooled && !(n.pool.key.empty() && size == 1);
    const char* kind = n.kind == node_kind::service   ? "service"
                       : n.kind == node_kind::process ? "process"
                                                      : "operation";
    nodes.push_back(json{{"id", n.id}, {"title", n.title}, {"kind", kind}, {"does", n.does},
                         {"pooled", pooled}, {"size", size}});
  }
  json edges = json::array();
  for (const auto& e : p.edges())
    edges.push_back(json{{"from", e.from}, {"to", e.to}, {"message", e.message}});
  return json{{"name", p.name()}, {"nodes", std::move(nodes)}, {"edges", std::move(edges)}};
}

} // namespace engine
