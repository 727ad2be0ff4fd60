// The mirror's bodies by sendfile(2): the file's pages go from the page
// cache to the socket with no copy through the mirror, as a CDN's server
// sends them (the benchmark's loopback runs share their cores with it).
//
// httplib 0.11.4 gives a handler neither its connection's socket nor a way
// to write a body but through its own writes, which need the bytes in
// memory. So the socket is found by its address pair (the request carries
// both ends), the body goes out with sendfile, and the content provider
// then ends the connection: the client has every byte that Content-Length
// announced, and the response said "Connection: close".
#include "tools/mirror/mirror_internal.hpp"

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>

#include <cerrno>
#include <cstdlib>
#include <memory>

namespace gaia::mirror_detail {

namespace {

/// The address and port of one end of a socket, as httplib writes them.
bool address_of(const sockaddr_storage& a, std::string& ip, int& port) {
  char text[INET6_ADDRSTRLEN] = {};
  if (a.ss_family == AF_INET) {
    const auto& v4 = reinterpret_cast<const sockaddr_in&>(a);
    port = ntohs(v4.sin_port);
    if (inet_ntop(AF_INET, &v4.sin_addr, text, sizeof text) == nullptr) return false;
  } else if (a.ss_family == AF_INET6) {
    const auto& v6 = reinterpret_cast<const sockaddr_in6&>(a);
    port = ntohs(v6.sin6_port);
    if (inet_ntop(AF_INET6, &v6.sin6_addr, text, sizeof text) == nullptr) return false;
  } else {
    return false;
  }
  ip = text;
  return true;
}

/// True when `fd` is the TCP connection from (remote_ip, remote_port) to
/// (local_ip, local_port).
bool is_connection(int fd, const httplib::Request& req) {
  struct stat st {};
  if (::fstat(fd, &st) != 0 || !S_ISSOCK(st.st_mode)) return false;
  sockaddr_storage local{}, peer{};
  socklen_t n = sizeof local;
  if (::getsockname(fd, reinterpret_cast<sockaddr*>(&local), &n) != 0) return false;
  n = sizeof peer;
  if (::getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &n) != 0) return false;
  std::string local_ip, peer_ip;
  int local_port = -1, peer_port = -1;
  return address_of(local, local_ip, local_port) && address_of(peer, peer_ip, peer_port) &&
         local_port == req.local_port && peer_port == req.remote_port &&
         local_ip == req.local_addr && peer_ip == req.remote_addr;
}

} // namespace

int connection_socket(const httplib::Request& req) {
  if (req.local_port <= 0 || req.remote_port <= 0) return -1;
  std::unique_ptr<DIR, int (*)(DIR*)> dir(::opendir("/proc/self/fd"), &::closedir);
  if (!dir) return -1;
  // A connection's address pair is unique among the live sockets, and this
  // one lives while its request is being answered.
  while (const dirent* e = ::readdir(dir.get())) {
    char* end = nullptr;
    const long fd = std::strtol(e->d_name, &end, 10);
    if (end == e->d_name || *end != '\0' || fd == ::dirfd(dir.get())) continue;
    if (is_connection(static_cast<int>(fd), req)) return static_cast<int>(fd);
  }
  return -1;
}

bool send_file_range(int sock, int fd, uint64_t offset, uint64_t length, int timeout_s) {
  // A client that takes no byte for timeout_s is given up, as httplib's
  // own writes do.
  timeval tv{timeout_s, 0};
  ::setsockopt(sock, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  off_t at = static_cast<off_t>(offset);
  while (length > 0) {
    const ssize_t sent = ::sendfile(sock, fd, &at, static_cast<size_t>(length));
    if (sent < 0 && errno == EINTR) continue;
    if (sent <= 0) return false; // the client is gone or stalled, or the file shrank
    length -= static_cast<uint64_t>(sent);
  }
  return true;
}

} // namespace gaia::mirror_detail
