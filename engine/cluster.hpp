// Spreading a production's pools over several machines with CAF's
// middleman (libcaf-io), over mutual TLS (libcaf-openssl) or over loopback
// only. The coordinator publishes an acceptor; a worker process connects,
// and each of its worker actors joins a named pool, where a local stand-in
// (the pool's remote_adapter) forwards jobs to it (engine/worker_pool.hpp).
//
//   worker process                        coordinator
//   remote_actor(host, port) ───────────► acceptor (published)
//   (join, pool, worker, interface, ...) ► acceptor ──(join ...)──► pool
//                                         pool ──Request──► stand-in ──► worker
//
// - Never anonymous TLS: CAF falls back to anonymous ciphers when no
//   openssl.* key is set, so TLS is used exactly when certificate, key and
//   CA file are all given; without them only loopback addresses are bound
//   or connected to.
// - middleman.app-identifiers names the application: another CAF
//   application is refused at the handshake. A worker's join carries its
//   version and a digest of its message types; the acceptor refuses one
//   that differs, and both sides log it. remote_actor checks the
//   acceptor's typed interface too, and a pool adopts a worker only when
//   the interface it declares is the pool's (engine::typed_remote).
// - Heartbeats and a connection timeout: a frozen peer (SIGSTOP) is
//   dropped like a killed one, and its pools' jobs move on.
#pragma once

#include "engine/interfaces.hpp"
#include "engine/messages.hpp"

#include <caf/all.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

namespace engine {

struct running_production;

/// The TLS files of one side; all three or none.
struct tls_files {
  std::string certificate; ///< PEM, signed by the CA
  std::string key;         ///< PEM private key of the certificate
  std::string cafile;      ///< PEM CA that signs the peers' certificates
  bool enabled() const { return !certificate.empty(); }
};

/// How a node of a cluster talks to the others.
struct cluster_net {
  tls_files tls;
  std::string app_id;   ///< the application's name: the handshake's gate
  /// Its version and message types ("app 1.2.3 (messages 1a2b3c4d)"):
  /// the acceptor takes only workers of the very same.
  std::string version;
  std::chrono::milliseconds heartbeat{1000};
  std::chrono::milliseconds connection_timeout{5000};
};

/// True for 127.0.0.1, ::1, localhost (and 127.x.y.z).
bool is_loopback(const std::string& host);

/// A digest of the message types registered in `cfg` (their names), so
/// that nodes with other messages are told apart: 8 hex digits.
std::string message_types_digest(const caf::actor_system_config& cfg);

/// Loads the middleman (and, with TLS files, the openssl manager) into
/// `cfg` with heartbeats, the connection timeout and the app identifier.
/// Call before the actor system is made.
void configure_cluster(caf::actor_system_config& cfg, const cluster_net& net);

/// join: (join, pool, worker, its interface, name, host, version) -> a
/// line about the coordinator; errc::refused for another version or an
/// unknown pool. (The pool refuses a worker of another interface.)
using acceptor_actor = caf::typed_actor<
  caf::replies_to<join_atom, std::string, caf::actor, std::vector<std::string>, std::string,
                  std::string, std::string>::with<std::string>>;

/// The pools of the running production that remote workers may join, and
/// the workers that joined (they are joined again to a respawned
/// production). Shared by the acceptor and the runner's on_spawned.
class cluster_pools {
public:
  /// A production was spawned: its pools among `names` take joins now
  /// (replacing those of the same name: a respawn), and the workers that
  /// joined those before join them. Pools of another production spawned
  /// beside it (names it does not have) stay.
  void attach(const running_production& running, const std::vector<std::string>& names);
  /// The pool `name`, or none.
  caf::actor pool(const std::string& name) const;
  void remember(const std::string& pool, const remote_worker& worker, const std::string& name,
                const std::string& host);
  void forget(const caf::actor_addr& worker);
  /// Drops every handle (before the actor system goes).
  void clear();

private:
  struct joined {
    std::string pool;
    remote_worker worker;
    std::string name;
    std::string host;
  };
  mutable std::mutex mu_;
  std::map<std::string, caf::actor> pools_;
  std::vector<joined> joined_;
};

/// Spawns the acceptor; `greeting` is its answer to a join; it takes
/// workers of `version` only.
acceptor_actor spawn_acceptor(caf::actor_system& sys, std::shared_ptr<cluster_pools> pools,
                              std::string greeting, std::string version);

/// Publishes the acceptor on host:port (TLS when net.tls is enabled, else
/// loopback only). The bound port, or the reason it could not be bound.
caf::expected<uint16_t> publish_acceptor(const acceptor_actor& acceptor, const std::string& host,
                                         uint16_t port, const cluster_net& net);

/// Connects to a published acceptor (TLS when net.tls is enabled, else
/// loopback only).
caf::expected<acceptor_actor> connect_acceptor(caf::actor_system& sys, const std::string& host,
                                               uint16_t port, const cluster_net& net);

} // namespace engine
