// The HTTP mirror: files, HEAD, byte ranges, 404s, and nothing outside its
// directory, through a real socket on 127.0.0.1.
#include "download/md5.hpp"
#include "tools/mirror/mirror.hpp"
#include "tests/process_util.hpp"
#include "tools/synth/synth_rng.hpp"
#include "tests/test_util.hpp"
#include "tests/wait_for.hpp"

#include <doctest/doctest.h>
#include <httplib.h>

#include <arpa/inet.h>
#include <atomic>
#include <condition_variable>
#include <csignal>
#include <fcntl.h>
#include <cstdio>
#include <filesystem>
#include <mutex>
#include <sstream>
#include <netinet/in.h>
#include <string>
#include <sys/socket.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>
#include <vector>

using namespace gaia;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

std::string random_bytes(size_t n, uint64_t seed) {
  synth::rng r(seed);
  std::string s(n, '\0');
  for (size_t i = 0; i < n; i += 8) {
    uint64_t v = r.next();
    for (size_t k = 0; k < 8 && i + k < n; ++k) s[i + k] = static_cast<char>(v >> (8 * k));
  }
  return s;
}

/// A served directory `www` next to a secret file that must never leak.
struct mirror_fixture {
  test::temp_dir root{"gaia-mirror"};
  fs::path www = root / "www";
  std::string file_name = "EpochPhotometry_000000-003111.csv.gz";
  std::string content = random_bytes(1000, 1);
  std::string secret = "TOP-SECRET-CONTENT";
  std::unique_ptr<mirror_server> server;

  mirror_fixture() {
    fs::create_directories(www / "sub");
    test::write_file(www / file_name, content);
    test::write_file(www / "sub" / "inner.txt", "inner");
    test::write_file(www / "empty.txt", "");
    test::write_file(root / "secret.txt", secret);
    fs::create_symlink(root / "secret.txt", www / "outside_link.txt");
    fs::create_symlink(www / file_name, www / "inside_link.gz");
    mirror_options opts;
    opts.dir = www.string();
    opts.log_requests = false;
    server = std::make_unique<mirror_server>(opts);
    server->start();
  }

  httplib::Client client() const {
    httplib::Client c("127.0.0.1", server->port());
    c.set_connection_timeout(5);
    c.set_read_timeout(20);
    c.set_write_timeout(5);
    return c;
  }
};

} // namespace

TEST_CASE("mirror: GET, HEAD and Content-Length") {
  mirror_fixture f;
  CHECK(f.server->port() > 0);
  CHECK(f.server->base_url() == "http://127.0.0.1:" + std::to_string(f.server->port()));
  auto cli = f.client();

  auto get = cli.Get(("/" + f.file_name).c_str());
  REQUIRE(get);
  CHECK(get->status == 200);
  CHECK(get->body == f.content);
  CHECK(get->get_header_value("Content-Length") == "1000");
  CHECK(get->get_header_value("Accept-Ranges") == "bytes");

  auto head = cli.Head(("/" + f.file_name).c_str());
  REQUIRE(head);
  CHECK(head->status == 200);
  CHECK(head->get_header_value("Content-Length") == "1000");
  CHECK(head->body.empty());

  auto inner = cli.Get("/sub/inner.txt");
  REQUIRE(inner);
  CHECK(inner->status == 200);
  CHECK(inner->body == "inner");

  auto empty = cli.Get("/empty.txt");
  REQUIRE(empty);
  CHECK(empty->status == 200);
  CHECK(empty->body.empty());

  auto link = cli.Get("/inside_link.gz"); // a symlink that stays inside
  REQUIRE(link);
  CHECK(link->status == 200);
  CHECK(link->body == f.content);
}

TEST_CASE("mirror: bodies go out by sendfile, byte for byte, and the connection "
          "closes after each") {
  // 3 MB: more than one socket buffer, so sendfile returns short and goes on.
  mirror_fixture f;
  const std::string big = random_bytes(3 * 1024 * 1024 + 7, 9);
  test::write_file(f.www / "EpochPhotometry_000001-000002.csv.gz", big);
  auto cli = f.client();
  cli.set_keep_alive(true);  // else every request asks for "Connection: close"
  const char* path = "/EpochPhotometry_000001-000002.csv.gz";
  for (int round = 0; round < 2; ++round) {  // the client reconnects
    auto whole = cli.Get(path);
    REQUIRE(whole);
    CHECK(whole->status == 200);
    CHECK(whole->body == big);
    // Only the sendfile path says so: httplib cannot keep the connection.
    CHECK(whole->get_header_value("Connection") == "close");
    auto part = cli.Get(path, {{"Range", "bytes=1000000-2999999"}});
    REQUIRE(part);
    CHECK(part->status == 206);
    CHECK(part->body == big.substr(1000000, 2000000));
    CHECK(part->get_header_value("Connection") == "close");
  }
  auto head = cli.Head(path);  // no body: the connection stays
  REQUIRE(head);
  CHECK(head->get_header_value("Content-Length") == std::to_string(big.size()));
  CHECK(head->get_header_value("Connection") != "close");
}

TEST_CASE("mirror: byte ranges") {
  mirror_fixture f;
  auto cli = f.client();
  const std::string path = "/" + f.file_name;
  auto ranged = [&](const std::string& range) {
    auto res = cli.Get(path.c_str(), {{"Range", range}});
    REQUIRE(res);
    return *res;
  };

  auto r = ranged("bytes=10-99");
  CHECK(r.status == 206);
  CHECK(r.body == f.content.substr(10, 90));
  CHECK(r.get_header_value("Content-Range") == "bytes 10-99/1000");
  CHECK(r.get_header_value("Content-Length") == "90");

  r = ranged("bytes=-50");
  CHECK(r.status == 206);
  CHECK(r.body == f.content.substr(950));
  CHECK(r.get_header_value("Content-Range") == "bytes 950-999/1000");

  r = ranged("bytes=990-");
  CHECK(r.status == 206);
  CHECK(r.body == f.content.substr(990));

  r = ranged("bytes=900-5000"); // clamped to the end
  CHECK(r.status == 206);
  CHECK(r.body == f.content.substr(900));
  CHECK(r.get_header_value("Content-Range") == "bytes 900-999/1000");

  r = ranged("bytes=1000-");
  CHECK(r.status == 416);
  CHECK(r.get_header_value("Content-Range") == "bytes */1000");
  CHECK(r.body.empty());

  r = ranged("bytes=0-1,5-6"); // several ranges: the whole file
  CHECK(r.status == 200);
  CHECK(r.body == f.content);

  auto head = cli.Head(path.c_str(), {{"Range", "bytes=10-99"}});
  REQUIRE(head);
  CHECK(head->status == 206);
  CHECK(head->get_header_value("Content-Length") == "90");
  CHECK(head->body.empty());

  auto missing = cli.Get("/nope.gz", {{"Range", "bytes=2-4"}});
  REQUIRE(missing);
  CHECK(missing->status == 404);
  CHECK(missing->get_header_value("Content-Range").empty());
}

TEST_CASE("mirror: a Range header of another unit or invalid syntax is "
          "ignored: the whole file, 200 (RFC 9110)") {
  mirror_fixture f;
  auto cli = f.client();
  const std::string path = "/" + f.file_name;
  for (const char* range :
       {"bytes=abc", "items=0-5", "bytes=5-1", "bytes=-", "bytes= 0-10",
        "bytes=0-1,5-6", "bytes=0-1,5-3", "bytes=--5", "bytes=1-2-3", "bytes=0x10-20",
        "bytes=+1-5", "bytes", "bytes0-5", "=0-5", "none"}) {
    INFO("Range: " << std::string(range));
    auto res = cli.Get(path.c_str(), {{"Range", range}});
    REQUIRE(res);
    CHECK(res->status == 200);
    CHECK(res->body == f.content);
    CHECK(res->get_header_value("Content-Length") == "1000");
    CHECK_FALSE(res->has_header("Content-Range"));
    auto head = cli.Head(path.c_str(), {{"Range", range}});
    REQUIRE(head);
    CHECK(head->status == 200);
    CHECK(head->get_header_value("Content-Length") == "1000");
  }
  // The unit compares case-insensitively.
  auto upper = cli.Get(path.c_str(), {{"Range", "Bytes=10-19"}});
  REQUIRE(upper);
  CHECK(upper->status == 206);
  CHECK(upper->body == f.content.substr(10, 10));
  // Positions beyond 64 bits: past the end (416), or up to the end.
  auto far = cli.Get(path.c_str(), {{"Range", "bytes=123456789012345678901234567890-"}});
  REQUIRE(far);
  CHECK(far->status == 416);
  CHECK(far->get_header_value("Content-Range") == "bytes */1000");
  auto to_end = cli.Get(path.c_str(), {{"Range", "bytes=990-123456789012345678901234567890"}});
  REQUIRE(to_end);
  CHECK(to_end->status == 206);
  CHECK(to_end->body == f.content.substr(990));
  // An invalid Range on a missing file is still a plain 404.
  auto missing = cli.Get("/nope.gz", {{"Range", "bytes=abc"}});
  REQUIRE(missing);
  CHECK(missing->status == 404);
  // The requests are recorded with their Range as sent.
  bool seen = false;
  for (const auto& r : f.server->requests()) seen = seen || r.range == "items=0-5";
  CHECK(seen);
}

TEST_CASE("mirror: 404 for missing files, directories and the root") {
  mirror_fixture f;
  auto cli = f.client();
  for (const char* path : {"/", "/missing.csv.gz", "/sub", "/sub/", "//", "/sub//inner.txt",
                           "/./" "EpochPhotometry_000000-003111.csv.gz"}) {
    auto res = cli.Get(path);
    REQUIRE(res);
    CHECK_MESSAGE(res->status == 404, path);
    CHECK(res->body.find(f.content) == std::string::npos);
  }
  auto post = cli.Post(("/" + f.file_name).c_str(), "x", "text/plain");
  REQUIRE(post);
  CHECK(post->status == 405);
}

TEST_CASE("mirror: nothing outside the directory is served") {
  mirror_fixture f;
  auto cli = f.client();
  for (const char* path :
       {"/../secret.txt", "/%2e%2e/secret.txt", "/%2E%2E/secret.txt", "/..%2fsecret.txt",
        "/%2e%2e%2fsecret.txt", "/sub/../../secret.txt", "/sub/%2e%2e/%2e%2e/secret.txt",
        "/..%5csecret.txt", "/outside_link.txt", "/secret.txt", "/../www/../secret.txt",
        "/%00/../secret.txt", "/etc/passwd", "//etc/passwd", "/../../../../../../etc/passwd"}) {
    auto res = cli.Get(path);
    REQUIRE_MESSAGE(res, path);
    CHECK_MESSAGE((res->status == 404 || res->status == 403 || res->status == 400), path);
    CHECK_MESSAGE(res->body.find(f.secret) == std::string::npos, path);
    CHECK_MESSAGE(res->body.find("root:") == std::string::npos, path);
  }
}

TEST_CASE("mirror: a 50 MB file streams intact") {
  mirror_fixture f;
  const std::string big = random_bytes(50u << 20, 2);
  test::write_file(f.www / "big.bin", big);
  auto cli = f.client();
  auto res = cli.Get("/big.bin");
  REQUIRE(res);
  CHECK(res->status == 200);
  CHECK(res->body.size() == big.size());
  CHECK(res->body == big);

  auto mid = cli.Get("/big.bin", {{"Range", "bytes=30000000-30999999"}});
  REQUIRE(mid);
  CHECK(mid->status == 206);
  CHECK(mid->body == big.substr(30000000, 1000000));
}

namespace {

/// TCP connections to the mirror from clients that take their time; closed
/// at scope exit.
struct slow_clients {
  std::vector<int> fds;

  /// Connects and sends `text`; false when either fails.
  bool open(int port, const std::string& text, int receive_buffer = 0) {
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) return false;
    fds.push_back(fd);
    if (receive_buffer > 0)
      ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &receive_buffer, sizeof receive_buffer);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_port = htons(static_cast<uint16_t>(port));
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0 &&
           ::send(fd, text.data(), text.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(text.size());
  }

  ~slow_clients() {
    for (const int fd : fds) ::close(fd);
  }
};

/// Sends one more byte on each connection every half second (the pace of
/// a slow client) until destroyed, also when a REQUIRE fails.
struct trickle {
  explicit trickle(const std::vector<int>& f) : fds(f) {}

  const std::vector<int>& fds;
  std::mutex mu;
  std::condition_variable stop;
  bool done = false;
  std::thread thread{[this] {
    std::unique_lock<std::mutex> lock(mu);
    do {
      for (const int fd : fds) (void) ::send(fd, "x", 1, MSG_NOSIGNAL);
    } while (!stop.wait_for(lock, std::chrono::milliseconds(500), [this] { return done; }));
  }};

  ~trickle() {
    {
      std::lock_guard<std::mutex> lock(mu);
      done = true;
    }
    stop.notify_all();
    thread.join();
  }
};

} // namespace

TEST_CASE("mirror: dozens of slow clients do not keep others from being "
          "served") {
  mirror_fixture f;
  test::write_file(f.www / "big.bin", random_bytes(8u << 20, 3));
  // Slowloris: 48 clients send their request headers a byte at a time, each
  // byte well within the read timeout, and never finish. 16 more ask for
  // 8 MB and never read the answer. Each holds a worker while it lasts.
  slow_clients headers, readers;
  for (int i = 0; i < 48; ++i)
    REQUIRE(headers.open(f.server->port(),
                         "GET /" + f.file_name + " HTTP/1.1\r\nHost: x\r\nX-Slow: "));
  for (int i = 0; i < 16; ++i)
    REQUIRE(readers.open(f.server->port(), "GET /big.bin HTTP/1.1\r\nHost: x\r\n\r\n", 4096));
  trickle trickler{headers.fds};

  // Meanwhile ordinary requests are answered (the bound is a hang guard,
  // far above the milliseconds they take).
  for (int i = 0; i < 3; ++i) {
    httplib::Client cli("127.0.0.1", f.server->port());
    cli.set_connection_timeout(5);
    cli.set_read_timeout(8);
    auto res = cli.Get(("/" + f.file_name).c_str(), {{"Range", "bytes=100-199"}});
    REQUIRE_MESSAGE(res, "request " << i << " was not served while slow clients waited");
    CHECK(res->status == 206);
    CHECK(res->body == f.content.substr(100, 100));
  }
}

TEST_CASE("mirror: clear_faults ends a stall in progress") {
  mirror_fixture f;
  mirror_fault hold;
  hold.what = mirror_fault::kind::stall_mid_body;
  hold.stall_ms = 600000; // until cleared
  f.server->set_fault(f.file_name, hold);
  std::string body;
  std::thread get([&] {
    auto cli = f.client(); // read timeout 20 s: far below the stall
    if (auto res = cli.Get(("/" + f.file_name).c_str())) body = res->body;
  });
  REQUIRE(f.server->wait_for_request([](const mirror_request&) { return true; }, 20s));
  f.server->clear_faults();
  get.join();
  CHECK(body == f.content);
}

TEST_CASE("mirror: stop is idempotent and start fails on a missing directory") {
  mirror_fixture f;
  const int port = f.server->port();
  f.server->stop();
  f.server->stop();
  httplib::Client cli("127.0.0.1", port);
  cli.set_connection_timeout(2);
  CHECK(!cli.Get("/"));

  mirror_options opts;
  opts.dir = (f.root / "no-such-dir").string();
  mirror_server missing(opts);
  CHECK_THROWS_AS(missing.start(), std::runtime_error);
}

TEST_CASE("mirror: the command prints its URL and stops on SIGTERM") {
  mirror_fixture f;
  int out[2];
  REQUIRE(::pipe(out) == 0);
  const std::string dir = f.www.string();
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    ::dup2(out[1], 1);
    ::close(out[0]);
    ::close(out[1]);
    const int null_fd = ::open("/dev/null", O_WRONLY);
    ::dup2(null_fd, 2);
    ::execl(GAIA_DR3_BINARY, GAIA_DR3_BINARY, "mirror", "--dir", dir.c_str(), "--port", "0",
            static_cast<char*>(nullptr));
    ::_exit(127);
  }
  ::close(out[1]);
  std::string line;
  char ch;
  while (::read(out[0], &ch, 1) == 1 && ch != '\n') line += ch;
  ::close(out[0]);
  REQUIRE(line.rfind("http://127.0.0.1:", 0) == 0);
  const int port = std::stoi(line.substr(17));

  httplib::Client cli("127.0.0.1", port);
  cli.set_connection_timeout(5);
  cli.set_read_timeout(5);
  auto res = cli.Get(("/" + f.file_name).c_str());
  REQUIRE(res);
  CHECK(res->body == f.content);

  ::kill(pid, SIGTERM);
  int status = 0;
  if (!test::wait_for_exit(pid, 10s, status)) {
    ::kill(pid, SIGKILL);
    ::waitpid(pid, &status, 0);
    FAIL("mirror did not stop on SIGTERM");
  }
  CHECK(WIFEXITED(status));
  CHECK(WEXITSTATUS(status) == 0);
}

TEST_CASE("mirror: the command rejects a missing directory") {
  const std::string cmd = std::string(GAIA_DR3_BINARY) +
                          " mirror --dir /nonexistent/gaia-mirror-dir 2>/dev/null";
  const int rc = std::system(cmd.c_str());
  CHECK(WIFEXITED(rc));
  CHECK(WEXITSTATUS(rc) == 2);
}

namespace {

/// A generated file: byte i is a function of i.
class pattern_body final : public generated_body {
public:
  explicit pattern_body(uint64_t size) : size_(size) {}
  uint64_t size() const override { return size_; }
  void read(uint64_t offset, char* out, size_t n) const override {
    REQUIRE(offset + n <= size_);
    for (size_t i = 0; i < n; ++i) out[i] = byte_at(offset + i);
  }
  static char byte_at(uint64_t i) { return static_cast<char>((i * 7919) >> 3); }

private:
  uint64_t size_;
};

std::string pattern(uint64_t from, uint64_t n) {
  std::string s(n, '\0');
  for (uint64_t i = 0; i < n; ++i) s[i] = pattern_body::byte_at(from + i);
  return s;
}

} // namespace

TEST_CASE("mirror: generated files are served with their length, ranges and validators") {
  const uint64_t size = 3 * 1024 * 1024 + 17; // several of the mirror's pieces
  mirror_options opts;
  opts.log_requests = false;
  opts.generated = [size](const std::string& name) -> std::shared_ptr<const generated_body> {
    if (name == "EpochPhotometry_000000-003111.csv.gz") return std::make_shared<pattern_body>(size);
    return nullptr;
  };
  mirror_server server(opts);
  server.start();
  httplib::Client cli("127.0.0.1", server.port());
  cli.set_read_timeout(20);
  const std::string path = "/EpochPhotometry_000000-003111.csv.gz";

  auto get = cli.Get(path.c_str());
  REQUIRE(get);
  CHECK(get->status == 200);
  CHECK(get->get_header_value("Content-Length") == std::to_string(size));
  CHECK(get->body == pattern(0, size));
  const std::string etag = get->get_header_value("ETag");
  CHECK(!etag.empty());

  auto head = cli.Head(path.c_str());
  REQUIRE(head);
  CHECK(head->status == 200);
  CHECK(head->get_header_value("Content-Length") == std::to_string(size));
  CHECK(head->body.empty());

  auto part = cli.Get(path.c_str(), {{"Range", "bytes=1000000-2999999"}, {"If-Range", etag}});
  REQUIRE(part);
  CHECK(part->status == 206);
  CHECK(part->get_header_value("Content-Range") ==
        "bytes 1000000-2999999/" + std::to_string(size));
  CHECK(part->body == pattern(1000000, 2000000));

  auto tail = cli.Get(path.c_str(), {{"Range", "bytes=-10"}});
  REQUIRE(tail);
  CHECK(tail->status == 206);
  CHECK(tail->body == pattern(size - 10, 10));

  auto past = cli.Get(path.c_str(), {{"Range", "bytes=" + std::to_string(size) + "-"}});
  REQUIRE(past);
  CHECK(past->status == 416);

  for (const char* missing : {"/EpochPhotometry_003112-005263.csv.gz", "/sub/x.gz", "/"}) {
    auto res = cli.Get(missing);
    REQUIRE(res);
    CHECK_MESSAGE(res->status == 404, missing);
  }
}

TEST_CASE("mirror: the command serves a generated archive whose checksum list matches its "
          "files, and keeps the list") {
  test::temp_dir dir("gaia-mirror-gen");
  const auto sums = (dir / "sums.txt").string();
  for (int start = 0; start < 2; ++start) { // the second start reads the kept list
    const auto logs = dir / ("run" + std::to_string(start));
    std::filesystem::create_directories(logs);
    test::child_process m({"mirror", "--generated", "0.2", "--files", "2", "--checksums", sums},
                          {}, logs);
    REQUIRE(test::eventually([&] { return m.out().find('\n') != std::string::npos; }, 60s));
    const int port = std::stoi(m.out().substr(m.out().rfind(':') + 1));
    httplib::Client cli("127.0.0.1", port);
    cli.set_read_timeout(20);
    auto list = cli.Get("/_MD5SUM.txt");
    REQUIRE(list);
    CHECK(list->status == 200);
    CHECK(list->body == test::read_file(sums));
    std::istringstream lines(list->body);
    int files = 0;
    for (std::string md5_hex, name; lines >> md5_hex >> name; ++files) {
      auto res = cli.Get(("/" + name).c_str());
      REQUIRE(res);
      REQUIRE(res->status == 200);
      md5 h;
      h.update(res->body);
      CHECK_MESSAGE(h.hex() == md5_hex, name);
    }
    CHECK(files == 2);
    CHECK((m.err().find("hashing the generated archive") != std::string::npos) == (start == 0));
    m.signal(SIGTERM);
    CHECK(m.wait(10s) == 0);
  }
  const std::string both = std::string(GAIA_DR3_BINARY) + " mirror --dir " + dir.path().string() +
                           " --generated 0.2 2>/dev/null";
  const int rc = std::system(both.c_str());
  CHECK(WEXITSTATUS(rc) == 2);
}

TEST_CASE("mirror: the command says what is missing or wrong: no source, a bad scale, a "
          "checksum list it cannot keep") {
  test::temp_dir dir("gaia-mirror-args");
  struct bad_call {
    std::vector<std::string> args;
    int rc;
    std::string says;
  };
  const std::vector<bad_call> calls = {
    {{"mirror"}, 2, "give --dir DIR (a folder of archive files) or --generated SCALE"},
    {{"mirror", "--generated", "0"}, 2, "--generated: must be a number above 0 and at most 100, "
                                         "not '0'"},
    {{"mirror", "--generated", "abc"}, 2, "not 'abc'"},
    {{"mirror", "--generated", "0.01", "--files", "2", "--checksums", "/proc/nope/sums.txt"}, 1,
     "--checksums /proc/nope/sums.txt: cannot create /proc/nope"},
  };
  int n = 0;
  for (const auto& c : calls) {
    const auto logs = dir / std::to_string(n++);
    std::filesystem::create_directories(logs);
    test::child_process m(c.args, {}, logs);
    CHECK(m.wait(30s) == c.rc);
    CHECK_MESSAGE(m.err().find(c.says) != std::string::npos, m.err());
  }
}
