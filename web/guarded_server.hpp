// An httplib::Server hardened like a server on a network: a request reaches
// httplib's thread pool only once its whole head (request line and
// headers) has arrived, so clients that send slowly or not at all never
// hold a pool thread.
//
// cpp-httplib 0.11.4 (Debian's shared library) buffers a header line
// whole, has no deadline for a request head and keeps a pool thread per
// connection for as long as a client trickles bytes. So every accepted
// connection goes to one gate thread first (poll), which reads the head
// into a buffer of at most limits.head_bytes: complete, it goes to the pool
// where httplib's process_request() parses and answers it from that
// buffer; too long, the gate answers 431; not complete within
// limits.head_deadline, the gate drops it (408 when some of it came). One
// request per connection (no keep-alive), so every request passes the
// gate. Bodies are httplib's: set_payload_max_length (413, the declared
// body read and discarded, never kept); a body without Content-Length,
// which httplib would keep whole, is refused (411) before it is read.
#pragma once

#include <httplib.h>

#include <chrono>
#include <cstddef>
#include <memory>
#include <mutex>
#include <set>
#include <string>

namespace web {

struct http_limits {
  size_t head_bytes = 16 * 1024;                 ///< request line + headers; more: 431
  std::chrono::seconds head_deadline{5};         ///< the whole head within this
  size_t body_bytes = 64 * 1024;                 ///< a larger declared body: 413
  std::chrono::seconds request_deadline{30};     ///< body and answer, after the head
  std::chrono::seconds read_timeout{5};          ///< one read of the body
  std::chrono::seconds write_timeout{10};        ///< one write of the answer
  size_t threads = 8;                            ///< the pool: complete requests only
  int backlog = 1024;                            ///< httplib listens with 5
  size_t waiting_max = 4096;                     ///< heads in the gate; the oldest go first
};

class guarded_server : public httplib::Server {
public:
  explicit guarded_server(http_limits limits = {});
  ~guarded_server() override;

  /// After bind_to_port / bind_to_any_port: the listen backlog raised to
  /// limits.backlog (httplib's own is 5: a burst of connections would wait
  /// in SYN retries). False when the socket refuses.
  bool raise_backlog();
  /// Stops the gate (closing the connections it holds), then the server.
  /// httplib::Server::stop() is not virtual: call this one.
  void stop_all();

private:
  class gate;
  class tracked_pool;

  /// httplib calls this in a pool thread for every accepted connection:
  /// it only hands the connection to the gate.
  bool process_and_close_socket(socket_t sock) override;
  /// In a pool thread: one request whose head is `head` (and maybe the
  /// start of its body), answered, then the connection closed.
  void serve(socket_t sock, std::string head);

  http_limits limits_;
  std::mutex pool_mu_;
  httplib::TaskQueue* pool_ = nullptr; ///< httplib's, while it takes work
  std::mutex active_mu_;
  std::set<socket_t> active_; ///< connections being answered
  std::unique_ptr<gate> gate_;
};

} // namespace web
