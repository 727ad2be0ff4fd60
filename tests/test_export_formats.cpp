// export_formats: the answer as VOTable, FITS and ECSV beside results.csv.
// Whole runs of the production over a file:// archive with a checksum
// list; the files read back by astropy (tests/export_readback.py: every
// double bit for bit against results.csv, the provenance against the
// archive's own MD5s) and the VOTables by `stilts votlint`, as real
// processes. Also: the default writes results.csv alone and removes an
// earlier run's other files, a file that cannot be written fails the run
// naming it and leaves no part of the answer, and a bad list is a config
// error naming the key.
#include "actors/export_operation.hpp"
#include "actors/production.hpp"
#include "download/checksums.hpp"
#include "engine/log.hpp"
#include "lightcurve/formats/table_files.hpp"
#include "lightcurve/table_parts.hpp"
#include "settings/output_layout.hpp"

#include "tests/env_util.hpp"
#include "tests/production_fixture.hpp"
#include "tests/web_util.hpp"

#include <doctest/doctest.h>

#include <filesystem>
#include <set>
#include <unistd.h>

using namespace gaia;
namespace fs = std::filesystem;
namespace lc = gaia::lightcurve;

namespace {

const std::vector<int64_t> boundaries = {0, 30, 70};

struct quiet_logs {
  quiet_logs() { engine::set_log_quiet(true); }
  ~quiet_logs() { engine::set_log_quiet(false); }
};

/// Two synthetic files with a one-band source (empty BP fields in
/// results.csv: NaN in the other formats) and extreme values among them,
/// and the archive's _MD5SUM.txt.
struct archive_fixture {
  test::temp_dir dir;
  test::small_archive archive;
  settings s;

  archive_fixture() {
    archive.ranges = ranges_from_boundaries(boundaries);
    for (const auto& r : archive.ranges) archive.files.push_back(synth::generate_rows(r, 0.5, 5));
    const int64_t pix = 3;
    archive.files[0].push_back({(pix << 43) | 1, {1, 1, 1}, {NAN, NAN, NAN}, {1.5, 4.5, 2}});
    archive.files[0].push_back({(pix << 43) | 2, {1, 1}, {1.01e-13, 157841.99293824387}, {3, 4}});
    archive.files[1].push_back({(int64_t{40} << 43) | 3, {1, 1}, {5e-324, 1.7976931348623157e308},
                                {NAN, 0.1}});
    fs::create_directories(mirror());
    for (size_t i = 0; i < archive.files.size(); ++i)
      synth::write_archive_file((mirror() / archive.ranges[i].archive_file_name()).string(),
                                archive.files[i]);
    write_checksum_file(mirror().string());
    s = test::file_mirror_settings(boundaries, mirror().string(), (dir / "out").string());
  }
  fs::path mirror() const { return dir / "mirror"; }
  output_layout layout() const { return output_layout(s.output_dir); }

  void set_formats(std::vector<lc::table_format> formats) {
    s.get<export_settings>().export_formats = std::move(formats);
  }

  engine::run_outcome run() {
    auto outcome = run_production_once(s);
    INFO(outcome.step << " " << outcome.subject << " " << outcome.error);
    REQUIRE(outcome.ok);
    test::check_results_equal(layout().results_csv, test::expected_rows(archive));
    return outcome;
  }
};

std::string shell_quoted(const fs::path& p) { return "'" + p.string() + "'"; }

/// astropy reads each format's file back (export_readback.py).
void astropy_reads_back(const archive_fixture& f, uint64_t run_id,
                        const std::string& formats) {
  const auto script = fs::path(GAIA_SOURCE_DIR) / "tests" / "export_readback.py";
  const auto r = test::run_command("/usr/bin/python3 " + shell_quoted(script) + " " +
                                   shell_quoted(f.s.output_dir) + " " +
                                   shell_quoted(f.mirror()) + " " + std::to_string(run_id) +
                                   " " + formats);
  INFO(r.output);
  CHECK(r.code == 0);
  CHECK(r.output.rfind("ok ", 0) == 0);
}

void votlint_is_clean(const std::string& path) {
  const auto r = test::run_command("stilts votlint " + shell_quoted(path));
  INFO(r.output);
  CHECK(r.code == 0);
  CHECK(r.output == "");
}

} // namespace

TEST_CASE("export: csv, votable, fits and ecsv hold results.csv's rows bit for bit and the "
          "run's provenance") {
  quiet_logs quiet;
  archive_fixture f;
  f.set_formats({lc::table_format::csv, lc::table_format::votable, lc::table_format::fits,
                 lc::table_format::ecsv});
  const auto outcome = f.run();
  const auto l = f.layout();
  // The answer's files and the marker, no temporary beside them.
  std::set<std::string> names;
  for (const auto& e : fs::directory_iterator(l.dir))
    if (e.path().filename().string().rfind("results.", 0) == 0)
      names.insert(e.path().filename().string());
  CHECK(names == std::set<std::string>{"results.csv", "results.done", "results.ecsv",
                                       "results.fits", "results.vot"});
  const auto done = test::read_file(l.done_marker);
  CHECK(done.find("\nresults: results.csv, results.vot, results.fits, results.ecsv (beside "
                  "this file)\n") != std::string::npos);
  astropy_reads_back(f, outcome.run_id, "votable fits ecsv");
  votlint_is_clean(l.results_vot);
  // BINARY2, as DataLink serves it.
  CHECK(test::read_file(l.results_vot).find("<BINARY2>") != std::string::npos);
}

TEST_CASE("export: the default writes results.csv alone, the same bytes, and removes the files "
          "of an earlier run's other formats") {
  quiet_logs quiet;
  archive_fixture f;
  const auto l = f.layout();
  f.run();
  const auto csv_alone = test::read_file(l.results_csv);
  for (const auto& p : {l.results_vot, l.results_fits, l.results_ecsv})
    CHECK_FALSE(fs::exists(p));
  CHECK(test::read_file(l.done_marker).find("\nresults: results.csv (beside this file)\n") !=
        std::string::npos);

  f.set_formats({lc::table_format::csv, lc::table_format::votable_plain, lc::table_format::ecsv});
  auto outcome = f.run();
  CHECK(test::read_file(l.results_csv) == csv_alone);
  CHECK(test::read_file(l.results_vot).find("<TABLEDATA>") != std::string::npos);
  astropy_reads_back(f, outcome.run_id, "votable_plain ecsv");
  votlint_is_clean(l.results_vot);

  f.set_formats({lc::table_format::csv});
  f.run();
  CHECK(test::read_file(l.results_csv) == csv_alone);
  CHECK_FALSE(fs::exists(l.results_vot));
  CHECK_FALSE(fs::exists(l.results_ecsv));
}

TEST_CASE("export: a format's file that cannot be written fails the run naming it first in "
          "results.err, and no file of the answer is left") {
  quiet_logs quiet;
  archive_fixture f;
  f.set_formats({lc::table_format::csv, lc::table_format::votable, lc::table_format::fits});
  const auto l = f.layout();
  // A directory where the FITS file's temporary name goes ("<path>.tmp.<pid>",
  // engine/state/atomic_file.hpp; the run is in this process): results.csv
  // and results.vot are written first, then the FITS file cannot be.
  fs::create_directories(fs::path(l.results_fits + ".tmp." + std::to_string(::getpid())) /
                         "in-the-way");
  const auto outcome = run_production_once(f.s);
  CHECK_FALSE(outcome.ok);
  CHECK(outcome.step == "export");
  CHECK(outcome.error.find(l.results_fits) != std::string::npos);
  const auto err = test::read_file(l.err_marker);
  // The first line names the file that failed, not results.csv.
  CHECK(err.substr(0, err.find('\n')) == "export failed: " + l.results_fits);
  CHECK(outcome.subject == l.results_fits);
  CHECK(err.find(l.results_fits, err.find('\n')) != std::string::npos);
  for (const auto& p : l.answer_files()) CHECK_FALSE(fs::exists(p));
  CHECK_FALSE(fs::exists(l.done_marker));
}

TEST_CASE("export: export_formats must be a non-empty list of known, distinct formats with csv "
          "and at most one VOTable, and the error names the key") {
  using test::env_of;
  using test::error_of;
  struct bad {
    std::string json, needle;
  };
  for (const auto& c : std::vector<bad>{
         {R"({"export_formats": ["csv", "xml"]})", "expected \"csv\", \"votable\""},
         {R"({"export_formats": []})", "must not be empty"},
         {R"({"export_formats": "csv"})", "expected a list of names"},
         {R"({"export_formats": ["csv", 3]})", "expected a list of names"},
         {R"({"export_formats": ["csv", "fits", "fits"]})", "'fits' is listed twice"},
         {R"({"export_formats": ["fits"]})", "must list \"csv\""},
         {R"({"export_formats": ["csv", "votable", "votable_plain"]})", "both be results.vot"}}) {
    INFO(c.json);
    const auto e = error_of(c.json);
    CHECK(e.find("export_formats") != std::string::npos);
    CHECK(e.find(c.needle) != std::string::npos);
  }
  // The environment's comma list, through the same checks.
  auto ok = parse_settings("{}", "test.json", env_of({{"GAIA_EXPORT_FORMATS", "csv, fits,ecsv"}}));
  CHECK(ok.get<export_settings>().export_formats ==
        std::vector<lc::table_format>{lc::table_format::csv, lc::table_format::fits,
                                      lc::table_format::ecsv});
  CHECK(default_settings().get<export_settings>().export_formats ==
        std::vector<lc::table_format>{lc::table_format::csv});
  const auto e = error_of("{}", env_of({{"GAIA_EXPORT_FORMATS", "csv,vot"}}));
  CHECK(e.find("GAIA_EXPORT_FORMATS (export_formats)") != std::string::npos);
  CHECK(e.find("'vot'") != std::string::npos);
  CHECK(error_of("{}", env_of({{"GAIA_EXPORT_FORMATS", "csv,"}})).find("got ''") !=
        std::string::npos);
}

TEST_CASE("export: FITS keeps a long text whole under a short keyword and refuses to cut one "
          "under a HIERARCH name") {
  test::temp_dir dir;
  lc::table t;
  t.name = "RESULTS";
  t.columns.push_back(lc::make_column("a", lc::value_type::float64, "", "", "", "a value"));
  t.columns.back().float64s = {1.5};
  const std::string long_text(170000, 'x'); // md5sums of the whole archive
  t.params = {{"settings", "char", long_text + "'quoted'", "meta.note", "long"}};
  const auto path = dir / "ok.fits";
  lc::write_table_file(path, t, lc::table_format::fits);
  const auto r = test::run_command(
    "/usr/bin/python3 -c \"import sys; from astropy.io import fits; "
    "v = fits.getheader(sys.argv[1], 1)['SETTINGS']; "
    "print(len(v), v.endswith(\\\"'quoted'\\\"))\" " +
    shell_quoted(path));
  INFO(r.output);
  CHECK(r.output == "170008 True\n");

  // cfitsio drops characters of a HIERARCH keyword's long text: refused.
  t.params = {{"archive_files", "char", long_text, "meta.file", "long"}};
  try {
    lc::write_table_file(dir / "cut.fits", t, lc::table_format::fits);
    FAIL("a cut keyword was written");
  } catch (const output_error& e) {
    CHECK(std::string(e.what()).find("keyword archive_files") != std::string::npos);
  }
  CHECK_FALSE(fs::exists(dir / "cut.fits"));
  CHECK_FALSE(fs::exists(dir / "cut.fits.tmp"));
}
