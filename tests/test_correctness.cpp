// The correctness suite: small real-shaped archives (several seeds, the
// hard cases mixed in) served over loopback HTTP by the real mirror, run
// through the whole production, and compared bit for bit with the simple
// reference reader of tests/reference_reader.hpp.
#include "actors/production.hpp"
#include "engine/log.hpp"
#include "tools/mirror/mirror.hpp"
#include "settings/output_layout.hpp"
#include "results/results_csv.hpp"
#include "tools/synth/synth.hpp"
#include "messages/messages.hpp"

#include "tests/production_fixture.hpp"
#include "tests/reference_csv.hpp"

#include <doctest/doctest.h>

#include <filesystem>

using namespace gaia;
namespace fs = std::filesystem;

namespace {

// Four files; the last is the hand-written odd-token file.
const std::vector<int64_t> boundaries = {0, 60, 130, 200, 260};

int64_t id_in(int64_t pix, int64_t low) { return (pix << 43) | low; }

/// Rows at the edges of the rule, added to the generated ones.
void add_hard_cases(std::vector<std::vector<synth::row>>& files) {
  auto& f0 = files[0];
  f0.push_back({id_in(5, 77), {1, 2, 3}, {10, 12, NAN}, {NAN, 5, 6}});
  f0.push_back({id_in(5, 77), {1, 2}, {30, 11}, {2, NAN}});   // twice in a file
  f0.push_back({id_in(6, 1), {1, 1}, {21.5, 43.0}, {7, 7}});  // exactly 100
  f0.push_back({id_in(6, 2), {1, 1}, {0.1, 0.2}, {NAN, NAN}}); // 100 in float?
  f0.push_back({id_in(6, 3), {1, 1}, {0.3, 0.6}, {NAN, NAN}});
  f0.push_back({id_in(6, 4), {1, 1}, {1.1, 2.2}, {3.3, 6.6}});
  f0.push_back({id_in(7, 1), {1, 1}, {NAN, NAN}, {NAN, NAN}}); // all NaN
  f0.push_back({id_in(8, 1), {1, 1, 1}, {NAN, NAN, NAN}, {1.5, 4.5, 2}});
  f0.push_back({id_in(9, 1), {1, 1}, {1.01e-13, 157841.99293824387}, {3, 4}});
  f0.push_back({id_in(9, 2), {1, 1}, {4.9e-324, 1.0}, {NAN, NAN}}); // subnormal
  f0.push_back({id_in(10, 1), {1, 1}, {1.0e7, 3.5e12}, {NAN, 1e-3}});
  f0.push_back({id_in(10, 2), {1, 1}, {-5, 10}, {0, 3}});     // no positive min
  f0.push_back({id_in(59, 5), {1}, {100}, {50}});             // also in file 1
  files[1].push_back({id_in(59, 5), {1}, {250}, {49}});
  files[2].push_back({id_in(59, 5), {1}, {NAN}, {1e-3}});     // and file 2
}

/// A file of odd tokens and damaged rows, written by hand: a BOM and blank
/// lines before the header, spaces, null, Infinity, empty tokens,
/// malformed ones, a leading '+', a cell that is no array, line breaks
/// inside quoted fields, rows with a field too many or too few (the needed
/// ones present), a stray quote, a bad source_id, blank lines, CRLF, a
/// header with extra columns in another order, in two gzip members and
/// zero padding. 13 data rows, 5 of them skipped; 10 flux values skipped.
void write_odd_token_file(const std::string& path) {
  std::string text =
    "\xEF\xBB\xBF# %ECSV 1.0\r\n# ---\r\n# delimiter: ','\r\n\r\n  \t\r\n"
    "solution_id,ra,source_id,dec,bp_flux,x,rp_flux,tail\r\n"
    "1,0.5,2040836627808256, 1,\"[ 1.5 , 4.0 ,NaN]\",\"[\"\"a\"\"]\",\"[2.0,null, 8.5]\",\"[\"\"False\"\"]\"\r\n"
    "1,0.5,2040836627808257,1,\"[Infinity,-Infinity,3.0,7.0]\",0,\"[,,1.0E7,2.5E7]\",x\r\n"
    "1,0.5,2040836627808258,1,\"[1.2.3,0x10,--1,5.0,20.0]\",0,\"[]\",x\r\n"
    "1,0.5,2040836627808259,1,\"[2.0,4.0]\"\r\n"                 // too short
    "1,0.5,20408366278O8260,1,\"[1.0,9.0]\",0,\"[1.0,9.0]\",x\r\n" // bad id
    "\r\n"
    "1,0.5, 2040836627808261 ,1,[1.0;9.0],0,\"[ 3 , 9 ]\",x\r\n"
    "1,0.5,2040836627808262,1,\"[1e-3,5E-3]\",0,\"[6.02E23,6.02E24]\",x\r\n"
    "1,0.5,2040836627808263,1,\"[+2.0,+8.0]\",0,[+1.0],x\r\n"
    "1,0.5,2040836627808264,1,\"[1.0,\r\n5.0]\",0,\"[2.0,3.0]\",\"multi\nline\"\r\n"
    "1,0.5,2040836627808265,1,\"[1.0,50.0]\",0,\"[2.0,3.0]\",x,extra\r\n" // 9 fields
    "1,0.5,2040836627808266,1,\"[1.0,50.0]\",0,\"[2.0,3.0]\"\r\n"        // 7 fields
    "1,0.5,2040836627808267,1,42.0,0,\"[2.0,7.0]\",x\r\n"               // no array
    "1,0.5,2040836627808268,1,\"[1.0,3.0]\",0,\"[2.0,3.0]\",a\"b\r\n";   // stray quote
  // Two members, split mid-row, then zero padding.
  std::string out = test::gzip_member(text.substr(0, text.size() / 2))
                    + test::gzip_member(text.substr(text.size() / 2))
                    + std::string(512, '\0');
  test::write_file(path, out);
}

struct quiet_logs {
  quiet_logs() { engine::set_log_quiet(true); }
  ~quiet_logs() { engine::set_log_quiet(false); }
};

} // namespace

TEST_CASE("correctness: production equals the reference, bit for bit, over "
          "HTTP, for several seeds") {
  quiet_logs quiet;
  for (uint64_t seed : {1, 2, 3}) {
    CAPTURE(seed);
    test::temp_dir dir;
    auto mirror_dir = dir / "mirror";
    fs::create_directories(mirror_dir);
    auto ranges = ranges_from_boundaries(boundaries);
    std::vector<std::vector<synth::row>> files;
    for (size_t i = 0; i + 1 < ranges.size(); ++i)
      files.push_back(synth::generate_rows(ranges[i], 0.6, seed));
    add_hard_cases(files);
    std::vector<std::string> paths;
    for (size_t i = 0; i < ranges.size(); ++i) {
      auto path = (mirror_dir / ranges[i].archive_file_name()).string();
      paths.push_back(path);
      if (i + 1 == ranges.size()) {
        write_odd_token_file(path);
        continue;
      }
      synth::file_format fmt;
      fmt.crlf = i == 1;
      fmt.gzip_members = i == 2 ? 4 : 1;
      synth::write_archive_file(path, files[i], fmt);
    }
    auto expected = test::reference::expected_csv(paths);
    REQUIRE(std::count(expected.begin(), expected.end(), '\n') > 50);

    mirror_options mo;
    mo.dir = mirror_dir.string();
    mo.log_requests = false;
    mirror_server mirror(mo);
    mirror.start();
    auto s = test::file_mirror_settings(boundaries, "", (dir / "out").string());
    s.archive_url_template = mirror.base_url() + "/EpochPhotometry_%s.csv.gz";
    auto outcome = run_production_once(s);
    INFO(outcome.step << " " << outcome.subject << " " << outcome.error);
    REQUIRE(outcome.ok);
    auto got = test::read_file(output_layout(s.output_dir).results_csv);
    CHECK(got == expected);
    // The odd-token file's verdicts, spelled out.
    CHECK(got.find("\n2040836627808256,1.5,4,2,8.5,325\n") != std::string::npos);
    CHECK(got.find("\n2040836627808257,3,7,1e+07,2.5e+07,150\n")
          != std::string::npos);
    CHECK(got.find("\n2040836627808258,5,20,,,300\n") != std::string::npos);
    CHECK(got.find("\n2040836627808261,,,3,9,200\n") != std::string::npos);
    CHECK(got.find("\n2040836627808259,") == std::string::npos); // short row
    CHECK(got.find("0836627808260,") == std::string::npos);     // bad id
    CHECK(got.find("\n2040836627808262,0.001,0.005,6.02e+23,6.02e+24,900")
          != std::string::npos);
    CHECK(got.find("\n2040836627808263,2,8,1,1,300\n") != std::string::npos);
    CHECK(got.find("\n2040836627808264,1,5,2,3,400\n") != std::string::npos);
    CHECK(got.find("\n2040836627808267,,,2,7,250\n") != std::string::npos); // no BP array
    for (const char* skipped : {"2040836627808265", "2040836627808266", "2040836627808268"})
      CHECK(got.find(std::string("\n") + skipped + ",") == std::string::npos);
    CHECK(got.find(std::to_string(id_in(6, 1)) + ",") == std::string::npos);
    // results.done says the input was not clean, and how much was skipped.
    uint64_t rows = 13;
    for (const auto& f : files) rows += f.size();
    auto done = test::read_file(output_layout(s.output_dir).done_marker);
    CHECK(done.find("\ninput: " + std::to_string(rows)
                    + " rows; skipped 5 malformed rows and 10 flux values in 1 files"
                      " (the log names them)\n")
          != std::string::npos);
    CHECK(outcome.count("skipped_rows") == 5);
    CHECK(outcome.count("skipped_values") == 10);
  }
}
