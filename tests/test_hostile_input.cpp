// Hostile archives against the real executable: a 2 MB gzip that inflates
// to 40 million rows, or to one 2 GB line, must import in bounded memory
// (measured by the kernel: the child's peak RSS) or fail with a clear error
// naming the file, the line and the limit.
#include "tests/process_util.hpp"

#include <doctest/doctest.h>

#include <string>

using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

constexpr long max_rss_kb = 256 * 1024;

/// `copies` gzip members, each holding `unit` repeated `per_member` times.
std::string repeated_gzip(const std::string& head, const std::string& unit,
                          size_t per_member, size_t copies) {
  std::string text;
  text.reserve(unit.size() * per_member);
  for (size_t i = 0; i < per_member; ++i) text += unit;
  const std::string member = gaia::test::gzip_member(text, 9);
  std::string out = gaia::test::gzip_member(head, 9);
  for (size_t i = 0; i < copies; ++i) out += member;
  return out;
}

const std::string header = "# %ECSV 1.0\n# ---\nsolution_id,source_id,n_transits,"
                           "bp_flux,rp_flux,flags\n";

} // namespace

TEST_CASE("hostile input: 40 million rows of one source import in bounded "
          "memory") {
  gaia::test::temp_dir dir("gaia-hostile");
  const std::string row = "1,4295806720,2,\"[1.5]\",[9],x\n";
  const auto path = dir / "rows.csv.gz";
  gaia::test::write_file(path, repeated_gzip(header, row, 1'000'000, 40));
  CHECK(fs::file_size(path) < 3'000'000);
  gaia::test::child_process inspect({"inspect", path.string()}, {}, dir.path());
  REQUIRE(inspect.wait(300s) == 0);
  CHECK(inspect.out().rfind(path.string() + ": 40000000 rows, 1 sources, 0 rows skipped, "
                            "0 flux values skipped", 0) == 0);
  INFO("peak RSS " << inspect.peak_rss_kb() << " KiB");
  CHECK(inspect.peak_rss_kb() < max_rss_kb);
}

TEST_CASE("hostile input: one 2 GB line fails at max_line_bytes, naming the "
          "file, the line and the limit, in bounded memory") {
  gaia::test::temp_dir dir("gaia-hostile");
  const auto path = dir / "line.csv.gz";
  // The data row opens a quoted flux array that never ends: 2 GiB of "1,".
  std::string file = repeated_gzip(header + "1,4295806720,2,\"[", "1,", 32 << 20, 32);
  gaia::test::write_file(path, file);
  CHECK(fs::file_size(path) < 3'000'000);
  gaia::test::child_process inspect({"inspect", path.string()}, {}, dir.path());
  REQUIRE(inspect.wait(300s) == 1);
  CHECK(inspect.err() == "gaia-dr3 inspect: " + path.string()
                           + ": line 4 is longer than max_line_bytes (33554432 bytes)\n");
  INFO("peak RSS " << inspect.peak_rss_kb() << " KiB");
  CHECK(inspect.peak_rss_kb() < max_rss_kb);

  // A smaller limit is a setting away.
  gaia::test::child_process small({"inspect", "--max-line-bytes", "100000", path.string()}, {},
                                  dir.path());
  REQUIRE(small.wait(60s) == 1);
  CHECK(small.err().find("line 4 is longer than max_line_bytes (100000 bytes)")
        != std::string::npos);
}
