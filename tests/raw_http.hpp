// For tests that treat the live page as a server on a network: raw
// loopback sockets that send what a real client would not (a head a byte at
// a time, nothing at all, 300 MB of header), probes with a time budget,
// and a process's peak memory.
#pragma once

#include "tests/proc_status.hpp"
#include "tests/test_util.hpp"

#include <httplib.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <fstream>
#include <string>
#include <sys/types.h>

namespace gaia::test {

/// A socket connected to 127.0.0.1:port, or -1 when the connection is
/// not made within 3 s. `nonblocking`: the connect may still be under way
/// (and the socket stays non-blocking).
inline int connect_loopback(int port, bool nonblocking = false) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return -1;
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  a.sin_port = htons(static_cast<uint16_t>(port));
  bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
  if (!ok && errno == EINPROGRESS) {
    if (nonblocking) return fd;
    pollfd p{fd, POLLOUT, 0};
    int err = 0;
    socklen_t len = sizeof err;
    ok = ::poll(&p, 1, 3000) == 1
         && ::getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) == 0 && err == 0;
  }
  if (!ok) {
    ::close(fd);
    return -1;
  }
  if (!nonblocking) ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_NONBLOCK);
  return fd;
}

/// GET `path`: the status, or 0 when there was no answer within about
/// `budget_s` seconds (connect and read each).
inline int probe(int port, const std::string& path, int budget_s) {
  httplib::Client c("127.0.0.1", port);
  c.set_connection_timeout(budget_s, 0);
  c.set_read_timeout(budget_s, 0);
  c.set_write_timeout(budget_s, 0);
  auto r = c.Get(path.c_str());
  return r ? r->status : 0;
}

/// At least `want` open files for this process (and the children it
/// starts later); false when the hard limit does not allow it.
inline bool raise_open_files(rlim_t want) {
  rlimit rl{};
  if (::getrlimit(RLIMIT_NOFILE, &rl) != 0) return false;
  if (rl.rlim_cur >= want) return true;
  if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < want) return false;
  rl.rlim_cur = want;
  return ::setrlimit(RLIMIT_NOFILE, &rl) == 0;
}

/// What came back for a request streamed by send_huge().
struct huge_result {
  std::string answer;     ///< what the server sent (its status line first)
  uint64_t sent = 0;      ///< bytes of the request that went out
  bool closed = false;    ///< the server closed or reset the connection
};

/// Sends `head`, then `filler_bytes` of 'a' in 64 KiB pieces without
/// ever holding them (a header line or a body that is never allocated),
/// reading whatever the server answers meanwhile; stops when the server
/// answered and closed, or after `quiet_s` seconds without progress.
inline huge_result send_huge(int port, const std::string& head, uint64_t filler_bytes,
                             int quiet_s = 10) {
  huge_result out;
  int fd = connect_loopback(port, true);
  if (fd < 0) {
    out.closed = true;
    return out;
  }
  const std::string piece(64 * 1024, 'a');
  std::string pending = head;
  uint64_t filler_left = filler_bytes;
  bool can_send = true;
  for (;;) {
    if (pending.empty() && filler_left > 0) {
      const auto n = std::min<uint64_t>(filler_left, piece.size());
      pending.assign(piece, 0, static_cast<size_t>(n));
      filler_left -= n;
    }
    const bool want_send = can_send && !pending.empty();
    pollfd p{fd, static_cast<short>(POLLIN | (want_send ? POLLOUT : 0)), 0};
    if (::poll(&p, 1, quiet_s * 1000) <= 0) break; // nothing for quiet_s
    if ((p.revents & (POLLIN | POLLHUP | POLLERR)) != 0) {
      char buf[4096];
      ssize_t n = ::recv(fd, buf, sizeof buf, MSG_DONTWAIT);
      if (n > 0) {
        out.answer.append(buf, static_cast<size_t>(n));
        continue;
      }
      if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
        out.closed = true;
        break;
      }
    }
    if (want_send && (p.revents & POLLOUT) != 0) {
      ssize_t n = ::send(fd, pending.data(), pending.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
      if (n > 0) {
        out.sent += static_cast<uint64_t>(n);
        pending.erase(0, static_cast<size_t>(n));
      } else if (n < 0 && errno != EAGAIN && errno != EINTR) {
        can_send = false; // reset or shut: read what is left
      }
    }
  }
  ::close(fd);
  return out;
}

} // namespace gaia::test
