// The gate in front of httplib's pool (web/guarded_server.hpp): one thread
// that collects request heads, the stream httplib answers a complete one
// on, and the pool that the gate hands complete heads to.
#include "web/guarded_server.hpp"

#include <arpa/inet.h>
#include <netdb.h>
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <functional>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

namespace web {

namespace {

using clock_type = std::chrono::steady_clock;

/// Milliseconds left until `deadline`, at most `cap`; 0 when it passed.
int ms_until(clock_type::time_point deadline, std::chrono::milliseconds cap) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
    deadline - clock_type::now());
  return static_cast<int>(std::max<int64_t>(0, std::min(left, cap).count()));
}

/// True when `fd` has `events` within `ms` milliseconds.
bool wait_for(int fd, short events, int ms) {
  pollfd p{fd, events, 0};
  for (;;) {
    int n = ::poll(&p, 1, ms);
    if (n < 0 && errno == EINTR) continue;
    return n > 0 && (p.revents & (events | POLLHUP | POLLERR)) != 0;
  }
}

/// The numeric address of either end of `fd`.
void address_of(int fd, bool peer, std::string& ip, int& port) {
  sockaddr_storage a{};
  socklen_t n = sizeof a;
  auto* sa = reinterpret_cast<sockaddr*>(&a);
  if ((peer ? ::getpeername(fd, sa, &n) : ::getsockname(fd, sa, &n)) != 0) return;
  char host[NI_MAXHOST];
  char serv[NI_MAXSERV];
  if (::getnameinfo(sa, n, host, sizeof host, serv, sizeof serv,
                    NI_NUMERICHOST | NI_NUMERICSERV) != 0)
    return;
  ip = host;
  port = std::atoi(serv);
}

/// A short answer from the gate, which never blocks on a client: what does
/// not fit in the socket's buffer at once is not sent.
void answer(int fd, int status, const char* reason, const std::string& text) {
  const std::string msg = "HTTP/1.1 " + std::to_string(status) + " " + reason
                          + "\r\nContent-Type: text/plain\r\nContent-Length: "
                          + std::to_string(text.size())
                          + "\r\nConnection: close\r\nX-Content-Type-Options: nosniff\r\n\r\n"
                          + text;
  (void)::send(fd, msg.data(), msg.size(), MSG_DONTWAIT | MSG_NOSIGNAL);
}

/// Whether the head ends (an empty line) in `head`, looking from `from`
/// (bytes before it were looked at already). Bare LF line ends count too,
/// as httplib accepts them.
bool head_complete(const std::string& head, size_t from) {
  for (size_t i = from >= 2 ? from - 2 : 0; i < head.size(); ++i) {
    if (head[i] != '\n') continue;
    if (i + 1 < head.size() && head[i + 1] == '\n') return true;
    if (i + 2 < head.size() && head[i + 1] == '\r' && head[i + 2] == '\n') return true;
  }
  return false;
}

/// The connection of one request whose head the gate already read: httplib
/// reads that buffer first, then the socket, each read and write bounded by
/// its timeout and all of them by the request's deadline.
class request_stream final : public httplib::Stream {
public:
  request_stream(int fd, std::string head, const http_limits& limits)
    : fd_(fd), head_(std::move(head)), limits_(limits),
      deadline_(clock_type::now() + limits.request_deadline) {}

  bool is_readable() const override {
    return off_ < head_.size() || wait_for(fd_, POLLIN, ms_until(deadline_, limits_.read_timeout));
  }
  bool is_writable() const override {
    return wait_for(fd_, POLLOUT, ms_until(deadline_, limits_.write_timeout));
  }
  ssize_t read(char* ptr, size_t size) override {
    if (off_ < head_.size()) {
      const size_t n = std::min(size, head_.size() - off_);
      std::memcpy(ptr, head_.data() + off_, n);
      off_ += n;
      return static_cast<ssize_t>(n);
    }
    if (!is_readable()) return -1;
    for (;;) {
      ssize_t n = ::recv(fd_, ptr, size, MSG_DONTWAIT);
      if (n < 0 && errno == EINTR) continue;
      return n;
    }
  }
  ssize_t write(const char* ptr, size_t size) override {
    if (!is_writable()) return -1;
    for (;;) {
      ssize_t n = ::send(fd_, ptr, size, MSG_DONTWAIT | MSG_NOSIGNAL);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) return 0; // wait again
      return n;
    }
  }
  void get_remote_ip_and_port(std::string& ip, int& port) const override {
    address_of(fd_, true, ip, port);
  }
  void get_local_ip_and_port(std::string& ip, int& port) const override {
    address_of(fd_, false, ip, port);
  }
  socket_t socket() const override { return fd_; }

private:
  int fd_;
  std::string head_;
  size_t off_ = 0;
  const http_limits& limits_;
  clock_type::time_point deadline_;
};

} // namespace

/// httplib's pool, which tells the gate when it closes: the gate must not
/// hand it work after that.
class guarded_server::tracked_pool final : public httplib::ThreadPool {
public:
  tracked_pool(guarded_server& owner, size_t threads)
    : httplib::ThreadPool(threads), owner_(owner) {
    std::lock_guard<std::mutex> lock(owner_.pool_mu_);
    owner_.pool_ = this;
  }
  void shutdown() override {
    {
      std::lock_guard<std::mutex> lock(owner_.pool_mu_);
      owner_.pool_ = nullptr;
    }
    httplib::ThreadPool::shutdown();
  }

private:
  guarded_server& owner_;
};

/// The one thread that waits for request heads.
class guarded_server::gate {
public:
  gate(const http_limits& limits, std::function<void(socket_t, std::string)> complete)
    : limits_(limits), complete_(std::move(complete)),
      wake_(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK)) {
    if (wake_ < 0) throw std::runtime_error(std::string("eventfd: ") + std::strerror(errno));
    thread_ = std::thread([this] { loop(); });
  }
  ~gate() {
    stop();
    ::close(wake_);
  }

  /// From any thread: a new connection, whose request head the gate reads;
  /// or (`answered`) one whose answer went out and which only waits for the
  /// client to close. After stop() the connection is closed at once.
  void add(socket_t fd, bool answered = false) {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!stopping_) {
        incoming_.push_back({fd, answered});
        fd = -1;
      }
    }
    if (fd >= 0) {
      ::close(fd);
      return;
    }
    wake();
  }

  void stop() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stopping_ = true;
    }
    wake();
    if (thread_.joinable()) thread_.join();
  }

private:
  struct arrival {
    socket_t fd;
    bool answered;
  };
  struct waiting {
    socket_t fd;
    std::string head;
    clock_type::time_point deadline;
    bool lingering = false; ///< answered: reading what still comes, then closing
    bool done = false;      ///< closed or handed on: leaves the gate
  };
  /// How long an answered connection is read from before it is closed.
  static constexpr std::chrono::seconds linger{2};

  void wake() {
    const uint64_t one = 1;
    (void)::write(wake_, &one, sizeof one);
  }

  void loop() {
    std::vector<pollfd> fds;
    for (;;) {
      std::vector<arrival> fresh;
      {
        std::lock_guard<std::mutex> lock(mu_);
        if (stopping_) break;
        fresh.swap(incoming_);
      }
      auto now = clock_type::now();
      for (const auto& a : fresh)
        conns_.push_back({a.fd, {}, now + (a.answered ? linger : limits_.head_deadline),
                          a.answered});
      // Over the limit the oldest go: a flood of connections costs those
      // that have waited longest, never the memory.
      if (conns_.size() > limits_.waiting_max) {
        const auto drop = conns_.size() - limits_.waiting_max;
        for (size_t i = 0; i < drop; ++i) ::close(conns_[i].fd);
        conns_.erase(conns_.begin(), conns_.begin() + static_cast<ptrdiff_t>(drop));
      }

      fds.assign(1, pollfd{wake_, POLLIN, 0});
      auto next = clock_type::time_point::max();
      for (const auto& c : conns_) {
        fds.push_back({c.fd, POLLIN, 0});
        next = std::min(next, c.deadline);
      }
      const int timeout = next == clock_type::time_point::max()
                            ? -1
                            : ms_until(next, std::chrono::minutes(1)) + 1;
      if (::poll(fds.data(), fds.size(), timeout) < 0 && errno != EINTR) continue;
      if (fds[0].revents != 0) {
        uint64_t n;
        (void)::read(wake_, &n, sizeof n);
      }
      now = clock_type::now();
      for (size_t i = 0; i < conns_.size(); ++i) {
        auto& c = conns_[i];
        if (fds[i + 1].revents != 0) on_readable(c, now);
        if (!c.done && now >= c.deadline) expire(c);
      }
      conns_.erase(std::remove_if(conns_.begin(), conns_.end(),
                                  [](const waiting& c) { return c.done; }),
                   conns_.end());
    }
    for (auto& c : conns_) ::close(c.fd);
    conns_.clear();
    std::lock_guard<std::mutex> lock(mu_);
    for (const auto& a : incoming_) ::close(a.fd);
    incoming_.clear();
  }

  void close_conn(waiting& c) {
    ::close(c.fd);
    c.done = true;
  }

  void on_readable(waiting& c, clock_type::time_point now) {
    if (c.lingering) {
      // Answered: what the client still sends (the rest of a refused head
      // or body) is read and dropped until it closes, so that closing does
      // not reset the connection before the client read the answer.
      ssize_t n = ::recv(c.fd, sink_, sizeof sink_, MSG_DONTWAIT);
      if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR))
        close_conn(c);
      return;
    }
    const size_t old = c.head.size();
    const size_t room = std::min<size_t>(limits_.head_bytes - old, 4096);
    c.head.resize(old + room);
    ssize_t n = ::recv(c.fd, &c.head[old], room, MSG_DONTWAIT);
    c.head.resize(old + static_cast<size_t>(std::max<ssize_t>(n, 0)));
    if (n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
      close_conn(c); // the client left
      return;
    }
    if (head_complete(c.head, old)) {
      complete_(c.fd, std::move(c.head));
      c.done = true;
      return;
    }
    if (c.head.size() >= limits_.head_bytes) {
      answer(c.fd, 431, "Request Header Fields Too Large",
             "request line and headers larger than " + std::to_string(limits_.head_bytes)
               + " bytes\n");
      ::shutdown(c.fd, SHUT_WR);
      c.head = std::string();
      c.lingering = true;
      c.deadline = now + linger;
    }
  }

  void expire(waiting& c) {
    // A connection that sent nothing is just closed (browsers open spare
    // ones); a head that stopped half-way is told why.
    if (!c.lingering && !c.head.empty())
      answer(c.fd, 408, "Request Timeout",
             "the request head did not arrive within "
               + std::to_string(limits_.head_deadline.count()) + " s\n");
    close_conn(c);
  }

  const http_limits& limits_;
  std::function<void(socket_t, std::string)> complete_;
  int wake_;
  std::mutex mu_;
  bool stopping_ = false;
  std::vector<arrival> incoming_;
  std::vector<waiting> conns_; ///< the gate thread's only; the oldest first
  char sink_[64 * 1024];
  std::thread thread_;
};

guarded_server::guarded_server(http_limits limits) : limits_(limits) {
  new_task_queue = [this] { return new tracked_pool(*this, limits_.threads); };
  // httplib sets these as SO_RCVTIMEO/SO_SNDTIMEO on each connection; the
  // request stream applies the same ones.
  set_read_timeout(limits_.read_timeout);
  set_write_timeout(limits_.write_timeout);
  // A larger declared body is read and dropped, then answered 413.
  set_payload_max_length(limits_.body_bytes);
  // httplib keeps a body without Content-Length (chunked, or up to the end
  // of the connection) whole, whatever its size, and reads it before any
  // handler: refuse it before it is read.
  set_pre_routing_handler([](const httplib::Request& req, httplib::Response& res) {
    const bool has_body_method = req.method == "POST" || req.method == "PUT"
                                 || req.method == "PATCH" || req.method == "PRI";
    if (req.has_header("Transfer-Encoding")
        || (has_body_method && !req.has_header("Content-Length"))) {
      res.status = 411;
      res.set_content("a request body needs a Content-Length\n", "text/plain");
      return HandlerResponse::Handled;
    }
    return HandlerResponse::Unhandled;
  });
  gate_ = std::make_unique<gate>(limits_, [this](socket_t fd, std::string head) {
    std::lock_guard<std::mutex> lock(pool_mu_);
    if (pool_ == nullptr) {
      ::close(fd); // shutting down
      return;
    }
    pool_->enqueue([this, fd, head = std::move(head)]() mutable { serve(fd, std::move(head)); });
  });
}

guarded_server::~guarded_server() { stop_all(); }

bool guarded_server::raise_backlog() {
  const socket_t fd = svr_sock_;
  return fd != INVALID_SOCKET && ::listen(fd, limits_.backlog) == 0;
}

void guarded_server::stop_all() {
  gate_->stop();
  {
    // Requests being answered end now rather than at their deadline.
    std::lock_guard<std::mutex> lock(active_mu_);
    for (auto fd : active_) ::shutdown(fd, SHUT_RDWR);
  }
  stop();
}

bool guarded_server::process_and_close_socket(socket_t sock) {
  gate_->add(sock);
  return true;
}

void guarded_server::serve(socket_t sock, std::string head) {
  {
    std::lock_guard<std::mutex> lock(active_mu_);
    active_.insert(sock);
  }
  {
    request_stream strm(sock, std::move(head), limits_);
    bool closed = false;
    process_request(strm, /*close_connection=*/true, closed, nullptr);
  }
  {
    std::lock_guard<std::mutex> lock(active_mu_);
    active_.erase(sock);
  }
  ::shutdown(sock, SHUT_WR); // the answer is complete: a FIN after it
  gate_->add(sock, /*answered=*/true);
}

} // namespace web
