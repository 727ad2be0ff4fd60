// A production declared as data, as IoP declares one: its services,
// processes and operations (each with its kind, its pool size setting and
// its spawner), and the typed messages that connect them. Spawning
// (engine/spawn.hpp), the Mermaid graph and the docs all read the one
// declaration.
//
// Each declaration returns a typed reference to its node (engine/interfaces.hpp),
// whose type is what the node's spawner returns; nodes are declared bottom
// up, every node after the nodes it sends to:
//
//   engine::production prod("toy");
//   auto counter = prod.operation<count_request, count_reply>(
//     "counter", "Count operation", "counts one file", worker_spawner,
//     engine::pool_setting{"counter_pool_size", 2});        // a pool_actor
//   auto process = prod.process("process", "Count process", "counts lines",
//     [counter](engine::spawn_context& ctx) {               // a process_actor
//       return ctx.system().spawn(count_process, ctx.peer(counter)); });
//   auto service = prod.service("service", "Polling service", "starts runs",
//                               engine::polling_service(svc, process));
//   prod.connect(service, process);  // run_request: what a process takes
//   prod.connect<count_request>(process, counter);
//
// connect<M>(from, to) does not compile unless `to`'s interface takes M;
// ctx.peer(ref) hands a spawner the peer's handle of the declared type.
#pragma once

#include "engine/interfaces.hpp"
#include "engine/message_name.hpp"

#include <caf/actor.hpp>
#include <caf/actor_cast.hpp>

#include <any>
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

/// Makes the actor of an untyped node.
using spawner = std::function<caf::actor(spawn_context&)>;

/// Makes a typed node's actor, or one worker of a pool: a handle of type
/// `Handle`.
template <class Handle>
using typed_spawner = std::function<Handle(spawn_context&)>;

/// What a spawner returns, for any callable taking a spawn_context.
template <class F>
using spawned_handle = std::decay_t<std::invoke_result_t<F&, spawn_context&>>;

/// Enables the typed declarations for spawners that return a typed handle.
template <class F>
using typed_only = std::enable_if_t<
  std::is_invocable_v<F&, spawn_context&>
  && !std::is_convertible_v<std::invoke_result_t<F&, spawn_context&>, caf::actor>>;

/// A node's actor as spawned: untyped (exits, names, the cluster) and as
/// the handle its declaration promises (a node_ref's type), for its peers.
struct spawned_node {
  caf::actor actor;
  std::any handle;
};

/// Makes the actor of a node, whatever its interface.
using node_spawner = std::function<spawned_node(spawn_context&)>;

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
  node_spawner spawn; ///< the actor (a pooled operation's: its pool)
  bool pooled = false;
  pool_setting pool; ///< when pooled
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

  /// A node whose spawner returns a typed handle: a reference of that type.
  template <class F, class = typed_only<F>>
  node_ref<spawned_handle<F>> service(std::string id, std::string title, std::string does, F s) {
    return add<spawned_handle<F>>(node_kind::service, std::move(id), std::move(title),
                                  std::move(does), typed(s));
  }
  template <class F, class = typed_only<F>>
  node_ref<spawned_handle<F>> process(std::string id, std::string title, std::string does, F s) {
    return add<spawned_handle<F>>(node_kind::process, std::move(id), std::move(title),
                                  std::move(does), typed(s));
  }
  /// A single operation actor.
  template <class F, class = typed_only<F>>
  node_ref<spawned_handle<F>> operation(std::string id, std::string title, std::string does,
                                        F s) {
    return add<spawned_handle<F>>(node_kind::operation, std::move(id), std::move(title),
                                  std::move(does), typed(s));
  }

  /// Untyped nodes (a caf::actor): nothing can be connected to one by
  /// reference, only by id (below).
  node_ref<caf::actor> service(std::string id, std::string title, std::string does, spawner s);
  node_ref<caf::actor> process(std::string id, std::string title, std::string does, spawner s);
  node_ref<caf::actor> operation(std::string id, std::string title, std::string does, spawner s);

  /// A pooled operation taking `Request`s and answering `Reply`s: the
  /// pool's workers are made by `worker` (a worker_actor<Request, Reply>);
  /// their number comes from `pool`.
  template <class Request, class Reply, class F>
  node_ref<pool_actor<Request, Reply>> operation(std::string id, std::string title,
                                                 std::string does, F worker, pool_setting pool);

  /// Declares that `from` sends `to` messages of type `Message`; compiles
  /// only when `to`'s interface takes Message.
  template <class Message, class From, class To>
  void connect(const node_ref<From>& from, const node_ref<To>& to) {
    static_assert(handles<Message, To>::value,
                  "connect<Message>(from, to): to's actor interface does not take Message");
    add_edge(from.id(), to.id(), message_name<Message>());
  }

  /// Declares that `from` sends `to` the request its interface takes first
  /// (a pool's Request, a process's run_request).
  template <class From, class To>
  void connect(const node_ref<From>& from, const node_ref<To>& to) {
    connect<typename request_of<To>::type>(from, to);
  }

  /// An edge by node ids, which only validate() checks (unknown nodes, a
  /// cycle): for declarations as data, as the tests of validation build.
  template <class Message>
  void connect(const std::string& from, const std::string& to) {
    add_edge(from, to, message_name<Message>());
  }

  /// Services, then processes, then operations, each kind in the order
  /// declared: a declaration goes bottom up (every node after the nodes it
  /// sends to), the graph and the live page show the production top down.
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
  /// A node_spawner keeping the handle `s` returns as that type.
  template <class F>
  static node_spawner typed(F s) {
    return [s = std::move(s)](spawn_context& ctx) mutable {
      spawned_handle<F> h = s(ctx);
      // Typed to untyped: the same actor, every message still allowed.
      return spawned_node{caf::actor_cast<caf::actor>(h), std::any(std::move(h))};
    };
  }

  template <class Handle>
  node_ref<Handle> add(node_kind kind, std::string id, std::string title, std::string does,
                       node_spawner s, bool pooled = false, pool_setting pool = {}) {
    node_ref<Handle> ref(id);
    insert(node{std::move(id), std::move(title), kind, std::move(does), std::move(s), pooled,
                std::move(pool)});
    return ref;
  }
  /// Keeps nodes_ in kind order, each kind in declaration order.
  void insert(node n);
  node_ref<caf::actor> add_untyped(node_kind kind, std::string id, std::string title,
                                   std::string does, spawner s);
  void add_edge(const std::string& from, const std::string& to, std::string message);
  std::string name_;
  std::vector<node> nodes_;
  std::vector<edge> edges_;
};

/// Spawns the pool of a pooled operation: pool_size() workers made by
/// `worker` (defined in engine/worker_pool.hpp, which pooled declarations
/// include).
template <class Request, class Reply>
pool_actor<Request, Reply> spawn_pool(spawn_context& ctx,
                                      typed_spawner<worker_actor<Request, Reply>> worker);

template <class Request, class Reply, class F>
node_ref<pool_actor<Request, Reply>> production::operation(std::string id, std::string title,
                                                           std::string does, F worker,
                                                           pool_setting pool) {
  static_assert(assignable<worker_actor<Request, Reply>, spawned_handle<F>>::value,
                "operation<Request, Reply>: the workers must answer Request with Reply");
  typed_spawner<worker_actor<Request, Reply>> make_worker = std::move(worker);
  auto spawn_it = typed([make_worker](spawn_context& ctx) {
    return spawn_pool<Request, Reply>(ctx, make_worker);
  });
  return add<pool_actor<Request, Reply>>(node_kind::operation, std::move(id), std::move(title),
                                         std::move(does), std::move(spawn_it), true,
                                         std::move(pool));
}

} // namespace engine
