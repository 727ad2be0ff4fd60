// Download retries are counted by their cause where the downloader sees
// the failure (download/retry.hpp), not parsed from log text: each fault
// of the loopback mirror lands on its own retry_cause, and a production
// counts its retries in the counter it was given, never in a process-wide
// one.
#include "actors/transfer_options.hpp"
#include "actors/production.hpp"
#include "download/downloader.hpp"
#include "download/md5.hpp"
#include "download/retry.hpp"
#include "engine/log.hpp"
#include "engine/runner.hpp"
#include "tools/mirror/mirror.hpp"

#include "tests/fault_mirror.hpp"
#include "tests/production_fixture.hpp"
#include "tests/web_util.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <filesystem>
#include <memory>

using namespace gaia;
namespace fs = std::filesystem;
using test::fault;
using kind = mirror_fault::kind;

namespace {

const std::vector<int64_t> boundaries = {0, 40, 90};

/// Two archive files served by a loopback mirror, and settings with fast
/// retries against it.
struct retry_mirror {
  test::temp_dir dir{"gaia-retrycause"};
  std::vector<file_range> ranges = ranges_from_boundaries(boundaries);
  std::unique_ptr<mirror_server> server;
  settings s;

  retry_mirror() {
    engine::set_log_quiet(true);
    fs::create_directories(dir / "www");
    for (const auto& r : ranges)
      synth::write_archive_file((dir / "www" / r.archive_file_name()).string(),
                                synth::generate_rows(r, 0.5, 17));
    mirror_options o;
    o.dir = (dir / "www").string();
    o.log_requests = false;
    server = std::make_unique<mirror_server>(o);
    server->start();
    s = test::fast_retry_settings(boundaries, *server, (dir / "out").string());
  }
  ~retry_mirror() { engine::set_log_quiet(false); }

  std::string name(size_t i) const { return ranges[i].archive_file_name(); }

  /// Fetches file 0 (kept, MD5 checked, not imported) with the options the
  /// download operation builds, its retries counted in `retries`.
  download_result fetch(const std::shared_ptr<retry_counter>& retries) {
    auto runs = std::make_shared<engine::run_control>();
    auto opts = transfer_options(s, 1, ranges[0].label(), runs, retries);
    opts.expected_md5 = md5_file((dir / "www" / name(0)).string());
    downloader dl;
    return dl.fetch(server->base_url() + "/" + name(0), (dir / name(0)).string(), opts);
  }
};

/// Every cause but `c` is at 0.
void check_only(const retry_counter& n, retry_cause c, uint64_t count) {
  for (size_t i = 0; i < retry_cause_count; ++i) {
    const auto other = static_cast<retry_cause>(i);
    INFO(retry_cause_name(other));
    CHECK(n.count(other) == (other == c ? count : 0));
  }
}

} // namespace

TEST_CASE("retry causes: each mirror fault is counted under its cause") {
  retry_mirror m;
  auto retries = std::make_shared<retry_counter>();
  SUBCASE("503 twice: http_5xx") {
    m.server->set_fault(m.name(0), fault(kind::status, 2));
    CHECK(m.fetch(retries).attempts == 3);
    check_only(*retries, retry_cause::http_5xx, 2);
  }
  SUBCASE("429: http_429") {
    auto f = fault(kind::status, 1);
    f.status = 429;
    m.server->set_fault(m.name(0), f);
    m.fetch(retries);
    check_only(*retries, retry_cause::http_429, 1);
  }
  SUBCASE("408: http_408") {
    auto f = fault(kind::status, 1);
    f.status = 408;
    m.server->set_fault(m.name(0), f);
    m.fetch(retries);
    check_only(*retries, retry_cause::http_408, 1);
  }
  SUBCASE("an HTML page: not_gzip") {
    m.server->set_fault(m.name(0), fault(kind::html_page, 1));
    m.fetch(retries);
    check_only(*retries, retry_cause::not_gzip, 1);
  }
  SUBCASE("a flipped byte: md5_mismatch") {
    m.server->set_fault(m.name(0), fault(kind::corrupt_body, 1));
    m.fetch(retries);
    check_only(*retries, retry_cause::md5_mismatch, 1);
  }
  SUBCASE("a stall: stall") {
    auto f = fault(kind::stall_mid_body, 1);
    f.stall_ms = 4000;
    m.server->set_fault(m.name(0), f);
    m.fetch(retries);
    check_only(*retries, retry_cause::stall, 1);
  }
  SUBCASE("a connection dropped mid-body: connection") {
    m.server->set_fault(m.name(0), fault(kind::reset_mid_body, 1));
    CHECK(m.fetch(retries).resumed);
    check_only(*retries, retry_cause::connection, 1);
  }
  SUBCASE("curl's time limit: timeout") {
    m.s.http_timeout_s = 1;
    m.s.stall_min_bytes_per_s = 0; // only the time limit
    auto f = fault(kind::stall_mid_body, 1);
    f.stall_ms = 3000;
    m.server->set_fault(m.name(0), f);
    m.fetch(retries);
    check_only(*retries, retry_cause::timeout, 1);
  }
  SUBCASE("a port nobody listens on: connect") {
    const int port = test::free_port();
    m.s.download_retries = 1;
    auto runs = std::make_shared<engine::run_control>();
    auto opts = transfer_options(m.s, 1, "x", runs, retries);
    downloader dl;
    CHECK_THROWS_AS(dl.fetch("http://127.0.0.1:" + std::to_string(port) + "/x.csv.gz",
                             (m.dir / "x.csv.gz").string(), opts),
                    download_error);
    check_only(*retries, retry_cause::connect, 1);
  }
  // The labels /metrics shows: every cause, from the start.
  CHECK(retries->by_name().size() == retry_cause_count);
  CHECK(retries->by_name().count("short_body") == 1);
}

TEST_CASE("retry causes: a production counts its retries in its own counter") {
  retry_mirror m;
  m.server->set_fault(m.name(1), fault(kind::status, 1)); // one 503
  caf::actor_system_config cfg;
  configure_actor_system(cfg);
  caf::actor_system sys{cfg};
  auto counted = std::make_shared<retry_counter>();
  auto outcome = engine::run_once(sys, gaia_production(m.s, "", nullptr, counted),
                                  spawn_options_of(m.s));
  REQUIRE(outcome.ok);
  check_only(*counted, retry_cause::http_5xx, 1);

  // Another production in this process (serve respawns one after a config
  // change; tests run many) with a counter of its own: each counts only
  // its own retries.
  m.s.output_dir = (m.dir / "out2").string();
  m.server->set_fault(m.name(0), fault(kind::html_page, 1));
  auto other = std::make_shared<retry_counter>();
  REQUIRE(engine::run_once(sys, gaia_production(m.s, "", nullptr, other), spawn_options_of(m.s))
            .ok);
  check_only(*other, retry_cause::not_gzip, 1);
  check_only(*counted, retry_cause::http_5xx, 1);
}
