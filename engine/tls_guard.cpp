// The interposed libc and libssl calls around CAF 0.17.6's TLS layer (see
// engine/tls_guard.hpp). Definitions in the executable come before libc's
// and libssl's in the dynamic linker's lookup, so libcaf_io and
// libcaf_openssl call these; each does its bookkeeping and calls the real
// one (dlsym RTLD_NEXT). Harmless for the other users in the process: the
// web server's accept() is only noted, libcurl clears the error queue too
// and only connects.
#include "engine/tls_guard.hpp"

#include "engine/log.hpp"

#include <algorithm>
#include <cstdio>
#include <condition_variable>
#include <cstring>
#include <map>
#include <mutex>
#include <thread>
#include <unordered_map>

#include <arpa/inet.h>
#include <dlfcn.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

namespace engine {
namespace {

using steady = std::chrono::steady_clock;

/// "10.0.0.7:51234" (IPv6: "[::1]:51234"); "" for another family.
std::string address_text(const sockaddr_storage& a) {
  char host[INET6_ADDRSTRLEN] = "";
  if (a.ss_family == AF_INET) {
    auto* in = reinterpret_cast<const sockaddr_in*>(&a);
    ::inet_ntop(AF_INET, &in->sin_addr, host, sizeof host);
    return std::string(host) + ":" + std::to_string(ntohs(in->sin_port));
  }
  if (a.ss_family == AF_INET6) {
    auto* in = reinterpret_cast<const sockaddr_in6*>(&a);
    ::inet_ntop(AF_INET6, &in->sin6_addr, host, sizeof host);
    return "[" + std::string(host) + "]:" + std::to_string(ntohs(in->sin6_port));
  }
  return "";
}

/// The other end of socket `fd` now, "" when it cannot be known (a peer
/// that reset the connection is no longer named by getpeername).
std::string peer_of(int fd) {
  sockaddr_storage a{};
  socklen_t len = sizeof a;
  if (fd < 0 || ::getpeername(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) return "";
  return address_text(a);
}

uint16_t peer_port_of(int fd) {
  sockaddr_storage a{};
  socklen_t len = sizeof a;
  if (fd < 0 || ::getpeername(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) return 0;
  if (a.ss_family == AF_INET) return ntohs(reinterpret_cast<sockaddr_in*>(&a)->sin_port);
  if (a.ss_family == AF_INET6) return ntohs(reinterpret_cast<sockaddr_in6*>(&a)->sin6_port);
  return 0;
}

/// A server-side handshake under way.
struct pending_handshake {
  int fd = -1;
  std::string peer;
  steady::time_point deadline;
  bool cut_off = false; ///< shut down for taking too long
};

/// A handshake this process started that the peer (or this side) refused.
struct refusal {
  std::string reason;
  steady::time_point at;
};

/// Everything the hooks share. Never destroyed: the watchdog thread and
/// late TLS calls may outlive static destructors at exit.
struct guard_state {
  std::mutex mu;
  std::condition_variable wake;
  std::chrono::milliseconds limit{0};
  bool watching = false;
  std::unordered_map<int, std::string> accepted; ///< fd -> peer, as accept() saw it
  std::map<SSL*, pending_handshake> pending;
  std::map<SSL*, uint16_t> client_port; ///< handshakes this process started
  std::map<uint16_t, refusal> refused;  ///< by the peer's port
  std::map<std::string, steady::time_point> last_logged; ///< "host reason"
};

guard_state& state() {
  static auto* st = new guard_state;
  return *st;
}

/// Cuts off the handshakes past their deadline: shutdown() wakes the
/// multiplexer, whose next SSL_accept fails and closes the connection.
/// shutdown() runs under the lock and SSL_free takes it too, so the socket
/// is still this handshake's (the session is freed before it is closed).
void watch() {
  auto& st = state();
  std::unique_lock<std::mutex> lock(st.mu);
  for (;;) {
    const auto now = steady::now();
    auto next = now + std::chrono::hours(1);
    for (auto& [ssl, p] : st.pending) {
      if (p.cut_off) continue;
      if (p.deadline <= now) {
        p.cut_off = true;
        ::shutdown(p.fd, SHUT_RDWR);
      } else {
        next = std::min(next, p.deadline);
      }
    }
    st.wake.wait_until(lock, next);
  }
}

/// Logs a refused peer: once per host and reason a minute (a refused
/// worker retries every few seconds). Peers whose address is unknown share
/// one host.
void note_refused(const std::string& peer, const std::string& reason) {
  auto& st = state();
  const auto shown = peer.empty() ? std::string("an unknown peer") : peer;
  const auto host = peer.empty() ? shown : peer.substr(0, peer.rfind(':'));
  const auto now = steady::now();
  {
    std::lock_guard<std::mutex> lock(st.mu);
    auto& t = st.last_logged[host + " " + reason];
    if (t.time_since_epoch().count() != 0 && now - t < std::chrono::minutes(1)) return;
    t = now;
  }
  log_line("cluster", "refused a connection from " + shown + ": TLS handshake failed (" + reason
                        + ")");
}

std::string first_error_text() {
  char reason[256] = "unknown reason";
  if (auto e = ERR_peek_error()) ERR_error_string_n(e, reason, sizeof reason);
  return reason;
}

bool fatal(int ssl_error) {
  return ssl_error != SSL_ERROR_WANT_READ && ssl_error != SSL_ERROR_WANT_WRITE;
}

/// A handshake this process started failed: remember why, by the peer's
/// port, for tls_refusal_from.
void note_client_failure(SSL* s) {
  auto& st = state();
  const auto why = first_error_text();
  std::lock_guard<std::mutex> lock(st.mu);
  auto i = st.client_port.find(s);
  if (i == st.client_port.end() || i->second == 0) return;
  st.refused[i->second] = {why, steady::now()};
}

/// "2.5 s".
std::string seconds_text(std::chrono::milliseconds ms) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g s", static_cast<double>(ms.count()) / 1000.0);
  return buf;
}

template <class F>
F real(const char* name) {
  return reinterpret_cast<F>(dlsym(RTLD_NEXT, name));
}

} // namespace

void set_tls_handshake_limit(std::chrono::milliseconds limit) {
  auto& st = state();
  std::lock_guard<std::mutex> lock(st.mu);
  st.limit = limit;
  if (limit.count() > 0 && !st.watching) {
    st.watching = true;
    std::thread(watch).detach();
  }
}

std::string tls_refusal_from(uint16_t port, std::chrono::milliseconds within) {
  auto& st = state();
  std::lock_guard<std::mutex> lock(st.mu);
  auto i = st.refused.find(port);
  if (i == st.refused.end() || steady::now() - i->second.at > within) return "";
  return i->second.reason;
}

} // namespace engine

extern "C" {

// The peer as accept() returns it: even a connection already reset by its
// peer is named here, where getpeername() would fail.
int accept(int fd, sockaddr* addr, socklen_t* len) {
  static auto next = engine::real<int (*)(int, sockaddr*, socklen_t*)>("accept");
  sockaddr_storage a{};
  socklen_t n = sizeof a;
  const int r = next(fd, reinterpret_cast<sockaddr*>(&a), &n);
  if (r < 0) return r;
  if (addr != nullptr && len != nullptr) {
    std::memcpy(addr, &a, std::min<socklen_t>(*len, n));
    *len = n;
  }
  auto peer = engine::address_text(a);
  auto& st = engine::state();
  std::lock_guard<std::mutex> lock(st.mu);
  if (peer.empty())
    st.accepted.erase(r);
  else
    st.accepted[r] = std::move(peer);
  return r;
}

// CAF calls it once per accepted connection, right after SSL_set_fd: the
// handshake's clock starts.
void SSL_set_accept_state(SSL* s) {
  static auto next = engine::real<void (*)(SSL*)>("SSL_set_accept_state");
  next(s);
  const int fd = SSL_get_fd(s);
  auto& st = engine::state();
  std::string peer;
  {
    std::lock_guard<std::mutex> lock(st.mu);
    auto i = st.accepted.find(fd);
    if (i != st.accepted.end()) peer = i->second;
  }
  if (peer.empty()) peer = engine::peer_of(fd);
  std::lock_guard<std::mutex> lock(st.mu);
  engine::pending_handshake p;
  p.fd = fd;
  p.peer = std::move(peer);
  p.deadline = engine::steady::now() + st.limit;
  if (st.limit.count() <= 0) p.deadline = engine::steady::time_point::max();
  st.pending[s] = std::move(p);
  st.wake.notify_one();
}

void SSL_free(SSL* s) {
  static auto next = engine::real<void (*)(SSL*)>("SSL_free");
  {
    auto& st = engine::state();
    std::lock_guard<std::mutex> lock(st.mu);
    st.pending.erase(s);
    st.client_port.erase(s);
  }
  next(s);
}

// CAF 0.17's TLS sessions (libcaf_openssl, session.cpp) never clear
// OpenSSL's per-thread error queue: a peer that fails the handshake (no
// certificate of the CA) leaves its errors there, and the next SSL_read of
// another, healthy connection on the same multiplexer thread is reported as
// failed (SSL_get_error looks at the queue): one refused peer would knock
// authenticated workers off. OpenSSL asks callers to clear the queue before
// each I/O call.
int SSL_read(SSL* s, void* buf, int num) {
  static auto next = engine::real<int (*)(SSL*, void*, int)>("SSL_read");
  ERR_clear_error();
  const int r = next(s, buf, num);
  // A refusal the peer sends after our side of the handshake finished
  // (TLS 1.3: the server checks the client's certificate last).
  if (r <= 0 && !SSL_is_server(s) && SSL_get_error(s, r) == SSL_ERROR_SSL)
    engine::note_client_failure(s);
  return r;
}

int SSL_write(SSL* s, const void* buf, int num) {
  static auto next = engine::real<int (*)(SSL*, const void*, int)>("SSL_write");
  ERR_clear_error();
  const int r = next(s, buf, num);
  if (r <= 0 && !SSL_is_server(s) && SSL_get_error(s, r) == SSL_ERROR_SSL)
    engine::note_client_failure(s);
  return r;
}

// Only CAF's TLS layer accepts connections in this process (libcurl only
// connects): a handshake that fails here is a peer refused, said in the log
// with the address accept() saw.
int SSL_accept(SSL* s) {
  static auto next = engine::real<int (*)(SSL*)>("SSL_accept");
  ERR_clear_error();
  const int r = next(s);
  if (r == 1) {
    auto& st = engine::state();
    std::lock_guard<std::mutex> lock(st.mu);
    st.pending.erase(s);
    return r;
  }
  const int err = SSL_get_error(s, r);
  if (!engine::fatal(err)) return r;
  auto reason = engine::first_error_text();
  std::string peer;
  bool known = false;
  bool cut_off = false;
  std::chrono::milliseconds limit{0};
  {
    auto& st = engine::state();
    std::lock_guard<std::mutex> lock(st.mu);
    auto i = st.pending.find(s);
    if (i != st.pending.end()) {
      known = true;
      peer = i->second.peer;
      cut_off = i->second.cut_off;
      limit = st.limit;
      st.pending.erase(i); // logged once, however often CAF calls again
    }
  }
  // Not known: this handshake's failure was logged already (CAF calls
  // again from its write path).
  if (known && cut_off)
    engine::note_refused(peer, "not finished within " + engine::seconds_text(limit));
  else if (known && err == SSL_ERROR_SSL)
    engine::note_refused(peer, reason);
  return r;
}

int SSL_connect(SSL* s) {
  static auto next = engine::real<int (*)(SSL*)>("SSL_connect");
  ERR_clear_error();
  {
    auto& st = engine::state();
    std::lock_guard<std::mutex> lock(st.mu);
    if (!st.client_port.count(s)) st.client_port[s] = engine::peer_port_of(SSL_get_fd(s));
  }
  const int r = next(s);
  if (r <= 0 && SSL_get_error(s, r) == SSL_ERROR_SSL) engine::note_client_failure(s);
  return r;
}

} // extern "C"
