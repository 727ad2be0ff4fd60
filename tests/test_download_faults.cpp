// The whole production against a real HTTP mirror on 127.0.0.1 that
// misbehaves the ways real networks and proxies do (mirror_fault). Every
// scenario ends with the exact results.csv or a results.err naming the file
// and the cause, within a bounded time: small backoff and stall limits keep
// the whole file fast.
#include "actors/production.hpp"
#include "download/checksums.hpp"
#include "results/checkpoint.hpp"
#include "download/downloader.hpp"
#include "engine/log.hpp"
#include "download/md5.hpp"
#include "tools/mirror/mirror.hpp"
#include "settings/output_layout.hpp"
#include "messages/messages.hpp"

#include "tests/fault_mirror.hpp"
#include "tests/production_fixture.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <filesystem>

using namespace gaia;
namespace fs = std::filesystem;
using test::fault;
using namespace std::chrono_literals;
using kind = mirror_fault::kind;

namespace {

const std::vector<int64_t> boundaries = {0, 40, 90, 130};

/// A three-file archive (with _MD5SUM.txt) served by a mirror, and settings
/// that run the production against it with fast retries.
struct faulty_mirror {
  test::temp_dir dir{"gaia-dlfault"};
  test::small_archive archive;
  std::unique_ptr<mirror_server> server;
  settings s;
  std::vector<test::expected_row> expected;
  double seconds = 0; ///< of the last run

  explicit faulty_mirror(bool checksums = true) {
    engine::set_log_quiet(true);
    archive.ranges = ranges_from_boundaries(boundaries);
    fs::create_directories(dir / "www");
    for (const auto& r : archive.ranges) {
      archive.files.push_back(synth::generate_rows(r, 0.5, 31));
      synth::write_archive_file((dir / "www" / r.archive_file_name()).string(),
                                archive.files.back());
    }
    if (checksums) write_checksum_file((dir / "www").string());
    expected = test::expected_rows(archive);
    mirror_options o;
    o.dir = (dir / "www").string();
    o.log_requests = false;
    server = std::make_unique<mirror_server>(o);
    server->start();
    s = test::fast_retry_settings(boundaries, *server, (dir / "out").string());
    s.request_timeout_s = 60;
  }
  ~faulty_mirror() { engine::set_log_quiet(false); }

  std::string name(size_t i) const { return archive.ranges[i].archive_file_name(); }
  std::string url(size_t i) const { return server->base_url() + "/" + name(i); }
  output_layout layout() const { return output_layout(s.output_dir); }

  engine::run_outcome run() {
    auto t0 = std::chrono::steady_clock::now();
    auto o = run_production_once(s);
    seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return o;
  }

  /// GET requests of one file, in order.
  std::vector<mirror_request> gets(const std::string& file) const {
    std::vector<mirror_request> out;
    for (auto& r : server->requests())
      if (r.method == "GET" && r.path == "/" + file) out.push_back(r);
    return out;
  }

  void check_exact(const engine::run_outcome& o) const {
    INFO(o.step << " " << o.subject << " " << o.error);
    REQUIRE(o.ok);
    test::check_results_equal(layout().results_csv, expected);
    CHECK_FALSE(fs::exists(layout().err_marker));
  }

  /// results.err's first two lines, after checking there is no answer.
  std::string check_failed(const engine::run_outcome& o,
                           const std::string& step = "download") const {
    CHECK_FALSE(o.ok);
    CHECK(o.step == step);
    CHECK_FALSE(fs::exists(layout().results_csv));
    CHECK_FALSE(fs::exists(layout().done_marker));
    REQUIRE(fs::exists(layout().err_marker));
    auto err = test::read_file(layout().err_marker);
    return err.substr(0, err.find('\n', err.find('\n') + 1));
  }
};

} // namespace

TEST_CASE("download faults: a clean run with checksums is exact and reads the list once") {
  faulty_mirror m;
  auto o = m.run();
  m.check_exact(o);
  CHECK(m.gets(checksum_file_name).size() == 1);
  for (size_t i = 0; i < 3; ++i) {
    CHECK(m.gets(m.name(i)).size() == 1);
    // The checkpoint records where its input came from, and the kept copy.
    auto info = read_checkpoint_info(m.layout().checkpoint_path(m.archive.ranges[i]));
    REQUIRE(info);
    CHECK(info->source.md5 == md5_file((m.dir / "www" / m.name(i)).string()));
    CHECK(info->source.url == m.server->base_url() + "/" + m.name(i));
    CHECK(info->input == fingerprint_of(m.layout().download_path(m.archive.ranges[i])));
    // The happy path leaves no small file beside the kept archive file.
    CHECK_FALSE(fs::exists(m.layout().download_path(m.archive.ranges[i]) + ".part.info"));
    CHECK_FALSE(fs::exists(m.layout().download_path(m.archive.ranges[i]) + ".verified"));
  }

  SUBCASE("a restart trusts the recorded MD5s and fetches nothing") {
    auto again = m.run();
    m.check_exact(again);
    for (size_t i = 0; i < 3; ++i) CHECK(m.gets(m.name(i)).size() == 1);
    CHECK(m.gets(checksum_file_name).size() == 2); // once per run
  }
  SUBCASE("a checkpoint of other bytes than the published ones is not reused: the "
          "kept copy is checked and imported again, without the network") {
    const auto ck = m.layout().checkpoint_path(m.archive.ranges[1]);
    auto info = read_checkpoint_info(ck);
    REQUIRE(info);
    info->source.md5 = std::string(32, '0');
    write_checkpoint(ck, *info, {});
    m.check_exact(m.run());
    CHECK(m.gets(m.name(1)).size() == 1);
    CHECK(read_checkpoint_info(ck)->source.md5
          == md5_file((m.dir / "www" / m.name(1)).string()));
  }
  SUBCASE("a damaged kept copy without checkpoint is hashed, rejected and fetched again") {
    const auto local = m.layout().download_path(m.archive.ranges[2]);
    auto bytes = test::read_file(local);
    bytes[bytes.size() / 2] ^= 1;
    test::write_file(local, bytes);
    fs::remove(m.layout().checkpoint_path(m.archive.ranges[2]));
    m.check_exact(m.run());
    CHECK(m.gets(m.name(2)).size() == 2);
  }
  SUBCASE("archive files not kept: only the checkpoints stay, and a re-run "
          "reuses them by the recorded MD5") {
    fs::remove_all(m.s.output_dir);
    m.s.keep_downloads = false;
    m.check_exact(m.run());
    for (size_t i = 0; i < 3; ++i) {
      CHECK_FALSE(fs::exists(m.layout().download_path(m.archive.ranges[i])));
      CHECK(m.gets(m.name(i)).size() == 2);
    }
    CHECK(fs::is_empty(m.layout().downloads_dir));
    m.check_exact(m.run());
    for (size_t i = 0; i < 3; ++i) CHECK(m.gets(m.name(i)).size() == 2);
  }
}

TEST_CASE("download faults: 500/503 bursts are retried to the exact answer") {
  faulty_mirror m;
  m.server->set_fault(m.name(0), fault(kind::status, 2)); // 503, 503, ok
  auto e500 = fault(kind::status, 1);
  e500.status = 500;
  m.server->set_fault(m.name(2), e500);
  m.check_exact(m.run());
  auto g0 = m.gets(m.name(0));
  REQUIRE(g0.size() == 3);
  CHECK(g0[0].status == 503);
  CHECK(g0[2].status == 200);
  CHECK(m.gets(m.name(1)).size() == 1);
  CHECK(m.gets(m.name(2)).size() == 2);
}

TEST_CASE("download faults: Retry-After is honoured over a shorter backoff") {
  faulty_mirror m;
  auto busy = fault(kind::status, 1);
  busy.retry_after_s = 1;
  m.server->set_fault(m.name(1), busy);
  m.check_exact(m.run());
  auto g = m.gets(m.name(1));
  REQUIRE(g.size() == 2);
  CHECK(g[1].at - g[0].at >= 950ms); // backoff alone would be ~10 ms
}

TEST_CASE("download faults: a connection dropped mid-body is resumed with a range") {
  faulty_mirror m;
  m.server->set_fault(m.name(1), fault(kind::reset_mid_body, 1));
  m.check_exact(m.run());
  auto g = m.gets(m.name(1));
  REQUIRE(g.size() == 2);
  CHECK(g[0].fault == "reset_mid_body");
  CHECK(g[1].range.rfind("bytes=", 0) == 0);
  CHECK(g[1].range != "bytes=0-");
  CHECK_FALSE(g[1].if_range.empty());
  CHECK(g[1].status == 206);
}

TEST_CASE("download faults: a body shorter than Content-Length is completed") {
  faulty_mirror m;
  // Kept or not, every byte a cut transfer brought is taken (the import
  // gathers curl's pieces: the last ones go on after the transfer ends), so
  // each retry asks for exactly the rest.
  SUBCASE("kept") {}
  SUBCASE("not kept") { m.s.keep_downloads = false; }
  auto shorter = fault(kind::short_body, 2);
  shorter.short_by = 10;
  m.server->set_fault(m.name(0), shorter);
  m.check_exact(m.run());
  auto g = m.gets(m.name(0));
  REQUIRE(g.size() == 3);
  const auto size = fs::file_size(m.dir / "www" / m.name(0));
  REQUIRE(size > 1024 * 1024); // many of curl's 16 KiB pieces
  CHECK(g[1].range == "bytes=" + std::to_string(size - 10) + "-");
  CHECK(g[2].range == "bytes=" + std::to_string(size - 9) + "-"); // the 206 was 1 byte short
  CHECK(g[2].status == 206);
}

TEST_CASE("download faults: a transfer stalled past the limit is retried") {
  faulty_mirror m;
  auto stall = fault(kind::stall_mid_body, 1);
  stall.stall_ms = 6000;
  m.server->set_fault(m.name(2), stall);
  m.check_exact(m.run());
  auto g = m.gets(m.name(2));
  REQUIRE(g.size() == 2);
  CHECK(g[1].status == 206);
  CHECK(g[1].at - g[0].at < 5s); // the stall limit (1 s), not the server
  CHECK(m.seconds < 15);
}

TEST_CASE("download faults: an HTML page instead of the file") {
  faulty_mirror m;
  SUBCASE("for good: results.err names the URL and says it is not gzip") {
    m.server->set_fault(m.name(2), fault(kind::html_page, -1));
    auto err = m.check_failed(m.run());
    CHECK(err.rfind("download failed: " + m.url(2), 0) == 0);
    CHECK(err.find("not gzip") != std::string::npos);
    CHECK(err.find("HTML") != std::string::npos);
    CHECK(m.gets(m.name(2)).size() == 4); // bounded: 1 + download_retries
  }
  SUBCASE("twice, then the file: the exact answer") {
    m.server->set_fault(m.name(2), fault(kind::html_page, 2));
    m.check_exact(m.run());
    CHECK(m.gets(m.name(2)).size() == 3);
  }
}

TEST_CASE("download faults: a 404 fails at once, naming the URL and the status") {
  faulty_mirror m;
  m.s.retry_backoff_ms = 10'000; // a retry would wait at least 5 s
  m.server->set_fault(m.name(1), fault(kind::not_found, -1));
  auto err = m.check_failed(m.run());
  CHECK(err.rfind("download failed: " + m.url(1), 0) == 0);
  CHECK(err.find(m.url(1) + ": HTTP 404") != std::string::npos);
  CHECK(m.gets(m.name(1)).size() == 1);
  CHECK(m.seconds < 4.5);
}

TEST_CASE("download faults: a server that ignores Range gets a fresh download") {
  faulty_mirror m;
  m.server->set_fault(m.name(0), fault(kind::reset_mid_body, 1));
  m.server->set_fault("*", fault(kind::ignore_range, -1)); // range requests only
  m.check_exact(m.run());
  auto g = m.gets(m.name(0));
  REQUIRE(g.size() == 2);
  CHECK_FALSE(g[1].range.empty());
  CHECK(g[1].fault == "ignore_range");
  CHECK(g[1].status == 200);
}

TEST_CASE("download faults: a damaged body (MD5 mismatch, or caught by the "
          "streamed import first)") {
  faulty_mirror m;
  SUBCASE("for good: results.err names the file and the damage") {
    m.server->set_fault(m.name(1), fault(kind::corrupt_body, -1));
    auto err = m.check_failed(m.run());
    CHECK(err.rfind("download failed: " + m.url(1), 0) == 0);
    // A flipped byte breaks the deflate stream or its CRC before the whole
    // file is there to hash: the import sees it first.
    CHECK((err.find("MD5 mismatch") != std::string::npos
           || err.find("corrupt gzip data") != std::string::npos));
    CHECK(m.gets(m.name(1)).size() == 4);
    CHECK_FALSE(fs::exists(m.layout().download_path(m.archive.ranges[1])));
  }
  SUBCASE("once: deleted, fetched again, exact") {
    m.server->set_fault(m.name(1), fault(kind::corrupt_body, 1));
    m.check_exact(m.run());
    CHECK(m.gets(m.name(1)).size() == 2);
  }
  SUBCASE("without checksums the gzip CRCs catch it: fetched again, exact") {
    faulty_mirror plain(false);
    plain.server->set_fault(plain.name(2), fault(kind::corrupt_body, 1));
    plain.check_exact(plain.run());
    CHECK(plain.gets(plain.name(2)).size() == 2);
  }
}

TEST_CASE("download faults: the checksum list itself") {
  SUBCASE("a file missing from it is an error naming the file") {
    faulty_mirror m;
    auto sums = test::read_file(m.dir / "www" / checksum_file_name);
    auto at = sums.find(m.name(2));
    sums.erase(sums.rfind('\n', at) + 1);
    test::write_file(m.dir / "www" / checksum_file_name, sums);
    auto err = m.check_failed(m.run());
    CHECK(err.find(m.name(2) + " is not listed in") != std::string::npos);
  }
  SUBCASE("no list at the derived URL: logged, and the run goes on") {
    faulty_mirror m(false);
    m.check_exact(m.run());
    CHECK(m.gets(checksum_file_name).size() == 1);
  }
  SUBCASE("an explicitly configured list that is missing is an error") {
    faulty_mirror m(false);
    m.s.checksum_url = m.server->base_url() + "/" + checksum_file_name;
    // The run's prepare step reads it, before any download.
    auto err = m.check_failed(m.run(), "prepare");
    CHECK(err == "prepare failed: " + *m.s.checksum_url + "\n" + *m.s.checksum_url
                   + ": HTTP 404");
    for (size_t i = 0; i < 3; ++i) CHECK(m.gets(m.name(i)).empty());
  }
  SUBCASE("checksums off: nothing is asked") {
    faulty_mirror m;
    m.s.checksum_url = "";
    m.check_exact(m.run());
    CHECK(m.gets(checksum_file_name).empty());
  }
}

TEST_CASE("download faults: request_timeout_s bounds one job, not its wait "
          "in the queue") {
  faulty_mirror m;
  SUBCASE("one download pool worker, three files: queued jobs do not time out") {
    m.s.download_pool_size = 1;
    m.s.request_timeout_s = 2;
    auto slow = fault(kind::stall_mid_body, 1);
    slow.stall_ms = 900; // under the stall limit, so not retried
    m.s.stall_timeout_s = 5;
    for (size_t i = 0; i < 3; ++i)
      m.server->set_fault(m.name(i), slow);
    m.check_exact(m.run());
    CHECK(m.seconds > 2.5); // longer than request_timeout_s in all
  }
  SUBCASE("a job that hangs past the limit ends the run, no waiting for it") {
    m.s.request_timeout_s = 1;
    m.s.stall_timeout_s = 30; // the stall check would wait far longer
    auto hang = fault(kind::stall_mid_body, -1);
    hang.stall_ms = 8000;
    m.server->set_fault(m.name(1), hang);
    auto err = m.check_failed(m.run());
    CHECK(err.rfind("download failed: " + m.url(1), 0) == 0);
    CHECK(err.find("request_timeout_s") != std::string::npos);
    CHECK(m.seconds < 6);
  }
}

TEST_CASE("download faults: a 206 that starts at byte 0 is the whole file") {
  // Some servers answer a plain GET with 206 and a Content-Range over the
  // whole file, and a resume with the file from byte 0.
  faulty_mirror m;
  SUBCASE("every GET answered 206 from 0: exact, one request per file") {
    m.server->set_fault("*", fault(kind::whole_as_206, -1));
    m.check_exact(m.run());
    for (size_t i = 0; i < 3; ++i) {
      auto g = m.gets(m.name(i));
      REQUIRE(g.size() == 1);
      CHECK(g[0].status == 206);
    }
  }
  SUBCASE("a resume answered from byte 0 starts over, exact") {
    auto drop = fault(kind::reset_mid_body, 1);
    drop.cut_fraction = 0.4;
    m.server->set_fault(m.name(1), drop);
    m.check_exact(m.run());
    m.server->set_fault("*", fault(kind::whole_as_206, -1));
    fs::remove_all(m.s.output_dir);
    m.server->set_fault(m.name(2), drop);
    auto o = m.run();
    m.check_exact(o);
  }
}

TEST_CASE("download faults: a body beyond max_file_bytes is aborted, naming "
          "the URL, before it fills the disk") {
  faulty_mirror m;
  m.s.max_file_bytes = 4 << 20;
  SUBCASE("an endless chunked body") {
    m.server->set_fault(m.name(1), fault(kind::endless_body, -1));
    auto o = m.run();
    auto err = m.check_failed(o);
    CHECK(err == "download failed: " + m.url(1) + "\n" + m.url(1)
                   + ": larger than max_file_bytes (4194304 bytes)");
    CHECK(m.gets(m.name(1)).size() == 1); // not retried
    CHECK_FALSE(fs::exists(m.layout().download_path(m.archive.ranges[1]) + ".part"));
  }
  SUBCASE("a Content-Length larger than the limit: not a byte is kept") {
    m.server->set_fault(m.name(0), fault(kind::huge_length, -1));
    auto o = m.run();
    auto err = m.check_failed(o);
    CHECK(err.find(m.url(0) + ": larger than max_file_bytes") != std::string::npos);
    CHECK_FALSE(fs::exists(m.layout().download_path(m.archive.ranges[0]) + ".part"));
  }
}

TEST_CASE("download faults: not kept, a dropped connection is resumed from "
          "the bytes the streamed import already took") {
  faulty_mirror m;
  m.s.keep_downloads = false;
  auto drop = fault(kind::reset_mid_body, 1);
  drop.cut_fraction = 0.6;
  m.server->set_fault(m.name(0), drop);
  m.check_exact(m.run());
  auto g = m.gets(m.name(0));
  REQUIRE(g.size() == 2);
  CHECK(g[1].range.rfind("bytes=", 0) == 0); // continued, not started over
  CHECK(g[1].status == 206);
  CHECK(fs::is_empty(m.layout().downloads_dir));
}
