// `gaia-dr3 bench`'s floor stage, the hidden child every floor row runs: the
// bare ISA-L loop over the archive's files from the disk, and the same loop
// reading each file from a plain socket GET of a real loopback mirror (the
// informative "read from the loopback mirror" row). Both must inflate every
// byte of every file; no timing is checked.
#include "core/file_range.hpp"
#include "tools/mirror/mirror.hpp"
#include "tools/synth/synth.hpp"

#include "tests/process_util.hpp"

#include <doctest/doctest.h>

#include <string>

using namespace gaia;
using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

/// The floor stage as a child; its stdout (the uncompressed byte count),
/// or "exit N: stderr" when it fails.
std::string floor_child(const fs::path& work, const std::vector<std::string>& extra) {
  std::vector<std::string> args = {"bench", "--stage", "floor", "--backend", "isal", "--md5"};
  args.insert(args.end(), extra.begin(), extra.end());
  fs::create_directories(work);
  test::child_process child(args, {}, work);
  const int code = child.wait(60s);
  if (code != 0) return "exit " + std::to_string(code) + ": " + child.err();
  return child.out();
}

} // namespace

TEST_CASE("bench floor: from the disk and from a loopback mirror's socket, every byte of "
          "every file is inflated") {
  test::temp_dir dir;
  const auto www = dir / "www";
  fs::create_directories(www);
  uint64_t text_bytes = 0;
  for (const auto& r : ranges_from_boundaries({0, 300, 700, 1000})) {
    const auto path = www / r.archive_file_name();
    synth::write_archive_file(path.string(), synth::generate_rows(r, 0.2, 5));
    text_bytes += test::gunzip_file(path).size();
  }
  REQUIRE(text_bytes > 1000000);
  mirror_options o;
  o.dir = www.string();
  o.log_requests = false;
  mirror_server server(o);
  server.start();
  const std::string want = std::to_string(text_bytes) + "\n";
  CHECK(floor_child(dir / "disk", {"--archive", www.string()}) == want);
  CHECK(floor_child(dir / "socket", {"--archive", www.string(), "--from", server.base_url()}) ==
        want);
  // A file the server does not have: the stage fails naming its URL.
  fs::copy_file(www / ranges_from_boundaries({0, 300})[0].archive_file_name(),
                dir / "EpochPhotometry_999000-999001.csv.gz");
  const auto missing = floor_child(
    dir / "missing", {"--archive", dir.path().string(), "--from", server.base_url()});
  CHECK(missing.rfind("exit 1: ", 0) == 0);
  CHECK_MESSAGE(missing.find(server.base_url() + "/EpochPhotometry_999000-999001.csv.gz: HTTP/1.1 404")
                  != std::string::npos,
                missing);
}
