// A production declared as data, as IoP declares one: its services,
// processes and operations (each with its kind, its pool size setting and
// its spawner), and the typed messages that connect them. Spawning
// (engine/spawn.hpp), the Mermaid graph and the docs all read the one
// declaration.
//
//   engine::production prod("toy");
//   prod.service("service", "Polling service", "starts runs", svc_spawner);
//   prod.process("process", "Count process", "counts lines", proc_spawner);
//   prod.operation<count_request, count_reply>(
//     "counter", "Count operation", "counts one file", worker_spawner,
//     engine::pool_setting{"counter_pool_size", 2});
//   prod.connect<engine::run_request>("service", "process");
//   prod.connect<count_request>("process", "counter");
#pragma once

#include "engine/message_name.hpp"

#include <caf/fwd.hpp>

#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace engine {

class spawn_context;
class run_control;

/// The IoP business host kinds.
enum class node_kind {
  service,   ///< starts runs on its own (a business service)
  process,   ///< orchestrates a run (a business process)
  operation, ///< does one kind of job (a business operation), maybe pooled
};

/// "Services" / "Processes" / "Operations".
const char* group_title(node_kind k);

/// Makes the actor of a node (or one worker of a pooled operation).
using spawner = std::function<caf::actor(spawn_context&)>;

/// Makes a pooled operation's pool around `size` workers made by `worker`.
using pool_maker = std::function<caf::actor(spawn_context&, int size, spawner worker)>;

/// The setting that holds a pooled operation's number of workers.
struct pool_setting {
  std::string key;     ///< the settings key ("download_pool_size"); empty: fixed
  int default_size = 1;
};

/// A pool of `size` workers that no setting changes. fixed_pool(1) puts a
/// single operation behind a pool, so its jobs are queued, timed and
/// traced like every pool's.
inline pool_setting fixed_pool(int size = 1) { return pool_setting{"", size}; }

/// One business host of the production.
struct node {
  std::string id;    ///< stable name, used in logs, edges and traces
  std::string title; ///< for people
  node_kind kind = node_kind::operation;
  std::string does;  ///< one line: its role
  spawner spawn;     ///< the actor, or one worker of a pool
  bool pooled = false;
  pool_setting pool; ///< when pooled
  pool_maker make_pool; ///< when pooled
};

/// One kind of message one host sends another.
struct edge {
  std::string from;
  std::string to;
  std::string message; ///< the request type's name
};

/// How many workers each pooled operation has: the settings value of its
/// pool_setting key, or its default when the lookup gives none. Not asked
/// for fixed pools.
using pool_sizes = std::function<int(const pool_setting&)>;

class production {
public:
  explicit production(std::string name) : name_(std::move(name)) {}

  const std::string& name() const { return name_; }

  node& service(std::string id, std::string title, std::string does, spawner s);
  node& process(std::string id, std::string title, std::string does, spawner s);

  /// A single operation actor.
  node& operation(std::string id, std::string title, std::string does, spawner s);

  /// A pooled operation taking `Request`s and answering `Reply`s: the
  /// pool's workers are made by `worker`; their number comes from `pool`.
  template <class Request, class Reply>
  node& operation(std::string id, std::string title, std::string does,
                  spawner worker, pool_setting pool);

  /// Declares that `from` sends `to` messages of type `Message`.
  template <class Message>
  void connect(const std::string& from, const std::string& to) {
    add_edge(from, to, message_name<Message>());
  }

  const std::vector<node>& nodes() const { return nodes_; }
  const std::vector<edge>& edges() const { return edges_; }

  /// The node with this id; throws std::out_of_range.
  const node& find(const std::string& id) const;
  /// True when an edge from -> to is declared.
  bool has_edge(const std::string& from, const std::string& to) const;

  /// Throws std::logic_error naming the problem: an edge to or from an
  /// unknown node, a cycle, a node without spawner, two nodes of one id.
  void validate() const;

  /// Node ids in spawn order: every node after the nodes it sends to.
  std::vector<std::string> spawn_order() const;

  /// The production as a Mermaid flowchart, grouped into Services /
  /// Processes / Operations. With `sizes`, pools show their worker counts.
  std::string to_mermaid(const pool_sizes* sizes = nullptr) const;

private:
  node& add(node n);
  void add_edge(const std::string& from, const std::string& to, std::string message);
  std::string name_;
  std::vector<node> nodes_;
  std::vector<edge> edges_;
};

/// The pool maker for a typed pool of Request -> Reply workers (defined in
/// engine/worker_pool.hpp, which pooled declarations include).
template <class Request, class Reply>
pool_maker typed_pool_maker();

template <class Request, class Reply>
node& production::operation(std::string id, std::string title, std::string does,
                            spawner worker, pool_setting pool) {
  node n;
  n.id = std::move(id);
  n.title = std::move(title);
  n.kind = node_kind::operation;
  n.does = std::move(does);
  n.spawn = std::move(worker);
  n.pooled = true;
  n.pool = std::move(pool);
  n.make_pool = typed_pool_maker<Request, Reply>();
  return add(std::move(n));
}

} // namespace engine
