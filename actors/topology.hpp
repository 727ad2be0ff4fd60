// The production's topology, declared once. Spawning (actors/production.cpp),
// `gaia-dr3 graph` (Mermaid) and the README's graph all read this table.
#pragma once

#include <string>
#include <vector>

namespace gaia {

struct settings;

namespace topology {

enum class node_kind {
  service,    ///< starts runs on its own (the IoP business service)
  process,    ///< orchestrates a run (the IoP business process)
  pool,       ///< a pool of identical operation workers
  operation,  ///< a single operation (the IoP business operation)
};

/// One actor (or pool) of the production.
struct node {
  const char* id;        ///< stable name, used in logs and edges
  const char* title;     ///< for people
  node_kind kind;
  const char* does;      ///< one line: its role
};

/// One kind of message one actor sends another.
struct edge {
  const char* from;
  const char* to;
  const char* message;   ///< the request struct in messages/
};

/// The actors, in spawn order reversed: every node only talks to nodes
/// declared after it.
const std::vector<node>& nodes();
const std::vector<edge>& edges();

/// The node with this id; throws std::out_of_range.
const node& find(const std::string& id);
/// True when the topology declares an edge from -> to.
bool has_edge(const std::string& from, const std::string& to);

/// How many workers a pool node has under these settings (1 otherwise).
int workers_of(const node& n, const settings& s);

/// The production as a Mermaid flowchart; with settings, pools show their
/// sizes and the service its poll interval.
std::string to_mermaid(const settings* s = nullptr);

} // namespace topology
} // namespace gaia
