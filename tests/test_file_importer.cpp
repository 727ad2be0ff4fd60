// The file_importer (importer/) owns a file's checkpoint on every path:
// reuse decided once, the import, storing it, a shipped one validated. And
// the transport it drives knows no file format: the caller's body_check
// and damaged_bytes_error are all download/ goes by.
#include "importer/file_importer.hpp"

#include "core/errors.hpp"
#include "download/md5.hpp"
#include "tests/test_util.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <filesystem>

using namespace gaia;
namespace fs = std::filesystem;

namespace {

/// An archive file made of the sample fixture, and its importer's inputs.
struct archive_file {
  test::temp_dir dir{"gaia-importer"};
  std::string path = (dir / "EpochPhotometry_000000-003111.csv.gz").string();
  std::string url = "file://" + path;
  std::string checkpoint = (dir / "000000-003111.bin").string();
  std::string bytes;
  std::string md5;

  archive_file() {
    bytes = test::gzip_member(
      test::read_file(std::string(GAIA_FIXTURES_DIR) + "/gaia_dr3_epoch_sample.ecsv"));
    test::write_file(path, bytes);
    md5 = md5_hex(bytes);
  }
  file_importer importer(const std::string& expected_md5) const {
    return file_importer("000000-003111", url, checkpoint, expected_md5, 0);
  }
  download_options options() const {
    download_options o;
    o.body = archive_body();
    o.expected_md5 = md5;
    return o;
  }
};

/// Records what a transfer feeds it; throws damaged_bytes_error on the
/// first `damaged` feeds.
struct recording_consumer : stream_consumer {
  std::string bytes;
  int restarts = 0;
  bool finished = false;
  int damaged = 0;
  void restart() override {
    ++restarts;
    bytes.clear();
  }
  void feed(const char* data, size_t n) override {
    if (damaged > 0) {
      --damaged;
      throw damaged_bytes_error("bytes.bin: damaged on the way");
    }
    bytes.append(data, n);
  }
  void finish() override { finished = true; }
};

} // namespace

TEST_CASE("file importer: imported once, then reused only while it is this very file") {
  archive_file f;
  const auto imp = f.importer(f.md5);
  CHECK_FALSE(imp.reuse(fingerprint_of(f.path), version_check::in_place)); // none yet

  auto r = imp.import_file(f.path, f.path, f.options());
  CHECK_FALSE(r.reused);
  CHECK(r.label == "000000-003111");
  CHECK(r.checkpoint_path == f.checkpoint);
  CHECK(r.rows > 0);
  CHECK(r.sources > 0);
  CHECK(r.bytes == f.bytes.size());
  CHECK(r.uncompressed_bytes > r.bytes);
  CHECK(r.source.md5 == f.md5);
  CHECK(fs::exists(f.checkpoint));

  auto again = imp.reuse(fingerprint_of(f.path), version_check::in_place);
  REQUIRE(again);
  CHECK(again->reused);
  CHECK(again->rows == r.rows);
  CHECK(again->sources == r.sources);
  CHECK(again->bytes == r.bytes);
  CHECK(again->source.md5 == f.md5);

  SUBCASE("another MD5 or another URL: never this checkpoint") {
    CHECK_FALSE(f.importer(std::string(32, '0')).reuse(fingerprint_of(f.path),
                                                       version_check::in_place));
    file_importer other("000000-003111", "file:///elsewhere.csv.gz", f.checkpoint, f.md5, 0);
    CHECK_FALSE(other.reuse(std::nullopt, version_check::in_place));
  }
  SUBCASE("the local copy changed: imported again") {
    fs::last_write_time(f.path, fs::last_write_time(f.path) + std::chrono::seconds(10));
    CHECK_FALSE(imp.reuse(fingerprint_of(f.path), version_check::in_place));
  }
  SUBCASE("without an MD5, the version check decides") {
    const auto no_md5 = f.importer("");
    CHECK(no_md5.reuse(fingerprint_of(f.path), version_check::in_place));
    CHECK_FALSE(no_md5.reuse(fingerprint_of(f.path), version_check::none));
    // The server is asked; a file:// record has no validator to agree on.
    int asked = 0;
    auto server = [&] { ++asked; return r.source; };
    CHECK_FALSE(no_md5.reuse(std::nullopt, version_check::ask_server, server));
    CHECK(asked == 1);
    // With an MD5 the record decides: the server is not asked.
    CHECK(imp.reuse(std::nullopt, version_check::ask_server, server));
    CHECK(asked == 1);
  }
}

TEST_CASE("file importer: a shipped checkpoint is stored only when whole and of this file") {
  archive_file f;
  f.importer(f.md5).import_file(f.path, f.path, f.options());
  const std::string shipped = test::read_file(f.checkpoint);
  auto leftovers = [&] {
    int n = 0;
    for (const auto& e : fs::directory_iterator(f.dir.path()))
      n += e.path().filename().string().find(".shipped") != std::string::npos;
    return n;
  };

  const std::string here = (f.dir / "stored.bin").string();
  file_importer(".", f.url, here, "", 0).store_shipped(shipped, "w1/download1");
  CHECK(test::read_file(here) == shipped);

  const std::string foreign = (f.dir / "foreign.bin").string();
  file_importer other(".", "file:///other.csv.gz", foreign, "", 0);
  CHECK_THROWS_WITH(other.store_shipped(shipped, "w1/download1"),
                    ("file:///other.csv.gz: the checkpoint w1/download1 sent is of " + f.url)
                      .c_str());
  CHECK_THROWS_WITH(other.store_shipped("not a checkpoint", "w2"),
                    "file:///other.csv.gz: the checkpoint w2 sent is not valid");
  CHECK_FALSE(fs::exists(foreign));
  CHECK(leftovers() == 0);
}

TEST_CASE("transport: download/ knows no format, the caller's body_check decides") {
  test::temp_dir dir("gaia-bytes");
  const std::string path = (dir / "bytes.bin").string();
  const std::string url = "file://" + path;
  test::write_file(path, "<html>a proxy's page</html>");

  SUBCASE("no check: any bytes go to the consumer") {
    recording_consumer c;
    auto v = read_local(path, url, download_options{}, c);
    CHECK(c.bytes == "<html>a proxy's page</html>");
    CHECK(c.finished);
    CHECK(v.size == c.bytes.size());
  }
  SUBCASE("the caller's format names the refusal") {
    download_options o;
    o.body = body_check{"png", [](const unsigned char* b) { return b[0] == 0x89 && b[1] == 'P'; }};
    recording_consumer c;
    CHECK_THROWS_WITH(read_local(path, url, o, c), (url + ": not a png file").c_str());
    o.body = archive_body();
    CHECK_THROWS_WITH(read_local(path, url, o, c), (url + ": not a gzip file").c_str());
  }
  SUBCASE("damaged bytes, whatever found them so, are fetched again") {
    download_options o;
    o.retries = 2;
    o.retry_backoff_ms = 1;
    std::vector<std::string> notices;
    o.on_notice = [&](const download_notice& n) { notices.push_back(n.text); };
    recording_consumer c;
    c.damaged = 1;
    downloader dl;
    auto r = dl.fetch(url, "", o, &c);
    CHECK(r.attempts == 2);
    CHECK(c.bytes == "<html>a proxy's page</html>");
    CHECK(c.finished);
    REQUIRE(notices.size() == 1);
    CHECK(notices[0].find("bytes.bin: damaged on the way (while streaming " + url + ")")
          == 0);
  }
}
