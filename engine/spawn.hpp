// Spawns a production exactly as declared: each node in dependency order,
// each given only the peers its declared edges name, pooled operations
// wrapped in a pull-based worker pool of the configured size.
#pragma once

#include "engine/production.hpp"
#include "engine/run_control.hpp"
#include "engine/trace.hpp"

#include <caf/all.hpp>

#include <algorithm>
#include <any>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <vector>

namespace engine {

/// The node id of each actor of a running production, by address: the
/// trace names the node that sent a message. Filled in as spawn() goes.
class actor_names {
public:
  void add(const caf::actor& a, const std::string& id) {
    std::lock_guard<std::mutex> lock(mu_);
    names_[a.address()] = id;
  }
  /// The node id of `sender`, or "" when it is none of the production's.
  std::string find(const caf::strong_actor_ptr& sender) const {
    if (!sender) return {};
    std::lock_guard<std::mutex> lock(mu_);
    auto i = names_.find(caf::actor_cast<caf::actor_addr>(sender));
    return i == names_.end() ? std::string() : i->second;
  }

private:
  mutable std::mutex mu_;
  std::map<caf::actor_addr, std::string> names_;
};

struct running_production;

/// How to spawn a production.
struct spawn_options {
  pool_sizes sizes;                   ///< none: every pool its default size
  caf::duration job_timeout = caf::infinite; ///< one job of a pool, once started
  std::string job_timeout_text = "no reply in time"; ///< the error a late job gets
  std::shared_ptr<run_control> runs;  ///< none: a new one
  std::shared_ptr<trace_sink> trace;  ///< none: no tracing
  /// The service: one run now, then report it to `listener` and stop
  /// (a command like `run`); serving, `listener` hears of a changed config.
  bool run_once = false;
  caf::actor listener;
  /// The pools that take remote workers, by node id, and how: each a
  /// remote_adapter<Request, Reply> of that pool's messages
  /// (engine/interfaces.hpp; another type stops the spawn).
  std::map<std::string, std::any> remote_adapters;
  /// Told of every spawned production (the cluster's acceptor learns its
  /// pools this way).
  std::function<void(const running_production&)> on_spawned;
};

/// What a spawner may use: the system, its node, and the actors its node's
/// declared edges lead to (and no others). A copy stays valid after
/// spawn() returns (a pool makes replacement workers with it).
class spawn_context {
public:
  spawn_context(caf::actor_system& sys, const production& prod, const node& n,
                const spawn_options& opts,
                std::map<std::string, spawned_node> spawned,
                std::shared_ptr<actor_names> names = nullptr)
    : sys_(&sys), prod_name_(prod.name()), node_(n), opts_(opts),
      spawned_(std::move(spawned)), names_(std::move(names)) {
    for (const auto& e : prod.edges()) {
      if (e.from == n.id) peers_.push_back(e.to);
      if (e.to == n.id && std::find(senders_.begin(), senders_.end(), e.from) == senders_.end())
        senders_.push_back(e.from);
    }
  }

  caf::actor_system& system() const { return *sys_; }
  const node& self() const { return node_; }
  const std::shared_ptr<run_control>& runs() const { return opts_.runs; }
  const std::shared_ptr<trace_sink>& trace() const { return opts_.trace; }
  caf::duration job_timeout() const { return opts_.job_timeout; }
  bool run_once() const { return opts_.run_once; }
  const caf::actor& listener() const { return opts_.listener; }
  /// What a job over the time limit is told ("no reply within
  /// request_timeout_s").
  const std::string& job_timeout_text() const { return opts_.job_timeout_text; }
  /// How this node's pool (of Request -> Reply) adopts remote workers;
  /// none: it takes none. Throws std::logic_error for an adapter of other
  /// messages.
  template <class Request, class Reply>
  remote_adapter<Request, Reply> remote_adapter_of() const {
    auto i = opts_.remote_adapters.find(node_.id);
    if (i == opts_.remote_adapters.end()) return nullptr;
    const auto* a = std::any_cast<remote_adapter<Request, Reply>>(&i->second);
    if (a == nullptr)
      throw std::logic_error("production " + prod_name_ + ": the remote adapter of " + node_.id
                             + " is not for its messages");
    return *a;
  }
  int pool_size() const;

  /// The node id of the actor that sent a message to this node, for the
  /// trace: looked up by address, else the only node declared to send here.
  std::string name_of(const caf::strong_actor_ptr& sender) const {
    auto found = names_ ? names_->find(sender) : std::string();
    if (found.empty() && senders_.size() == 1) return senders_.front();
    return found;
  }

  /// The actor of node `to`, untyped; throws std::logic_error unless an
  /// edge from this node to `to` is declared.
  caf::actor peer(const std::string& to) const { return spawned_peer(to).actor; }

  /// The handle of node `to`, of the type its declaration gave it; throws
  /// std::logic_error unless an edge from this node to `to` is declared.
  template <class Handle>
  Handle peer(const node_ref<Handle>& to) const {
    // The node's declaration stored its handle as Handle, so this holds
    // unless `to` refers to a node of another production of the same id.
    const Handle* h = std::any_cast<Handle>(&spawned_peer(to.id()).handle);
    if (h == nullptr)
      throw std::logic_error("production " + prod_name_ + ": node '" + to.id()
                             + "' is not of the type " + node_.id + " refers to");
    return *h;
  }

private:
  const spawned_node& spawned_peer(const std::string& to) const;

  caf::actor_system* sys_;
  std::string prod_name_;
  node node_;
  spawn_options opts_;
  std::map<std::string, spawned_node> spawned_;
  std::vector<std::string> peers_; ///< declared edges from this node
  std::vector<std::string> senders_; ///< nodes with declared edges to it
  std::shared_ptr<actor_names> names_;
};

/// The running actors of a production.
struct running_production {
  std::map<std::string, caf::actor> actors; ///< by node id
  std::shared_ptr<run_control> runs;

  const caf::actor& at(const std::string& id) const { return actors.at(id); }
  /// Sends every actor an exit (user_shutdown).
  void shutdown() const;
};

/// Validates and spawns `prod`. Throws std::logic_error for a declaration
/// that does not hold together (production::validate) or a spawner that
/// asks for an undeclared peer.
running_production spawn(caf::actor_system& sys, const production& prod,
                         spawn_options opts = {});

} // namespace engine
