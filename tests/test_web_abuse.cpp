// The live page of a real `gaia-dr3 serve` treated as a server on a
// network: clients that trickle their request a byte a second or send
// nothing, a thousand connections at once, a 300 MB header line and a
// 300 MB body. /livez and /metrics keep answering and serve's memory stays
// small whatever is sent.
#include "tests/process_util.hpp"
#include "tests/raw_http.hpp"
#include "tests/web_util.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>
#include <vector>
#include <sys/resource.h>
#include <fstream>
#include <sstream>

using namespace gaia;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

/// `gaia-dr3 serve` with the page on a free port and an output directory
/// that already holds results.done: the service idles, no run, no network.
struct idle_serve {
  test::temp_dir dir{"gaia-web-abuse"};
  int port = test::free_port();
  std::unique_ptr<test::child_process> serve;

  idle_serve() {
    fs::create_directories(dir / "out");
    test::write_file(dir / "out" / "results.done", "done before this test\n");
    const auto config = test::empty_config(dir);
    serve = std::make_unique<test::child_process>(
      std::vector<std::string>{"serve", "--config", config},
      std::map<std::string, std::string>{{"GAIA_OUTPUT_DIR", (dir / "out").string()},
                                         {"GAIA_POLL_INTERVAL_MS", "100"},
                                         {"GAIA_WEB_PORT", std::to_string(port)}},
      dir.path());
    REQUIRE(test::wait_for_page(*serve, port, 20s));
    REQUIRE(test::probe(port, "/livez", 2) == 200);
  }
  ~idle_serve() {
    serve->signal(SIGTERM);
    serve->wait(20s);
  }
};

/// Connections that hold the server's attention without finishing a
/// request: `slow` send a request head a byte a second, `idle` send
/// nothing. Whatever the server closes is opened again, so the pressure
/// lasts as long as this object.
class slow_clients {
public:
  slow_clients(int port, int slow, int idle) : port_(port) {
    for (int i = 0; i < slow; ++i) slow_.push_back(open_slow());
    for (int i = 0; i < idle; ++i) idle_.push_back(test::connect_loopback(port_));
    thread_ = std::thread([this] { trickle(); });
  }
  ~slow_clients() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      stop_ = true;
    }
    cv_.notify_all();
    thread_.join();
    for (int fd : slow_) ::close(fd);
    for (int fd : idle_) ::close(fd);
  }
  int reopened() const { return reopened_; }

private:
  int open_slow() {
    int fd = test::connect_loopback(port_);
    const std::string start = "GET /livez HTTP/1.1\r\nHost: slow\r\nX-Slow: ";
    if (fd >= 0) (void)::send(fd, start.data(), start.size(), MSG_NOSIGNAL);
    return fd;
  }
  void trickle() {
    std::unique_lock<std::mutex> lock(mu_);
    // One byte a second per slow client: the pace is the point of the test.
    while (!cv_.wait_for(lock, 1s, [this] { return stop_; })) {
      for (int& fd : slow_) {
        char c;
        const bool answered = fd >= 0 && ::recv(fd, &c, 1, MSG_DONTWAIT | MSG_PEEK) >= 0;
        if (fd < 0 || answered || ::send(fd, "a", 1, MSG_NOSIGNAL) != 1) {
          if (fd >= 0) ::close(fd);
          fd = open_slow();
          ++reopened_;
        }
      }
      for (int& fd : idle_) {
        char c;
        if (fd < 0 || ::recv(fd, &c, 1, MSG_DONTWAIT | MSG_PEEK) >= 0) {
          if (fd >= 0) ::close(fd);
          fd = test::connect_loopback(port_);
          ++reopened_;
        }
      }
    }
  }

  int port_;
  std::vector<int> slow_, idle_;
  std::mutex mu_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::atomic<int> reopened_{0};
  std::thread thread_;
};

} // namespace

TEST_CASE("web: /livez and /metrics answer while 20 clients trickle a request head and 10 "
          "connections stay idle") {
  idle_serve s;
  slow_clients hold(s.port, 20, 10);
  // Longer than the head deadline (5 s): the clients the server dropped
  // came back, still /livez and /metrics answer, each within a few seconds.
  const auto until = std::chrono::steady_clock::now() + 8s;
  int rounds = 0;
  for (auto next = std::chrono::steady_clock::now(); next < until; next += 500ms) {
    std::this_thread::sleep_until(next); // a probe every half second, like a monitor
    CHECK(test::probe(s.port, "/livez", 3) == 200);
    CHECK(test::probe(s.port, "/metrics", 3) == 200);
    ++rounds;
  }
  CHECK(rounds >= 3);
  CHECK(hold.reopened() > 0); // the deadline dropped the slow ones, and they came back
}

TEST_CASE("web: serve raises its open-file limit to the hard limit, and says so") {
  rlimit mine{};
  REQUIRE(::getrlimit(RLIMIT_NOFILE, &mine) == 0);
  if (mine.rlim_max <= 256) return; // nothing to raise to on this host
  // Started with a soft limit of 256, as a service manager might start it.
  rlimit low = mine;
  low.rlim_cur = 256;
  REQUIRE(::setrlimit(RLIMIT_NOFILE, &low) == 0);
  std::unique_ptr<idle_serve> s;
  try {
    s = std::make_unique<idle_serve>();
  } catch (...) {
    ::setrlimit(RLIMIT_NOFILE, &mine);
    throw;
  }
  ::setrlimit(RLIMIT_NOFILE, &mine);
  std::ifstream limits("/proc/" + std::to_string(s->serve->pid()) + "/limits");
  std::string line, soft, hard;
  while (std::getline(limits, line))
    if (line.rfind("Max open files", 0) == 0) {
      std::istringstream in(line.substr(std::string("Max open files").size()));
      in >> soft >> hard;
    }
  CHECK(soft == std::to_string(mine.rlim_max));
  CHECK(hard == std::to_string(mine.rlim_max));
  CHECK(test::read_file(s->dir / "stderr.txt").find("open files: raised the limit from 256 to ")
        != std::string::npos);
}

TEST_CASE("web: /livez answers while 1,000 connections arrive at once, and every request "
          "among them is answered") {
  REQUIRE_MESSAGE(test::raise_open_files(4096),
                  "this test needs 4096 open files (ulimit -n; the hard limit is lower)");
  idle_serve s;
  // All at once: non-blocking connects, then a request on every other one
  // as soon as it is connected; the rest send nothing.
  std::vector<int> fds;
  for (int i = 0; i < 1000; ++i) fds.push_back(test::connect_loopback(s.port, true));
  CHECK(std::count(fds.begin(), fds.end(), -1) == 0);
  const std::string request = "GET /livez HTTP/1.1\r\nHost: flood\r\n\r\n";
  std::vector<bool> sent(fds.size(), false);
  size_t to_send = fds.size() / 2;
  const auto connect_until = std::chrono::steady_clock::now() + 15s;
  while (to_send > 0 && std::chrono::steady_clock::now() < connect_until) {
    std::vector<pollfd> p;
    std::vector<size_t> which;
    for (size_t i = 0; i < fds.size(); i += 2)
      if (fds[i] >= 0 && !sent[i]) {
        p.push_back({fds[i], POLLOUT, 0});
        which.push_back(i);
      }
    if (::poll(p.data(), p.size(), 1000) <= 0) continue;
    for (size_t k = 0; k < p.size(); ++k)
      if ((p[k].revents & POLLOUT) != 0) {
        sent[which[k]] = true;
        --to_send;
        (void)::send(p[k].fd, request.data(), request.size(), MSG_NOSIGNAL);
      }
  }
  CHECK(to_send == 0);

  CHECK(test::probe(s.port, "/livez", 5) == 200);

  // Every request sent is answered 200 (the idle ones are dropped later).
  size_t answered = 0, waiting = fds.size() / 2 - to_send;
  std::vector<std::string> got(fds.size());
  const auto answer_until = std::chrono::steady_clock::now() + 15s;
  while (answered < waiting && std::chrono::steady_clock::now() < answer_until) {
    std::vector<pollfd> p;
    std::vector<size_t> which;
    for (size_t i = 0; i < fds.size(); i += 2)
      if (sent[i] && got[i].find("\r\n") == std::string::npos) {
        p.push_back({fds[i], POLLIN, 0});
        which.push_back(i);
      }
    if (::poll(p.data(), p.size(), 1000) <= 0) continue;
    for (size_t k = 0; k < p.size(); ++k) {
      if (p[k].revents == 0) continue;
      char buf[512];
      ssize_t n = ::recv(p[k].fd, buf, sizeof buf, MSG_DONTWAIT);
      auto& g = got[which[k]];
      if (n > 0) g.append(buf, static_cast<size_t>(n));
      if (n == 0 || g.find("\r\n") != std::string::npos) {
        if (g.rfind("HTTP/1.1 200", 0) == 0) ++answered;
        else g += "\r\n"; // closed without an answer, or another: counted out
      }
    }
  }
  CHECK(answered == waiting);
  for (int fd : fds)
    if (fd >= 0) ::close(fd);
  CHECK(test::probe(s.port, "/livez", 5) == 200);
}

TEST_CASE("web: a 300 MB header line is answered 431 and serve's memory stays small") {
  idle_serve s;
  const long before = test::vm_hwm_kb(s.serve->pid());
  REQUIRE(before > 0);
  auto r = test::send_huge(s.port, "GET /livez HTTP/1.1\r\nHost: big\r\nX-Big: ",
                           300ull << 20);
  INFO("sent " << r.sent << " bytes; answer: " << r.answer.substr(0, 200));
  CHECK(r.answer.rfind("HTTP/1.1 431 ", 0) == 0);
  CHECK(r.sent < (300ull << 20)); // not read to the end
  const long after = test::vm_hwm_kb(s.serve->pid());
  INFO("VmHWM " << before << " KiB before, " << after << " KiB after");
  CHECK(after < before + 32 * 1024);
  CHECK(test::probe(s.port, "/livez", 5) == 200);
}

TEST_CASE("web: a POST with a 300 MB body is answered 413 and serve's memory stays small") {
  idle_serve s;
  const long before = test::vm_hwm_kb(s.serve->pid());
  REQUIRE(before > 0);
  const uint64_t size = 300ull << 20;
  auto r = test::send_huge(s.port,
                           "POST /api/live HTTP/1.1\r\nHost: big\r\nContent-Type: "
                           "application/octet-stream\r\nContent-Length: "
                             + std::to_string(size) + "\r\n\r\n",
                           size);
  INFO("sent " << r.sent << " bytes; answer: " << r.answer.substr(0, 200));
  CHECK(r.answer.rfind("HTTP/1.1 413 ", 0) == 0);
  const long after = test::vm_hwm_kb(s.serve->pid());
  INFO("VmHWM " << before << " KiB before, " << after << " KiB after");
  CHECK(after < before + 32 * 1024);
  // Nor a body without a length, which httplib would keep whole.
  auto chunked = test::send_huge(s.port,
                                 "POST /api/live HTTP/1.1\r\nHost: big\r\n"
                                 "Transfer-Encoding: chunked\r\n\r\n1000000\r\n",
                                 16ull << 20);
  INFO("chunked answer: " << chunked.answer.substr(0, 200));
  CHECK(chunked.answer.rfind("HTTP/1.1 411 ", 0) == 0);
  CHECK(test::vm_hwm_kb(s.serve->pid()) < before + 32 * 1024);
  CHECK(test::probe(s.port, "/livez", 5) == 200);
}
