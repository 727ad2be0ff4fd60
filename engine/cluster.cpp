// The acceptor of remote workers and the middleman's setup (see
// engine/cluster.hpp). The only file of the engine that uses libcaf-io and
// libcaf-openssl.
#include "engine/cluster.hpp"

#include "engine/log.hpp"
#include "engine/spawn.hpp"
#include "engine/tls_guard.hpp"

#include <caf/io/all.hpp>
#include <caf/openssl/all.hpp>

#include <algorithm>
#include <cstdio>


namespace engine {

bool is_loopback(const std::string& host) {
  return host == "localhost" || host == "::1" || host.rfind("127.", 0) == 0;
}

std::string message_types_digest(const caf::actor_system_config& cfg) {
  // FNV-1a over the sorted names (the map is ordered by name).
  uint32_t h = 2166136261u;
  for (const auto& kv : cfg.value_factories_by_name) {
    for (unsigned char c : kv.first) h = (h ^ c) * 16777619u;
    h = (h ^ 0u) * 16777619u;
  }
  char buf[9];
  std::snprintf(buf, sizeof buf, "%08x", h);
  return buf;
}

void configure_cluster(caf::actor_system_config& cfg, const cluster_net& net) {
  cfg.load<caf::io::middleman>();
  if (net.tls.enabled()) {
    // A TLS handshake takes a few round trips; a peer that connects and
    // never finishes one (a stalled or hostile client) is cut off rather
    // than holding a connection for good.
    set_tls_handshake_limit(std::max(std::chrono::milliseconds(1000),
                                     net.connection_timeout / 2));
    cfg.load<caf::openssl::manager>();
    cfg.openssl_certificate = net.tls.certificate;
    cfg.openssl_key = net.tls.key;
    cfg.openssl_cafile = net.tls.cafile;
  }
  cfg.set("middleman.app-identifiers", std::vector<std::string>{net.app_id});
  cfg.set("middleman.heartbeat-interval", caf::timespan{net.heartbeat});
  cfg.set("middleman.connection-timeout", caf::timespan{net.connection_timeout});
}

void cluster_pools::offer(const std::vector<std::string>& names) {
  std::lock_guard<std::mutex> lock(mu_);
  offered_.insert(offered_.end(), names.begin(), names.end());
}

bool cluster_pools::offered(const std::string& name) const {
  std::lock_guard<std::mutex> lock(mu_);
  return std::find(offered_.begin(), offered_.end(), name) != offered_.end();
}

void cluster_pools::attach(const running_production& running,
                           const std::vector<std::string>& names) {
  std::lock_guard<std::mutex> lock(mu_);
  std::map<std::string, caf::actor> mine; // this production's: other ones' stay
  for (const auto& n : names) {
    auto i = running.actors.find(n);
    if (i != running.actors.end()) mine[n] = pools_[n] = i->second;
  }
  for (const auto& j : joined_) {
    auto p = mine.find(j.pool);
    if (p != mine.end())
      caf::anon_send(p->second, join_atom::value, j.worker.handle, j.worker.interface, j.name,
                     j.host);
  }
}

caf::actor cluster_pools::pool(const std::string& name) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto i = pools_.find(name);
  return i == pools_.end() ? caf::actor{} : i->second;
}

void cluster_pools::remember(const std::string& pool, const remote_worker& worker,
                             const std::string& name, const std::string& host) {
  std::lock_guard<std::mutex> lock(mu_);
  joined_.push_back({pool, worker, name, host});
}

void cluster_pools::forget(const caf::actor_addr& worker) {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto i = joined_.begin(); i != joined_.end();)
    i = i->worker.handle.address() == worker ? joined_.erase(i) : i + 1;
}

void cluster_pools::clear() {
  std::lock_guard<std::mutex> lock(mu_);
  pools_.clear();
  joined_.clear();
}


namespace {

struct acceptor_state {
  std::shared_ptr<cluster_pools> pools;
  std::string greeting;
  std::string version;
};

acceptor_actor::behavior_type
acceptor(acceptor_actor::stateful_pointer<acceptor_state> self,
         std::shared_ptr<cluster_pools> pools, std::string greeting, std::string version) {
  self->state.pools = std::move(pools);
  self->state.greeting = std::move(greeting);
  self->state.version = std::move(version);
  self->set_down_handler([self](caf::down_msg& dm) {
    self->state.pools->forget(dm.source);
  });
  return {
    [self](join_atom, const std::string& pool, const caf::actor& worker,
           const std::vector<std::string>& interface, const std::string& name,
           const std::string& host,
           const std::string& version) -> caf::result<std::string> {
      auto& st = self->state;
      if (version != st.version) {
        auto why = "it is " + version + ", this coordinator is " + st.version;
        log_line("cluster", "refused " + name + "@" + host + ": " + why);
        return make_error(errc::refused, why);
      }
      auto p = st.pools->pool(pool);
      if (!worker || (!p && !st.pools->offered(pool))) {
        // Not logged: a worker offers every pool it can run, and a
        // coordinator runs some of them (`lightcurves` no download pool,
        // `run` no select pool); the worker says once which of its slots
        // stay idle.
        return make_error(errc::refused, "no pool " + pool + " takes remote workers");
      }
      self->monitor(worker);
      st.pools->remember(pool, remote_worker{worker, interface}, name, host);
      // An offered pool that no running production has: the worker joins
      // it when a production with it is spawned (attach).
      if (p) caf::anon_send(p, join_atom::value, worker, interface, name, host);
      return st.greeting;
    },
  };
}

} // namespace

acceptor_actor spawn_acceptor(caf::actor_system& sys, std::shared_ptr<cluster_pools> pools,
                              std::string greeting, std::string version) {
  return sys.spawn(acceptor, std::move(pools), std::move(greeting), std::move(version));
}

caf::expected<uint16_t> publish_acceptor(const acceptor_actor& acceptor, const std::string& host,
                                         uint16_t port, const cluster_net& net) {
  if (net.tls.enabled())
    return caf::openssl::publish(acceptor, port, host.c_str(), true);
  if (!is_loopback(host))
    return make_error(errc::refused, "without TLS files the coordinator listens on loopback "
                                     "only, not on " + host);
  return caf::io::publish(acceptor, port, host.c_str(), true);
}

caf::expected<acceptor_actor> connect_acceptor(caf::actor_system& sys, const std::string& host,
                                               uint16_t port, const cluster_net& net) {
  if (!net.tls.enabled() && !is_loopback(host))
    return make_error(errc::refused, "without TLS files a worker connects over loopback "
                                     "only, not to " + host);
  // What caf::openssl::remote_actor and middleman::remote_actor do, with a
  // time limit: a peer that accepts the connection but never finishes the
  // handshake must not hold the worker forever.
  auto mm = net.tls.enabled() ? sys.openssl_manager().actor_handle()
                              : sys.middleman().actor_handle();
  auto f = caf::make_function_view(mm, caf::duration{2 * net.connection_timeout});
  const auto started = std::chrono::steady_clock::now();
  auto res = f(caf::connect_atom::value, host, port);
  if (!res) {
    // CAF says only disconnect_during_handshake: say why the TLS layer
    // refused (the coordinator's certificate is not of our CA, ours is not
    // of its CA, ...).
    const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(
      std::chrono::steady_clock::now() - started);
    auto why = net.tls.enabled() ? tls_refusal_from(port, took + std::chrono::milliseconds(100))
                                 : std::string();
    if (!why.empty()) return make_error(errc::refused, "TLS handshake failed (" + why + ")");
    return std::move(res.error());
  }
  auto& ptr = std::get<1>(*res);
  if (!ptr) return caf::make_error(caf::sec::no_actor_published_at_port, port);
  if (!sys.assignable(std::get<2>(*res), sys.message_types<acceptor_actor>()))
    return caf::make_error(caf::sec::unexpected_actor_messaging_interface);
  return caf::actor_cast<acceptor_actor>(std::move(ptr));
}

} // namespace engine
