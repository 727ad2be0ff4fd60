// The pieces of a robust download, tested directly: MD5, the _MD5SUM.txt
// format, the backoff and Retry-After rules, the ".verified" stamp, and the
// downloader against a real mirror on 127.0.0.1 (resume that never splices
// two versions, cancellable backoff).
#include "download/checksums.hpp"
#include "download/downloader.hpp"
#include "download/md5.hpp"
#include "tools/mirror/mirror.hpp"
#include "download/retry.hpp"
#include "settings/settings.hpp"

#include "tests/test_util.hpp"

#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <thread>

using namespace gaia;
namespace fs = std::filesystem;
using namespace std::chrono_literals;

TEST_CASE("download: MD5 matches the RFC 1321 test suite, fed in any pieces") {
  CHECK(md5_hex("") == "d41d8cd98f00b204e9800998ecf8427e");
  CHECK(md5_hex("a") == "0cc175b9c0f1b6a831c399e269772661");
  CHECK(md5_hex("abc") == "900150983cd24fb0d6963f7d28e17f72");
  CHECK(md5_hex("message digest") == "f96b697d7cb7938d525a2f31aaf161d0");
  CHECK(md5_hex("abcdefghijklmnopqrstuvwxyz") == "c3fcd3d76192e4007dfb496cca67e13b");
  CHECK(md5_hex("12345678901234567890123456789012345678901234567890123456789012345678901234567890")
        == "57edf4a22be3c955ac49da2e2107b67a");
  std::string big;
  for (int i = 0; i < 100000; ++i) big += static_cast<char>(i * 7 + i / 13);
  const std::string whole = md5_hex(big);
  for (size_t step : {1u, 3u, 63u, 64u, 65u, 1000u}) {
    md5 h;
    for (size_t at = 0; at < big.size(); at += step)
      h.update(big.data() + at, std::min(step, big.size() - at));
    CHECK(h.hex() == whole);
  }
  test::temp_dir dir;
  test::write_file(dir / "f", big);
  CHECK(md5_file((dir / "f").string()) == whole);
  md5 prefix;
  md5_file_prefix((dir / "f").string(), 777, prefix);
  CHECK(prefix.hex() == md5_hex(big.substr(0, 777)));
}

TEST_CASE("download: _MD5SUM.txt parsing and the derived checksum URL") {
  auto list = parse_checksums("0CC175B9C0F1B6A831C399E269772661  "
                              "EpochPhotometry_000000-003111.csv.gz\r\n"
                              "\n"
                              "900150983cd24fb0d6963f7d28e17f72 *sub/b.csv.gz\n",
                              "u");
  CHECK(list.size() == 2);
  CHECK(list["EpochPhotometry_000000-003111.csv.gz"] == "0cc175b9c0f1b6a831c399e269772661");
  CHECK(list["b.csv.gz"] == "900150983cd24fb0d6963f7d28e17f72");
  try {
    parse_checksums("0cc175b9c0f1b6a831c399e269772661  a.gz\n<html><body>proxy</body></html>\n",
                    "https://x/_MD5SUM.txt");
    FAIL("no error");
  } catch (const download_error& e) {
    CHECK(std::string(e.what()).find("https://x/_MD5SUM.txt: line 2") == 0);
  }
  CHECK_THROWS_AS(parse_checksums("abc  file\n", "u"), download_error);
  // A UTF-8 BOM before the first line (an editor's) is not part of it;
  // anywhere else it is still an error naming the line.
  auto bom = parse_checksums("\xEF\xBB\xBF" "0cc175b9c0f1b6a831c399e269772661  a.gz\r\n"
                             "900150983cd24fb0d6963f7d28e17f72  b.gz\r\n",
                             "u");
  CHECK(bom.size() == 2);
  CHECK(bom["a.gz"] == "0cc175b9c0f1b6a831c399e269772661");
  try {
    parse_checksums("0cc175b9c0f1b6a831c399e269772661  a.gz\n"
                    "\xEF\xBB\xBF" "900150983cd24fb0d6963f7d28e17f72  b.gz\n",
                    "u");
    FAIL("no error");
  } catch (const download_error& e) {
    CHECK(std::string(e.what()).find("u: line 2") == 0);
  }

  CHECK(derived_checksum_url("https://cdn.gea.esac.esa.int/Gaia/gdr3/Photometry/"
                             "epoch_photometry/EpochPhotometry_%s.csv.gz")
        == "https://cdn.gea.esac.esa.int/Gaia/gdr3/Photometry/epoch_photometry/_MD5SUM.txt");
  CHECK(derived_checksum_url("file:///m/E_%s.csv.gz") == "file:///m/_MD5SUM.txt");
  CHECK(derived_checksum_url("http://h/%s/file.csv.gz").empty());
  CHECK(url_file_name("http://h/a/E_1.csv.gz?x=1") == "E_1.csv.gz");

  settings s = default_settings();
  CHECK(checksum_source_of(s).url == derived_checksum_url(s.archive_url_template));
  CHECK_FALSE(checksum_source_of(s).explicit_url);
  s.checksum_url = "";
  CHECK(checksum_source_of(s).url.empty());
  s.checksum_url = "http://h/sums.txt";
  CHECK(checksum_source_of(s).explicit_url);
}

TEST_CASE("download: backoff doubles with jitter up to a cap and Retry-After is capped") {
  CHECK(backoff_delay(1, 1000, 1.0) == 1000ms);
  CHECK(backoff_delay(1, 1000, 0.0) == 500ms);
  CHECK(backoff_delay(3, 1000, 1.0) == 4000ms);
  CHECK(backoff_delay(40, 1000, 1.0) == std::chrono::milliseconds(max_backoff_ms));
  CHECK(backoff_delay(2, 0, 0.5) == 0ms);
  for (int i = 0; i < 100; ++i) {
    double j = random_jitter();
    CHECK((j >= 0 && j <= 1));
  }
  CHECK(parse_retry_after("2", 0) == 2);
  CHECK(parse_retry_after(" 7 ", 0) == 7);
  CHECK(parse_retry_after("86400", 0) == max_retry_after_s);
  CHECK_FALSE(parse_retry_after("", 0));
  CHECK_FALSE(parse_retry_after("-3", 0));
  CHECK_FALSE(parse_retry_after("soon", 0));
  // An HTTP date 30 s after "now".
  CHECK(parse_retry_after("Wed, 21 Oct 2015 07:28:30 GMT", 1445412480) == 30);
  CHECK(retryable_status(503));
  CHECK(retryable_status(429));
  CHECK(retryable_status(500));
  CHECK_FALSE(retryable_status(404));
  CHECK_FALSE(retryable_status(403));

  // Cancelled at the third look, two ticks into the sleep: it ends there.
  int looks = 0;
  auto t0 = std::chrono::steady_clock::now();
  CHECK_FALSE(sleep_unless_cancelled(10s, [&] { return ++looks > 2; }));
  CHECK(looks == 3);
  CHECK(std::chrono::steady_clock::now() - t0 < 2s);
  CHECK(sleep_unless_cancelled(20ms, nullptr));
}

TEST_CASE("download: same_source and same_server_version") {
  source_version a{"http://a/x.csv.gz", "\"1\"", "Mon", 10, "aa"};
  source_version want{"http://a/x.csv.gz", "", "", 0, "aa"};
  CHECK(same_source(a, want));
  want.md5 = "bb";
  CHECK_FALSE(same_source(a, want));        // the published MD5 changed
  want.md5 = "";
  CHECK(same_source(a, want));              // nothing to compare but the URL
  want.url = "http://b/x.csv.gz";
  CHECK_FALSE(same_source(a, want));        // another archive
  source_version head{"http://a/x.csv.gz", "\"1\"", "Tue", 10, ""};
  CHECK(same_server_version(a, head));      // a strong ETag decides
  head.etag = "\"2\"";
  CHECK_FALSE(same_server_version(a, head));
  head.etag = "W/\"1\"";
  CHECK_FALSE(same_server_version(a, head)); // weak: Last-Modified decides
  head.last_modified = "Mon";
  CHECK(same_server_version(a, head));
  head.size = 11;
  CHECK_FALSE(same_server_version(a, head));
}

TEST_CASE("download: file_url_path") {
  CHECK(*file_url_path("file:///data/a%20b/x.csv.gz") == "/data/a b/x.csv.gz");
  CHECK(*file_url_path("file://localhost/data/x.csv.gz") == "/data/x.csv.gz");
  CHECK_FALSE(file_url_path("https://host/x.csv.gz"));
  CHECK_THROWS_AS(file_url_path("file://otherhost/x"), download_error);
  CHECK_THROWS_AS(file_url_path("file://relative/path"), download_error);
}

namespace {

/// A gzip-looking file of `n` bytes served by a mirror.
struct served_file {
  test::temp_dir dir{"gaia-dl"};
  std::string name = "EpochPhotometry_000000-000009.csv.gz";
  std::string content;
  std::unique_ptr<mirror_server> server;
  std::string dest = (dir / "dest.csv.gz").string();

  explicit served_file(size_t n) {
    content = "\x1f\x8b";
    for (size_t i = 2; i < n; ++i) content += static_cast<char>((i * 131) >> 3);
    fs::create_directories(dir / "www");
    test::write_file(dir / "www" / name, content);
    mirror_options o;
    o.dir = (dir / "www").string();
    o.log_requests = false;
    server = std::make_unique<mirror_server>(o);
    server->start();
  }
  std::string url() const { return server->base_url() + "/" + name; }
};

download_options fast_options() {
  download_options o;
  o.retries = 2;
  o.retry_backoff_ms = 10;
  o.connect_timeout_s = 5;
  o.total_timeout_s = 20;
  o.stall_timeout_s = 2;
  return o;
}

} // namespace

TEST_CASE("download: a .part from another version of the file is never continued") {
  served_file f(200'000);
  // A .part of 1000 wrong bytes that claims an older version of the file.
  test::write_file(f.dest + ".part", "\x1f\x8b" + std::string(998, 'x'));
  test::write_file(f.dest + ".part.info", "200000\n\"old-etag\"\n\n");
  downloader dl;
  auto opts = fast_options();
  opts.expected_md5 = md5_hex(f.content);
  auto r = dl.fetch(f.url(), f.dest, opts);
  CHECK(test::read_file(f.dest) == f.content);
  CHECK_FALSE(r.resumed);
  auto reqs = f.server->requests();
  REQUIRE(reqs.size() == 1);
  CHECK(reqs[0].range == "bytes=1000-");
  CHECK(reqs[0].if_range == "\"old-etag\"");
  CHECK(reqs[0].status == 200); // If-Range did not match: the whole file
  CHECK_FALSE(fs::exists(f.dest + ".part"));
  CHECK_FALSE(fs::exists(f.dest + ".part.info"));
  CHECK(r.source.md5 == opts.expected_md5);
  CHECK(r.source.url == f.url());
}

TEST_CASE("download: a .part of the same version is continued with a range") {
  served_file f(200'000);
  downloader dl;
  auto opts = fast_options();
  // First attempt drops at 30 %; the run "crashes" before retrying.
  mirror_fault drop;
  drop.what = mirror_fault::kind::reset_mid_body;
  drop.cut_fraction = 0.3;
  f.server->set_fault(f.name, drop);
  opts.retries = 0;
  CHECK_THROWS_AS(dl.fetch(f.url(), f.dest, opts), download_error);
  CHECK(fs::file_size(f.dest + ".part") == 60'000);
  CHECK_FALSE(fs::exists(f.dest));
  // A later run resumes it.
  f.server->clear_faults();
  opts.retries = 2;
  opts.expected_md5 = md5_hex(f.content);
  auto r = dl.fetch(f.url(), f.dest, opts);
  CHECK(r.resumed);
  CHECK(test::read_file(f.dest) == f.content);
  auto reqs = f.server->requests();
  REQUIRE(reqs.size() == 2);
  CHECK(reqs[1].range == "bytes=60000-");
  CHECK(reqs[1].status == 206);
}

TEST_CASE("download: a cancelled run stops a backoff sleep at once") {
  served_file f(1000);
  mirror_fault busy;
  busy.what = mirror_fault::kind::status;
  busy.status = 503;
  f.server->set_fault("*", busy);
  downloader dl;
  auto opts = fast_options();
  opts.retries = 5;
  opts.retry_backoff_ms = 20'000;
  // The run is cancelled once the 20 s backoff has begun (its notice given,
  // and its first look at the flag passed): the sleep ends at its next look.
  bool backing_off = false;
  int looks = 0;
  opts.on_notice = [&](const download_notice&) { backing_off = true; };
  opts.cancelled = [&] { return backing_off && ++looks > 1; };
  auto t0 = std::chrono::steady_clock::now();
  CHECK_THROWS_AS(dl.fetch(f.url(), f.dest, opts), download_cancelled);
  CHECK(looks == 2);
  CHECK(std::chrono::steady_clock::now() - t0 < 3s);
  CHECK(f.server->requests().size() == 1);
}


TEST_CASE("download: the archive's files from _MD5SUM.txt, in order, "
          "contiguous, named by line when not") {
  auto list = [](const std::string& text) {
    return archive_files_listed(parse_checksum_lines(text, "u/_MD5SUM.txt"), "u/_MD5SUM.txt");
  };
  const std::string a = std::string(32, 'a') + "  ";
  auto files = list(a + "EpochPhotometry_000000-003111.csv.gz\n" + a + "README.txt\n"
                    + a + "EpochPhotometry_003112-005263.csv.gz\n");
  REQUIRE(files.size() == 2);
  CHECK(files[1].first == 3112);
  CHECK(files[1].last == 5263);
  CHECK_THROWS_WITH_AS(list(a + "EpochPhotometry_000000-003111.csv.gz\n" + a
                            + "EpochPhotometry_003113-005263.csv.gz\n"),
                       "u/_MD5SUM.txt: line 2: EpochPhotometry_003113-005263.csv.gz leaves a "
                       "gap after the file of line 1 (EpochPhotometry_000000-003111.csv.gz): "
                       "the files must be contiguous and increasing",
                       download_error);
  CHECK_THROWS_WITH_AS(list(a + "EpochPhotometry_003112-005263.csv.gz\n" + a
                            + "EpochPhotometry_000000-003111.csv.gz\n"),
                       doctest::Contains("line 2: EpochPhotometry_000000-003111.csv.gz "
                                         "overlaps or goes back from"),
                       download_error);
  CHECK_THROWS_WITH_AS(list(a + "notes.txt\n"), doctest::Contains("lists no EpochPhotometry"),
                       download_error);
  // The real archive's 3,386 names (the synthetic full archive uses them).
  std::string all;
  for (const auto& line : test::read_lines(std::string(GAIA_FIXTURES_DIR) + "/epoch_photometry_files.txt"))
    all += a + line + "\n";
  auto dr3 = list(all);
  CHECK(dr3.size() == 3386);
  CHECK(dr3.front().label() == "000000-003111");
  CHECK(dr3.back().label() == "786097-786431");
}
