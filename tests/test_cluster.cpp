// A run spread over several processes on loopback (actors/cluster.hpp,
// engine/cluster.hpp), with the real executable: a coordinator (`run`) and
// workers (`gaia-dr3 worker`) over mutual TLS, certificates made at test
// time with the openssl CLI; results bit-exact against a local run; a
// worker killed or frozen mid-job, its job done by another; a worker
// without a certificate of the CA, or of another version, refused.
#include "tests/cluster_util.hpp"
#include "tests/web_util.hpp"

#include "settings/settings.hpp"

#include <nlohmann/json.hpp>

#include <doctest/doctest.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>

using namespace gaia;
using test::merged;
using test::test_pki;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

/// A cluster test's archive, its local reference result and a coordinator.
struct cluster_fixture {
  test::temp_dir dir{"gaia-cluster"};
  test::mirror_archive m;
  std::string config = test::empty_config(dir);
  int port = test::free_port();
  std::string reference;

  explicit cluster_fixture(int files) : m(dir, files, 0.02) {
    fs::create_directories(dir / "local");
    test::child_process local({"run", "--config", config}, m.env(dir / "out-local"),
                              dir / "local");
    REQUIRE(local.wait(60s) == 0);
    reference = test::read_file(dir / "out-local" / "results.csv");
    REQUIRE(!reference.empty());
  }

  /// Every download stalls `ms` mid-body: jobs last long enough to see
  /// workers join, die and freeze.
  void slow_downloads(int ms) {
    mirror_fault f;
    f.what = mirror_fault::kind::stall_mid_body;
    f.stall_ms = ms;
    m.server->set_fault("*", f);
  }

  std::map<std::string, std::string> coordinator_env(std::map<std::string, std::string> extra) {
    auto env = m.env(dir / "out");
    env["GAIA_DOWNLOAD_POOL"] = "1";
    env["GAIA_CLUSTER_PORT"] = std::to_string(port);
    return merged(env, extra);
  }

  std::map<std::string, std::string> worker_env(const std::string& name,
                                                std::map<std::string, std::string> extra) {
    auto env = m.env(dir / ("scratch-" + name));
    env["GAIA_DOWNLOAD_POOL"] = "1";
    env["GAIA_IMPORT_POOL"] = "1";
    env["GAIA_CLUSTER_COORDINATOR_PORT"] = std::to_string(port);
    env["GAIA_CLUSTER_WORKER_NAME"] = name;
    return merged(env, extra);
  }

  std::unique_ptr<test::child_process> start(const std::string& tag, std::vector<std::string> args,
                                             const std::map<std::string, std::string>& env) {
    fs::create_directories(dir / tag);
    args.push_back("--config");
    args.push_back(config);
    return std::make_unique<test::child_process>(args, env, dir / tag);
  }

  /// The coordinator, once it listens.
  std::unique_ptr<test::child_process> coordinator(std::map<std::string, std::string> extra) {
    auto c = start("coordinator", {"run"}, coordinator_env(std::move(extra)));
    REQUIRE(test::wait_for_log(*c, "workers join on", 20s));
    return c;
  }

  std::string result() const { return test::read_file(dir / "out" / "results.csv"); }
};

bool has(const std::unique_ptr<test::child_process>& p, const std::string& text) {
  return p->err().find(text) != std::string::npos;
}


} // namespace

TEST_CASE("cluster: two workers join a running coordinator over mutual TLS, share the "
          "downloads, ship the checkpoints back, results bit-exact, and rejoin a restarted "
          "coordinator") {
  cluster_fixture f(6);
  test_pki pki(f.dir.path());
  f.slow_downloads(800);
  auto c = f.coordinator(pki.env("coordinator"));
  auto w1 = f.start("w1", {"worker"}, f.worker_env("w1", pki.env("w1")));
  auto w2 = f.start("w2", {"worker"}, f.worker_env("w2", pki.env("w2")));
  REQUIRE(c->wait(90s) == 0);
  INFO(c->err());
  CHECK(f.result() == f.reference);
  CHECK(test::occurrences(c->err(), "joined from") == 2); // the download pool (imports: file:// only)
  CHECK(test::occurrences(c->err(), "(w1/download1) did ") >= 1);
  CHECK(test::occurrences(c->err(), "(w2/download1) did ") >= 1);
  CHECK(has(w1, "joined gaia-dr3"));
  CHECK(has(w1, "worker: download "));
  // `run` has no select pool: the worker says so once, the coordinator
  // does not log a refusal per slot.
  CHECK(has(w1, "idle here (the coordinator runs no pool for them): "));
  CHECK(has(w1, "w1/select1"));
  CHECK(!has(w1, " not joined: "));
  CHECK(c->err().find("refused w1") == std::string::npos);
  // status names the remote workers and the files each did.
  {
    auto st = f.start("status", {"status"}, f.coordinator_env({}));
    st->wait(30s);
    CHECK(st->out().find("remote workers of run 1:") != std::string::npos);
    CHECK(st->out().find("  w1/download1 on ") != std::string::npos);
    CHECK(st->out().find("  w2/download1 on ") != std::string::npos);
  }
  // The shipped checkpoints are whole: no temporary left in aggregates/.
  for (const auto& e : fs::directory_iterator(f.dir / "out" / "aggregates"))
    CHECK(e.path().filename().string().find(".shipped") == std::string::npos);
  // The coordinator gone, the workers wait for it and join the next one.
  REQUIRE(test::wait_for_log(*w1, "lost the coordinator", 20s));
  fs::remove_all(f.dir / "out");
  auto again = f.coordinator(pki.env("coordinator"));
  REQUIRE(test::wait_on_files({w1->log_dir(), w2->log_dir()}, [&] {
    return test::occurrences(w1->err(), "joined gaia-dr3") == 2 && test::occurrences(w2->err(), "joined gaia-dr3") == 2;
  }, 20s));
  REQUIRE(again->wait(90s) == 0);
  CHECK(f.result() == f.reference);
}

TEST_CASE("cluster: a worker killed (SIGKILL) mid-job: its job goes to another worker, "
          "the run ends bit-exact") {
  cluster_fixture f(3);
  test_pki pki(f.dir.path());
  f.slow_downloads(1500);
  auto c = f.coordinator(pki.env("coordinator"));
  auto w1 = f.start("w1", {"worker"}, f.worker_env("w1", pki.env("w1")));
  REQUIRE(test::wait_for_log(*w1, "worker: download ", 20s));
  w1->signal(SIGKILL);
  REQUIRE(c->wait(60s) == 0);
  INFO(c->err());
  CHECK(has(c, "(w1/download1) lost"));
  CHECK(has(c, "giving it to another worker"));
  CHECK(f.result() == f.reference);
}

TEST_CASE("cluster: a worker frozen (SIGSTOP) mid-job is dropped after the connection "
          "timeout, its job done by another") {
  cluster_fixture f(3);
  test_pki pki(f.dir.path());
  f.slow_downloads(1500);
  const std::map<std::string, std::string> quick{{"GAIA_CLUSTER_CONNECTION_TIMEOUT_MS", "1500"}};
  auto c = f.coordinator(merged(pki.env("coordinator"), quick));
  auto w1 = f.start("w1", {"worker"}, f.worker_env("w1", merged(pki.env("w1"), quick)));
  REQUIRE(test::wait_for_log(*w1, "worker: download ", 20s));
  w1->signal(SIGSTOP);
  const int code = c->wait(60s);
  w1->signal(SIGCONT);
  REQUIRE(code == 0);
  INFO(c->err());
  CHECK(has(c, "(w1/download1) lost"));
  CHECK(f.result() == f.reference);
}

TEST_CASE("cluster: a worker whose certificate is not of the CA, or without TLS, is refused, "
          "and the authenticated worker beside it stays") {
  cluster_fixture f(3);
  test_pki pki(f.dir.path());
  f.slow_downloads(1500);
  auto c = f.coordinator(pki.env("coordinator"));
  auto w1 = f.start("w1", {"worker"}, f.worker_env("w1", pki.env("w1")));
  REQUIRE(test::wait_for_log(*w1, "joined gaia-dr3", 20s));
  auto rogue = f.start("rogue", {"worker"},
                       f.worker_env("rogue", {{"GAIA_CLUSTER_CERTIFICATE", pki.p("rogue.pem")},
                                              {"GAIA_CLUSTER_KEY", pki.p("rogue.key")},
                                              {"GAIA_CLUSTER_CAFILE", pki.p("other-ca.pem")}}));
  auto plain = f.start("plain", {"worker"}, f.worker_env("plain", {}));
  REQUIRE(test::wait_for_log(*rogue, "cannot reach the coordinator", 20s));
  REQUIRE(test::wait_for_log(*plain, "cannot reach the coordinator", 20s));
  std::this_thread::sleep_for(1500ms); // past w1's next reads
  const bool w1_stayed = !has(w1, "lost the coordinator");
  REQUIRE(c->wait(60s) == 0);
  INFO(c->err());
  CHECK(test::occurrences(c->err(), "joined from") == 1); // w1 only
  // The coordinator says whom it refused, and why.
  CHECK(has(c, "refused a connection from 127.0.0.1:"));
  CHECK(has(c, "TLS handshake failed"));
  CHECK(!has(c, "rogue"));
  CHECK(!has(c, "plain"));
  // A refused handshake does not disturb the others (CAF 0.17's TLS layer
  // would, without engine/cluster.cpp's SSL_read and friends).
  CHECK(!has(c, "(w1/download1) lost"));
  CHECK(!has(c, "(w1/download1) left"));
  CHECK(w1_stayed);
  CHECK(f.result() == f.reference);
}

TEST_CASE("cluster: without TLS files the coordinator binds loopback only, and a worker of "
          "another version is refused") {
  cluster_fixture f(2);
  {
    auto bad = f.start("open", {"run"}, f.coordinator_env({{"GAIA_CLUSTER_LISTEN", "0.0.0.0"}}));
    CHECK(bad->wait(30s) == 2);
    CHECK(has(bad, "cluster.listen"));
    CHECK(has(bad, "loopback"));
  }
  // Long enough that the refused worker, slow to start on a loaded machine,
  // still finds the coordinator running (it failed at 1.5 s a file).
  f.slow_downloads(5000);
  auto c = f.coordinator({});
  CHECK(has(c, "(loopback, no TLS)"));
  auto other = f.start("other", {"worker"},
                       f.worker_env("other", {{"GAIA_CLUSTER_VERSION", "gaia-dr3 0.0.0-other"}}));
  CHECK(other->wait(30s) == 2);
  CHECK(has(other, "refused by the coordinator"));
  CHECK(has(other, "it is gaia-dr3 0.0.0-other, this coordinator is gaia-dr3 "));
  CHECK(has(c, "refused other/download1@"));
  REQUIRE(c->wait(60s) == 0);
  CHECK(!has(c, "joined from"));
  CHECK(f.result() == f.reference);
}

namespace {

settings parse_with(const std::string& json, std::map<std::string, std::string> env = {}) {
  return parse_settings(json, "config.json", [env](const char* name) -> std::optional<std::string> {
    auto i = env.find(name);
    if (i == env.end()) return std::nullopt;
    return i->second;
  });
}

std::string error_of(const std::string& json, std::map<std::string, std::string> env = {}) {
  try {
    parse_with(json, std::move(env));
  } catch (const config_error& e) {
    return e.what();
  }
  return "";
}

} // namespace

TEST_CASE("cluster: the cluster section of the config, its checks and overrides") {
  test::temp_dir dir("gaia-cluster-settings");
  for (const char* f : {"a.pem", "a.key", "ca.pem"}) test::write_file(dir / f, "x");
  const auto p = [&](const char* f) { return (dir / f).string(); };
  SUBCASE("off by default, loopback") {
    auto s = parse_with("{}");
    CHECK(s.cluster.port == 0);
    CHECK(s.cluster.listen == "127.0.0.1");
    CHECK(!s.cluster.tls());
  }
  SUBCASE("read from the file and the environment") {
    auto s = parse_with("{\"cluster\": {\"port\": 4242, \"listen\": \"0.0.0.0\", "
                        "\"certificate\": \"" + p("a.pem") + "\", \"key\": \"" + p("a.key")
                          + "\", \"cafile\": \"" + p("ca.pem") + "\"}}",
                        {{"GAIA_CLUSTER_CONNECTION_TIMEOUT_MS", "1500"},
                         {"GAIA_CLUSTER_IMPORTS", "true"}});
    CHECK(s.cluster.port == 4242);
    CHECK(s.cluster.listen == "0.0.0.0");
    CHECK(s.cluster.tls());
    CHECK(s.cluster.connection_timeout_ms == 1500);
    CHECK(s.cluster.imports);
    CHECK(to_json(s)["cluster"]["port"] == 4242);
  }
  SUBCASE("errors name the key") {
    CHECK(error_of("{\"cluster\": {\"listen\": \"0.0.0.0\", \"port\": 4242}}")
            .find("cluster.listen: '0.0.0.0' is not loopback") != std::string::npos);
    CHECK(error_of("{\"cluster\": {\"certificate\": \"" + p("a.pem") + "\"}}")
            .find("cluster.key: missing; mutual TLS needs") != std::string::npos);
    CHECK(error_of("{\"cluster\": {\"certificate\": \"/nonexistent.pem\", \"key\": \""
                   + p("a.key") + "\", \"cafile\": \"" + p("ca.pem") + "\"}}")
            .find("cluster.certificate: cannot read") != std::string::npos);
    CHECK(error_of("{\"cluster\": {\"prot\": 1}}").find("unknown key 'cluster.prot'")
          != std::string::npos);
    CHECK(error_of("{\"cluster\": 4242}").find("cluster: expected an object")
          != std::string::npos);
    CHECK(error_of("{\"cluster.port\": 4242}").find("unknown key") != std::string::npos);
    CHECK(error_of("{}", {{"GAIA_CLUSTER_PORT", "70000"}}).find("GAIA_CLUSTER_PORT")
          != std::string::npos);
  }
}

TEST_CASE("cluster: a job that failed on two workers fails the run, and results.err names "
          "the file and both workers") {
  cluster_fixture f(3);
  test_pki pki(f.dir.path());
  f.slow_downloads(1500);
  auto c = f.coordinator(pki.env("coordinator"));
  // Their scratch output_dir is a file: they cannot write a checkpoint.
  test::write_file(f.dir / "not-a-dir", "x");
  auto broken = [&](const std::string& name) {
    auto env = f.worker_env(name, pki.env(name));
    env["GAIA_OUTPUT_DIR"] = (f.dir / "not-a-dir").string();
    return env;
  };
  auto w1 = f.start("w1", {"worker"}, broken("w1"));
  auto w2 = f.start("w2", {"worker"}, broken("w2"));
  CHECK(c->wait(60s) == 1);
  INFO(c->err());
  const auto err = test::read_file(f.dir / "out" / "results.err");
  INFO(err);
  CHECK(err.find("failed on two workers") != std::string::npos);
  CHECK(err.find("(w1/download1)") != std::string::npos);
  CHECK(err.find("(w2/download1)") != std::string::npos);
  CHECK(err.find("EpochPhotometry_") != std::string::npos);
  CHECK(has(c, "giving it to another worker"));
}

TEST_CASE("cluster: a run that fails on the coordinator is cancelled on the workers too") {
  cluster_fixture f(2);
  test_pki pki(f.dir.path());
  mirror_fault slow;
  slow.what = mirror_fault::kind::stall_mid_body;
  slow.stall_ms = 1500;
  f.m.server->set_fault("_MD5SUM.txt", slow); // the workers join meanwhile
  mirror_fault gone;
  gone.what = mirror_fault::kind::not_found;
  f.m.server->set_fault(f.m.file_name(0), gone); // the local worker's, first
  slow.stall_ms = 20000;
  f.m.server->set_fault(f.m.file_name(1), slow); // the remote worker's
  auto c = f.coordinator(pki.env("coordinator"));
  auto w1 = f.start("w1", {"worker"}, f.worker_env("w1", pki.env("w1")));
  CHECK(c->wait(60s) == 1);
  INFO(c->err());
  INFO(w1->err());
  CHECK(has(w1, "worker: download " + f.m.label(1)));
  CHECK(test::wait_for_log(*w1, "run 1 cancelled by the coordinator", 10s));
  f.m.server->clear_faults();
}

namespace {

/// A TCP connection to 127.0.0.1:port that the test drives byte by byte.
struct raw_client {
  int fd = -1;
  explicit raw_client(int port) {
    fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.sin_port = htons(static_cast<uint16_t>(port));
    REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
  }
  ~raw_client() { ::close(fd); }
  /// The local port: how the coordinator's log names this client.
  int port() const {
    sockaddr_in a{};
    socklen_t n = sizeof a;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&a), &n);
    return ntohs(a.sin_port);
  }
  void send(const std::string& bytes) {
    REQUIRE(::send(fd, bytes.data(), bytes.size(), MSG_NOSIGNAL) == ssize_t(bytes.size()));
  }
  /// Waits (up to `limit`) for the other side to close; what it sends
  /// meanwhile (a TLS alert) is read and dropped. True when it closed.
  bool closed_within(std::chrono::milliseconds limit) {
    const auto deadline = std::chrono::steady_clock::now() + limit;
    for (;;) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
      if (left.count() <= 0) return false;
      pollfd p{fd, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
      char buf[4096];
      if (::recv(fd, buf, sizeof buf, 0) <= 0) return true; // EOF or reset
    }
  }
};

/// A TLS coordinator that stays up (serve) for the refusal tests.
std::unique_ptr<test::child_process> serving_coordinator(cluster_fixture& f, const test_pki& pki,
                                                         const std::string& timeout_ms) {
  auto env = f.coordinator_env(pki.env("coordinator"));
  env["GAIA_CLUSTER_CONNECTION_TIMEOUT_MS"] = timeout_ms;
  auto c = f.start("coordinator", {"serve"}, env);
  REQUIRE(test::wait_for_log(*c, "workers join on", 20s));
  return c;
}

} // namespace

TEST_CASE("cluster: refused peers are named by their address even when already gone, logged "
          "once a minute per host, and the refused worker says why") {
  cluster_fixture f(1);
  test_pki pki(f.dir.path());
  auto c = serving_coordinator(f, pki, "5000");
  // Five refusals of a worker whose certificate (and CA) are another CA's:
  // it drops the connection as soon as it sees the coordinator's
  // certificate, so the coordinator finds the peer gone (reset) when its
  // handshake fails.
  for (int i = 0; i < 5; ++i) {
    auto rogue = f.start("rogue" + std::to_string(i), {"worker"},
                         f.worker_env("rogue", {{"GAIA_CLUSTER_CERTIFICATE", pki.p("rogue.pem")},
                                                {"GAIA_CLUSTER_KEY", pki.p("rogue.key")},
                                                {"GAIA_CLUSTER_CAFILE", pki.p("other-ca.pem")}}));
    REQUIRE(test::wait_for_log(*rogue, "cannot reach the coordinator", 20s));
    INFO(rogue->err());
    // It says why: the coordinator's certificate is not of its CA.
    CHECK(has(rogue, "TLS handshake failed (error:"));
    CHECK(has(rogue, "certificate verify failed"));
  }
  // Plain bytes, the connection closed at once.
  for (int i = 0; i < 5; ++i) {
    raw_client plain(f.port);
    plain.send("hello, coordinator\n");
  }
  REQUIRE(test::wait_for_log(*c, "wrong version number", 10s));
  REQUIRE(test::wait_for_log(*c, "unknown ca", 10s));
  INFO(c->err());
  CHECK(!has(c, "refused a connection from ?"));
  CHECK(!has(c, "unknown peer"));
  CHECK(test::occurrences(c->err(), "refused a connection from 127.0.0.1:") >= 2);
  // Once a minute per host and reason, however many came.
  CHECK(test::occurrences(c->err(), "unknown ca)") == 1);
  CHECK(test::occurrences(c->err(), "wrong version number)") == 1);
}

TEST_CASE("cluster: a connection that never finishes its TLS handshake is closed within the "
          "limit, and logged with its address") {
  cluster_fixture f(1);
  test_pki pki(f.dir.path());
  // connection_timeout 1500 ms: the handshake limit is 1 s.
  auto c = serving_coordinator(f, pki, "1500");
  raw_client silent(f.port);
  raw_client partial(f.port);
  // A TLS record header announcing a ClientHello that never comes whole.
  partial.send(std::string("\x16\x03\x01\x00\x80\x01\x00\x00\x7c\x03\x03", 11));
  // Generous bounds (a loaded machine): closed well before 8 s, not never.
  CHECK(silent.closed_within(8000ms));
  CHECK(partial.closed_within(8000ms));
  INFO(c->err());
  // Logged with the address of one of them (the other: the same host and
  // reason within a minute).
  const std::string why = ": TLS handshake failed (not finished within 1 s)";
  REQUIRE(test::wait_for_log(*c, why, 10s));
  CHECK(test::occurrences(c->err(), why) == 1);
  CHECK((has(c, "from 127.0.0.1:" + std::to_string(silent.port()) + why)
         || has(c, "from 127.0.0.1:" + std::to_string(partial.port()) + why)));
  CHECK(!has(c, "refused a connection from ?"));
  // Authenticated workers still join beside such peers.
  auto w1 = f.start("w1", {"worker"}, f.worker_env("w1", pki.env("w1")));
  CHECK(test::wait_for_log(*w1, "joined gaia-dr3", 20s));
}
