// `gaia-dr3 lightcurves --structure raw` streams its one table: thousands
// of sources asked from a synthetic archive, answered by the real command
// (a child process) in every format, read back by astropy value by value
// against the bulk rows (tests/lightcurve_readback.py --raw); and the
// child's peak RSS (wait4) asked for every source is within a few MB of
// asked for a tenth of them, in the formats that held every row before
// (all rows: 234 MB for 5,490 sources in VOTable).
#include "download/checksums.hpp"
#include "tools/synth/synth.hpp"

#include "tests/process_util.hpp"
#include "tests/test_util.hpp"
#include "tests/web_util.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <filesystem>

using namespace gaia;
namespace fs = std::filesystem;

namespace {

std::string quoted_path(const fs::path& p) { return "'" + p.string() + "'"; }

struct raw_archive {
  test::temp_dir dir{"gaia-lcraw"};
  std::vector<int64_t> ids; ///< every source of the archive, ascending
  fs::path bulk;            ///< its rows' text (header row, rows)

  raw_archive() {
    synth::archive_options o;
    o.out_dir = (dir / "arch").string();
    o.boundaries = {0, 3112, 5264};
    o.files = 2;
    o.scale = 0.15;
    o.seed = 9;
    o.threads = 2;
    const auto files = synth::write_archive(o);
    write_checksum_file(o.out_dir); // the archive's _MD5SUM.txt, as the CDN has
    std::string text;
    for (const auto& f : files) {
      std::istringstream in(test::gunzip_file(f.path));
      bool header_seen = false;
      for (std::string line; std::getline(in, line);) {
        if (line.empty() || line[0] == '#') continue;
        if (!header_seen) {
          header_seen = true;
          if (text.empty()) text = line + "\n";
          continue;
        }
        text += line + "\n";
        const auto a = line.find(',') + 1;
        ids.push_back(std::stoll(line.substr(a, line.find(',', a) - a)));
      }
    }
    bulk = dir / "bulk.csv";
    test::write_file(bulk, text);
    test::write_file(dir / "config.json",
                     "{\"archive_url_template\": \"file://" + (dir / "arch").string() +
                       "/EpochPhotometry_%s.csv.gz\", \"file_boundaries\": [0, 3112, 5264], "
                       "\"output_dir\": \"" + (dir / "output").string() + "\"}");
  }

  /// Runs the command for `ids`; returns its peak RSS in KiB.
  long answer(const std::vector<int64_t>& asked, const std::string& format,
              const fs::path& out) {
    std::string list;
    for (int64_t id : asked) list += std::to_string(id) + "\n";
    const auto ids_path = dir / ("ids-" + std::to_string(asked.size()) + ".txt");
    test::write_file(ids_path, list);
    fs::create_directories(out);
    test::child_process child({"lightcurves", "--ids", ids_path.string(), "--out", out.string(),
                               "--format", format, "--structure", "raw", "--config",
                               (dir / "config.json").string()},
                              {}, out);
    const int code = child.wait(std::chrono::minutes(5));
    INFO(child.err());
    REQUIRE(code == 0);
    return child.peak_rss_kb();
  }
};

} // namespace

TEST_CASE("lightcurves --structure raw: thousands of sources streamed into one table, every "
          "format read back by astropy, peak RSS not growing with the sources") {
  raw_archive a;
  REQUIRE(a.ids.size() >= 1500);
  std::vector<int64_t> tenth;
  for (size_t i = 0; i < a.ids.size(); i += 10) tenth.push_back(a.ids[i]);
  const auto tables = a.dir / "tables";
  for (const std::string format : {"votable", "votable_plain", "fits", "ecsv", "csv"}) {
    CAPTURE(format);
    const auto out = a.dir / ("answer-" + format);
    const long all_kb = a.answer(a.ids, format, out);
    const std::string ext = format == "votable" || format == "votable_plain" ? "xml" : format;
    const auto into = tables / format;
    const auto r = test::run_command(
      "/usr/bin/python3 -c \"import sys, zipfile; zipfile.ZipFile(sys.argv[1]).extract("
      "sys.argv[2], sys.argv[3])\" " + quoted_path(out / "lightcurves.zip") + " " +
      "EPOCH_PHOTOMETRY_RAW." + ext + " " + quoted_path(into));
    INFO(r.output);
    REQUIRE(r.code == 0);
    fs::rename(into / ("EPOCH_PHOTOMETRY_RAW." + ext), into / ("raw." + ext));
    // Every source's row in memory was 40 KB or more: 60 MB more for the
    // whole list than for its tenth; streamed, a few MB (a batch's rows).
    if (format == "votable" || format == "csv" || format == "fits") {
      const long tenth_kb = a.answer(tenth, format, a.dir / ("tenth-" + format));
      MESSAGE(format << ": peak RSS " << all_kb / 1024 << " MB for " << a.ids.size()
                     << " sources, " << tenth_kb / 1024 << " MB for " << tenth.size());
      CHECK(all_kb - tenth_kb < 16 * 1024);
    }
  }
  const auto script = fs::path(GAIA_SOURCE_DIR) / "tests" / "lightcurve_readback.py";
  const auto r = test::run_command("/usr/bin/python3 " + quoted_path(script) + " --raw " +
                                   quoted_path(a.bulk) + " " + quoted_path(tables));
  INFO(r.output);
  CHECK(r.code == 0);
  CHECK(r.output.rfind("ok ", 0) == 0);
}
