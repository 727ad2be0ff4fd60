// The id list of a light-curve request (lightcurve_select/id_list.hpp): the
// formats astronomers hand in (one id a line; CSV and ECSV tables written
// by astropy), a bad line named, duplicates once, spilled runs merged, and
// memory bounded for 10 million lines (measured in a child process).
#include "lightcurve_select/id_list.hpp"

#include "core/errors.hpp"
#include "tests/test_util.hpp"

#include <doctest/doctest.h>

#include <cstdlib>
#include <fstream>
#include <random>
#include <set>
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

namespace fs = std::filesystem;
using gaia::test::temp_dir;
using gaia::test::write_file;

namespace {

std::vector<int64_t> ids_in(const fs::path& p) {
  gaia::sorted_id_file f(p.string());
  std::vector<int64_t> out;
  for (int64_t id; f.next(id);) out.push_back(id);
  CHECK(out.size() == f.size());
  return out;
}

/// The error sort_id_list throws for `text`, or "" when it throws none.
std::string error_of(const temp_dir& d, const std::string& text) {
  write_file(d / "bad.txt", text);
  try {
    gaia::sort_id_list((d / "bad.txt").string(), (d / "bad.ids").string());
  } catch (const gaia::input_error& e) {
    return e.what();
  }
  return "";
}

/// A bijection of [0, 2^63): distinct k give distinct ids, spread like
/// real source_ids.
int64_t spread_id(uint64_t k) {
  return static_cast<int64_t>((k * 0x9E3779B97F4A7C15ULL) & 0x7FFFFFFFFFFFFFFFULL);
}

} // namespace

TEST_CASE("id list: one id a line with blanks, comments, CRLF and duplicates, sorted once each") {
  temp_dir d("gaia-ids");
  write_file(d / "ids.txt",
             "# asked by a user\n"
             "5937083312263887616\r\n"
             "\n"
             "  4295806720  \n"
             "# another comment\n"
             "5937083312263887616\n"
             "0\n"
             "9223372036854775807\n"
             "4295806720"); // no final line end
  auto s = gaia::sort_id_list((d / "ids.txt").string(), (d / "ids.bin").string());
  CHECK(s.format == "ids");
  CHECK(s.lines == 9);
  CHECK(s.ids == 6);
  CHECK(s.unique == 4);
  CHECK(s.duplicates == 2);
  CHECK(s.spilled_runs == 0);
  CHECK(ids_in(d / "ids.bin") ==
        std::vector<int64_t>{0, 4295806720, 5937083312263887616, 9223372036854775807});
}

TEST_CASE("id list: a line that is not a whole non-negative int64 is an error naming its line") {
  temp_dir d("gaia-ids");
  const std::string head = "4295806720\n\n# c\n";
  for (const char* bad : {"-5", "+5", "1.5", "12 34", "9223372036854775808", "abc", "0x10",
                          "4295806720,1"}) {
    INFO(bad);
    const std::string e = error_of(d, head + bad + "\n17\n");
    CHECK(e.find("bad.txt: line 4: '") != std::string::npos);
    CHECK(e.find(std::string("'") + bad + "' is not a source_id") != std::string::npos);
  }
  // The first line is neither an id nor a header with a source_id column.
  CHECK(error_of(d, "ra,dec\n1,2\n").find("bad.txt: line 1: 'ra,dec' is neither a source_id") !=
        std::string::npos);
  // A table row without the source_id field, and one with an empty one.
  CHECK(error_of(d, "ra,source_id\n1,2\n3\n").find("line 3: has 1 fields; source_id is field 2") !=
        std::string::npos);
  CHECK(error_of(d, "ra,source_id\n1,\n").find("line 2: '' is not a source_id") !=
        std::string::npos);
  // A line far longer than any id list's.
  gaia::id_list_options o;
  o.max_line_bytes = 100;
  write_file(d / "long.txt", "1\n" + std::string(300, '7') + "\n");
  CHECK_THROWS_WITH_AS(gaia::sort_id_list((d / "long.txt").string(), (d / "l.ids").string(), o),
                       doctest::Contains("long.txt: line 2 is longer than 100 bytes"),
                       gaia::input_error);
}

TEST_CASE("id list: CSV and ECSV tables written by astropy, source_id found by header name") {
  temp_dir d("gaia-ids");
  // Two tables astronomers would hand in: source_id not first, a string
  // column with the delimiter in it, duplicates; ECSV with its default
  // space delimiter and with ','.
  const std::string script = R"py(
import sys
from astropy.table import Table
import numpy as np
ids = np.array([5937083312263887616, 4295806720, 17, 5937083312263887616, 9223372036854775807],
               dtype=np.int64)
t = Table({'name': ['a, b', 'c d', 'e', 'f', 'g h'], 'source_id': ids,
           'ra': [1.5, 2.5, 3.5, 4.5, 5.5]})
out = sys.argv[1]
t.write(out + '/t.csv', format='ascii.csv')
t.write(out + '/t.ecsv', format='ascii.ecsv')
t.write(out + '/t_comma.ecsv', format='ascii.ecsv', delimiter=',')
)py";
  write_file(d / "make.py", script);
  const std::string cmd = "/usr/bin/python3 " + (d / "make.py").string() + " " + d.path().string();
  REQUIRE_MESSAGE(std::system(cmd.c_str()) == 0, "python3-astropy is needed (install-deps.sh)");
  const std::vector<int64_t> want{17, 4295806720, 5937083312263887616, 9223372036854775807};
  for (const auto& table : {std::pair{"t.csv", "csv"}, std::pair{"t.ecsv", "ecsv"},
                            std::pair{"t_comma.ecsv", "ecsv"}}) {
    const std::string file = table.first, format = table.second;
    INFO(file);
    auto s = gaia::sort_id_list((d / file).string(), (d / "out.bin").string());
    CHECK(s.format == format);
    CHECK(s.ids == 5);
    CHECK(s.duplicates == 1);
    CHECK(ids_in(d / "out.bin") == want);
  }
  // The ECSV's header really is '#' lines and a space-delimited row.
  CHECK(gaia::test::read_file(d / "t.ecsv").find("# %ECSV") == 0);
  CHECK(gaia::test::read_file(d / "t.ecsv").find("\nname source_id ra\n") != std::string::npos);
}

TEST_CASE("id list: runs spilled and merged in several passes give the same sorted unique ids") {
  temp_dir d("gaia-ids");
  fs::create_directories(d / "spill");
  std::mt19937_64 rng(20);
  std::set<int64_t> want;
  std::string text;
  for (int i = 0; i < 50000; ++i) {
    const int64_t id = spread_id(rng() % 30000); // many duplicates
    want.insert(id);
    text += std::to_string(id) + (i % 7 == 0 ? "\n\n" : "\n");
  }
  write_file(d / "ids.txt", text);
  gaia::id_list_options o;
  o.run_ids = 1000;
  o.merge_fan_in = 3;
  o.temp_dir = (d / "spill").string();
  auto s = gaia::sort_id_list((d / "ids.txt").string(), (d / "ids.bin").string(), o);
  CHECK(s.ids == 50000);
  CHECK(s.unique == want.size());
  CHECK(s.duplicates == 50000 - want.size());
  CHECK(s.spilled_runs == 50);
  CHECK(ids_in(d / "ids.bin") == std::vector<int64_t>(want.begin(), want.end()));
  CHECK(fs::is_empty(d / "spill")); // no spill file left behind

  // Read back by slice, as the file selection hands them out.
  gaia::sorted_id_file f((d / "ids.bin").string());
  auto slice = f.read(100, 5);
  CHECK(slice == std::vector<int64_t>(std::next(want.begin(), 100), std::next(want.begin(), 105)));

  // A bad line in the middle of a spilling list: the error, and no spill left.
  write_file(d / "bad.txt", text + "12x\n");
  CHECK_THROWS_WITH_AS(gaia::sort_id_list((d / "bad.txt").string(), (d / "b.bin").string(), o),
                       doctest::Contains("line 57144: '12x'"), gaia::input_error);
  CHECK(fs::is_empty(d / "spill"));
}

TEST_CASE("id list: 10 million lines sort in bounded memory (peak RSS of a child process)") {
  temp_dir d("gaia-ids");
  // 10,000,000 lines of 9,000,000 distinct real-length ids (~19 digits).
  const uint64_t lines = 10'000'000, distinct = 9'000'000;
  {
    std::ofstream out(d / "ids.txt", std::ios::binary);
    std::string chunk;
    for (uint64_t i = 0; i < lines; ++i) {
      chunk += std::to_string(spread_id(i % distinct));
      chunk += '\n';
      if (chunk.size() > (1 << 20)) {
        out << chunk;
        chunk.clear();
      }
    }
    out << chunk;
  }
  const std::string in = (d / "ids.txt").string(), out = (d / "ids.bin").string(),
                    report = (d / "report.txt").string();
  std::fflush(nullptr); // else the child's stdio would print the test's buffered output again
  const pid_t pid = ::fork();
  REQUIRE(pid >= 0);
  if (pid == 0) {
    const int fd = ::open(report.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (fd < 0 || ::dup2(fd, 1) < 0) ::_exit(3);
    ::execl(GAIA_ID_LIST_CHILD, GAIA_ID_LIST_CHILD, in.c_str(), out.c_str(),
            static_cast<char*>(nullptr));
    ::_exit(4);
  }
  int status = 0;
  REQUIRE(::waitpid(pid, &status, 0) == pid);
  REQUIRE(WIFEXITED(status));
  REQUIRE(WEXITSTATUS(status) == 0);
  unsigned long long l = 0, ids = 0, unique = 0, dups = 0, runs = 0;
  long peak_kb = -1; // the child's own VmHWM (see tests/helpers/id_list_child.cpp)
  std::ifstream rep(report);
  rep >> l >> ids >> unique >> dups >> runs >> peak_kb;
  CHECK(l == lines);
  CHECK(ids == lines);
  CHECK(unique == distinct);
  CHECK(dups == lines - distinct);
  CHECK(runs == 10); // ceil(10,000,000 / 2^20)
  CHECK(fs::file_size(out) == distinct * 8);
  // Ascending, each once.
  gaia::sorted_id_file f(out);
  int64_t prev = -1, id;
  uint64_t n = 0, out_of_order = 0;
  while (f.next(id)) {
    out_of_order += id <= prev ? 1 : 0;
    prev = id;
    ++n;
  }
  CHECK(n == distinct);
  CHECK(out_of_order == 0);
  // The documented bound: about 8 MB of run, 4 MB of merge buffers, 2 MB
  // of line buffer, plus the process itself; a vector of the 10 million
  // ids alone would be 80 MB.
  REQUIRE(peak_kb > 0);
  MESSAGE("id list of 10,000,000 lines: peak RSS " << peak_kb / 1024 << " MB");
  CHECK(peak_kb < 32 * 1024);
}
