// The acceptor of remote workers and the middleman's setup (see
// engine/cluster.hpp). The only file of the engine that uses libcaf-io and
// libcaf-openssl.
#include "engine/cluster.hpp"

#include "engine/log.hpp"
#include "engine/spawn.hpp"

#include <caf/io/all.hpp>
#include <cstdio>
#include <caf/openssl/all.hpp>

#include <arpa/inet.h>
#include <dlfcn.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

// CAF 0.17's TLS sessions (libcaf_openssl, session.cpp) never clear
// OpenSSL's per-thread error queue: a peer that fails the handshake (no
// certificate of the CA) leaves its errors there, and the next SSL_read of
// another, healthy connection on the same multiplexer thread is reported as
// failed (SSL_get_error looks at the queue): one refused peer would knock
// authenticated workers off. OpenSSL asks callers to clear the queue before
// each I/O call; these definitions, in the executable, come before libssl's
// in the dynamic linker's lookup and do that, then call libssl's. Harmless
// for the other users of libssl in the process (libcurl clears it too).
namespace engine {
namespace {

/// "10.0.0.7:51234", the other end of socket `fd` ("?" when unknown).
std::string peer_of(int fd) {
  sockaddr_storage a{};
  socklen_t len = sizeof a;
  if (fd < 0 || ::getpeername(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) return "?";
  char host[INET6_ADDRSTRLEN] = "?";
  uint16_t port = 0;
  if (a.ss_family == AF_INET) {
    auto* in = reinterpret_cast<sockaddr_in*>(&a);
    ::inet_ntop(AF_INET, &in->sin_addr, host, sizeof host);
    port = ntohs(in->sin_port);
  } else if (a.ss_family == AF_INET6) {
    auto* in = reinterpret_cast<sockaddr_in6*>(&a);
    ::inet_ntop(AF_INET6, &in->sin6_addr, host, sizeof host);
    port = ntohs(in->sin6_port);
  }
  return std::string(host) + ":" + std::to_string(port);
}

/// Logs a refused peer: once per host and reason a minute (a refused
/// worker retries every few seconds).
void note_refused(const std::string& peer, const std::string& reason) {
  static std::mutex mu;
  static std::map<std::string, std::chrono::steady_clock::time_point> last;
  const auto host = peer.substr(0, peer.rfind(':'));
  const auto now = std::chrono::steady_clock::now();
  {
    std::lock_guard<std::mutex> lock(mu);
    auto& t = last[host + " " + reason];
    if (t.time_since_epoch().count() != 0 && now - t < std::chrono::minutes(1)) return;
    t = now;
  }
  log_line("cluster", "refused a connection from " + peer + ": TLS handshake failed (" + reason
                        + ")");
}

} // namespace
} // namespace engine

extern "C" {
int SSL_read(SSL* s, void* buf, int num) {
  static auto real = reinterpret_cast<int (*)(SSL*, void*, int)>(dlsym(RTLD_NEXT, "SSL_read"));
  ERR_clear_error();
  return real(s, buf, num);
}
int SSL_write(SSL* s, const void* buf, int num) {
  static auto real =
    reinterpret_cast<int (*)(SSL*, const void*, int)>(dlsym(RTLD_NEXT, "SSL_write"));
  ERR_clear_error();
  return real(s, buf, num);
}
// Only CAF's TLS layer accepts connections in this process (libcurl only
// connects): a handshake that fails here is a peer refused, said in the log.
int SSL_accept(SSL* s) {
  static auto real = reinterpret_cast<int (*)(SSL*)>(dlsym(RTLD_NEXT, "SSL_accept"));
  ERR_clear_error();
  const int r = real(s);
  if (r <= 0 && SSL_get_error(s, r) == SSL_ERROR_SSL) {
    char reason[256] = "unknown reason";
    if (auto e = ERR_peek_error()) ERR_error_string_n(e, reason, sizeof reason);
    engine::note_refused(engine::peer_of(SSL_get_fd(s)), reason);
  }
  return r;
}
int SSL_connect(SSL* s) {
  static auto real = reinterpret_cast<int (*)(SSL*)>(dlsym(RTLD_NEXT, "SSL_connect"));
  ERR_clear_error();
  return real(s);
}
}

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
    cfg.load<caf::openssl::manager>();
    cfg.openssl_certificate = net.tls.certificate;
    cfg.openssl_key = net.tls.key;
    cfg.openssl_cafile = net.tls.cafile;
  }
  cfg.set("middleman.app-identifiers", std::vector<std::string>{net.app_id});
  cfg.set("middleman.heartbeat-interval", caf::timespan{net.heartbeat});
  cfg.set("middleman.connection-timeout", caf::timespan{net.connection_timeout});
}

void cluster_pools::attach(const running_production& running,
                           const std::vector<std::string>& names) {
  std::lock_guard<std::mutex> lock(mu_);
  pools_.clear();
  for (const auto& n : names) {
    auto i = running.actors.find(n);
    if (i != running.actors.end()) pools_[n] = i->second;
  }
  for (const auto& j : joined_) {
    auto p = pools_.find(j.pool);
    if (p != pools_.end())
      caf::anon_send(p->second, join_atom::value, j.worker, j.name, j.host);
  }
}

caf::actor cluster_pools::pool(const std::string& name) const {
  std::lock_guard<std::mutex> lock(mu_);
  auto i = pools_.find(name);
  return i == pools_.end() ? caf::actor{} : i->second;
}

void cluster_pools::remember(const std::string& pool, const caf::actor& worker,
                             const std::string& name, const std::string& host) {
  std::lock_guard<std::mutex> lock(mu_);
  joined_.push_back({pool, worker, name, host});
}

void cluster_pools::forget(const caf::actor_addr& worker) {
  std::lock_guard<std::mutex> lock(mu_);
  for (auto i = joined_.begin(); i != joined_.end();)
    i = i->worker.address() == worker ? joined_.erase(i) : i + 1;
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
           const std::string& name, const std::string& host,
           const std::string& version) -> caf::result<std::string> {
      auto& st = self->state;
      if (version != st.version) {
        auto why = "it is " + version + ", this coordinator is " + st.version;
        log_line("cluster", "refused " + name + "@" + host + ": " + why);
        return make_error(errc::refused, why);
      }
      auto p = st.pools->pool(pool);
      if (!p || !worker) {
        log_line("cluster", "refused " + name + "@" + host + ": no pool " + pool
                              + " takes remote workers");
        return make_error(errc::refused, "no pool " + pool + " takes remote workers");
      }
      self->monitor(worker);
      st.pools->remember(pool, worker, name, host);
      caf::anon_send(p, join_atom::value, worker, name, host);
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
  auto res = f(caf::connect_atom::value, host, port);
  if (!res) return std::move(res.error());
  auto& ptr = std::get<1>(*res);
  if (!ptr) return caf::make_error(caf::sec::no_actor_published_at_port, port);
  if (!sys.assignable(std::get<2>(*res), sys.message_types<acceptor_actor>()))
    return caf::make_error(caf::sec::unexpected_actor_messaging_interface);
  return caf::actor_cast<acceptor_actor>(std::move(ptr));
}

} // namespace engine
