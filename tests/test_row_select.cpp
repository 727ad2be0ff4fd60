// The asked rows out of a streaming archive file (lightcurve_select/
// row_select.hpp), over real-shaped files (tools/synth, the real
// three-row sample): each asked row handed on whole and exactly as the file
// holds it, every other row skipped, malformed rows skipped and counted as
// the import counts them, ids not in the file reported; fed as a download
// feeds it, restarts included. And its speed against the import's.
#include "lightcurve_select/row_select.hpp"

#include "archive/ecsv_reader.hpp"
#include "archive/stream_import.hpp"
#include "core/errors.hpp"
#include "tests/test_util.hpp"
#include "tools/synth/synth.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <map>
#include <zlib.h>

namespace fs = std::filesystem;
using gaia::test::temp_dir;

namespace {

/// What a sink was handed.
struct collecting_sink final : gaia::selected_row_sink {
  std::vector<std::string> columns;
  struct got {
    int64_t id;
    std::string text;
    uint64_t line;
  };
  std::vector<got> rows;
  int headers = 0, restarts = 0;

  void header(const std::vector<std::string>& c) override {
    columns = c;
    ++headers;
  }
  void row(const gaia::selected_row& r) override {
    rows.push_back({r.source_id, std::string(r.text), r.line});
  }
  void restart() override {
    ++restarts;
    columns.clear();
    rows.clear();
    headers = 0;
  }
};

/// The whole text of a gzip file (every member), by zlib.
std::string gunzip(const fs::path& p) {
  gzFile f = gzopen(p.string().c_str(), "rb");
  REQUIRE(f != nullptr);
  std::string out;
  char buf[1 << 16];
  for (int n; (n = gzread(f, buf, sizeof buf)) > 0;) out.append(buf, static_cast<size_t>(n));
  gzclose(f);
  return out;
}

/// A file's data rows the plain way: lines after the '#' lines and the
/// header row; the source_id is the second field. line -> (id, text).
struct plain_row {
  int64_t id;
  std::string text;
  uint64_t line;
};
std::vector<plain_row> plain_rows(const std::string& text) {
  std::vector<plain_row> out;
  uint64_t line = 0;
  bool header = false;
  for (size_t p = 0; p < text.size();) {
    size_t nl = text.find('\n', p);
    if (nl == std::string::npos) nl = text.size();
    std::string l = text.substr(p, nl - p);
    p = nl + 1;
    ++line;
    if (!l.empty() && l.back() == '\r') l.pop_back();
    if (l.empty() || l[0] == '#') continue;
    if (!header) {
      header = true;
      continue;
    }
    const size_t c1 = l.find(','), c2 = l.find(',', c1 + 1);
    out.push_back({std::stoll(l.substr(c1 + 1, c2 - c1 - 1)), l, line});
  }
  return out;
}

/// Every `step`-th row's id, plus `absent` (ids the file does not hold).
std::vector<int64_t> asked_ids(const std::vector<gaia::synth::row>& rows, size_t step,
                               std::vector<int64_t> absent) {
  std::vector<int64_t> ids = std::move(absent);
  for (size_t i = 0; i < rows.size(); i += step) ids.push_back(rows[i].source_id);
  std::sort(ids.begin(), ids.end());
  return ids;
}

/// The sink got exactly the plain rows whose id is asked, in file order.
void check_rows(const collecting_sink& sink, const std::vector<plain_row>& all,
                const std::vector<int64_t>& ids) {
  std::vector<plain_row> want;
  for (const auto& r : all)
    if (std::binary_search(ids.begin(), ids.end(), r.id)) want.push_back(r);
  REQUIRE(sink.rows.size() == want.size());
  for (size_t i = 0; i < want.size(); ++i) {
    INFO("row " << i << ", source " << want[i].id);
    CHECK(sink.rows[i].id == want[i].id);
    CHECK(sink.rows[i].line == want[i].line);
    CHECK(sink.rows[i].text == want[i].text);
  }
}

/// Absent ids inside the range of `r` (its pixels hold no synth source at
/// these offsets).
std::vector<int64_t> absent_in(const gaia::file_range& r, const std::vector<gaia::synth::row>& rows) {
  std::vector<int64_t> out;
  for (int64_t id : {(r.first << 43) + 1, (r.last << 43) + 3, ((r.first + r.last) / 2 << 43) + 5})
    if (std::none_of(rows.begin(), rows.end(), [&](const auto& x) { return x.source_id == id; }))
      out.push_back(id);
  REQUIRE(out.size() == 3);
  std::sort(out.begin(), out.end());
  return out;
}

} // namespace

TEST_CASE("row selection: asked rows handed on whole, others skipped, ids not in the file listed") {
  temp_dir d("gaia-select");
  const gaia::file_range range{3112, 5263};
  const auto rows = gaia::synth::generate_rows(range, 0.05, 11);
  REQUIRE(rows.size() > 50);
  const auto absent = absent_in(range, rows);
  const auto ids = asked_ids(rows, 7, absent);
  for (const auto& layout : {std::pair{false, 1}, std::pair{true, 3}}) {
    const bool crlf = layout.first;
    const int members = layout.second;
    INFO("crlf " << crlf << ", gzip members " << members);
    const fs::path file = d / range.archive_file_name();
    gaia::synth::write_archive_file(file.string(), rows, {crlf, members, 6});
    const std::string text = gunzip(file);
    collecting_sink sink;
    auto res = gaia::select_rows_from_file(file.string(), ids, sink);
    CHECK(sink.headers == 1);
    REQUIRE(sink.columns.size() == 48);
    CHECK(sink.columns[1] == "source_id");
    CHECK(sink.columns[11] == "bp_flux");
    check_rows(sink, plain_rows(text), ids);
    CHECK(res.selected == ids.size() - absent.size());
    CHECK(res.not_found == absent);
    CHECK(res.repeated == 0);
    CHECK(res.stats.rows == rows.size());
    CHECK(res.stats.skipped_rows == 0);
    CHECK(res.stats.skipped_values == 0);
    CHECK(res.stats.uncompressed_bytes == text.size());
  }
}

TEST_CASE("row selection: malformed rows are skipped and counted as the import counts them") {
  temp_dir d("gaia-select");
  const gaia::file_range range{0, 3111};
  const auto rows = gaia::synth::generate_rows(range, 0.03, 5);
  REQUIRE(rows.size() > 40);
  gaia::synth::write_archive_file((d / "good.csv.gz").string(), rows);
  std::string text = gunzip(d / "good.csv.gz");
  auto plain = plain_rows(text);
  // Break rows 3, 10, 17 and 24: a field too few, a bad source_id, a quote
  // inside an unquoted field, a line break inside a field's quotes that
  // never closes before the next row... and a duplicated row 30.
  auto replace_row = [&](size_t i, const std::string& with) {
    const size_t at = text.find(plain[i].text);
    REQUIRE(at != std::string::npos);
    text.replace(at, plain[i].text.size(), with);
  };
  const std::string& r3 = plain[3].text;
  replace_row(3, r3.substr(0, r3.rfind(",\"["))); // the last field (a quoted array) gone
  std::string r10 = plain[10].text;
  r10.replace(r10.find(',') + 1, std::to_string(plain[10].id).size(), "12a");
  replace_row(10, r10);
  std::string r17 = plain[17].text;
  const size_t c2 = r17.find(',', r17.find(',') + 1);
  r17.insert(c2 + 1, "1\"");
  replace_row(17, r17);
  replace_row(30, plain[30].text + "\n" + plain[30].text);
  gaia::test::write_file(d / "bad.csv.gz", gaia::test::gzip_member(text));

  std::vector<int64_t> ids{plain[2].id, plain[3].id, plain[10].id, plain[17].id, plain[18].id,
                           plain[30].id};
  std::sort(ids.begin(), ids.end());
  collecting_sink sink;
  auto res = gaia::select_rows_from_file((d / "bad.csv.gz").string(), ids, sink);
  auto imported = gaia::import_archive_file((d / "bad.csv.gz").string());
  CHECK(res.stats.rows == imported.stats.rows);
  CHECK(res.stats.skipped_rows == imported.stats.skipped_rows);
  CHECK(res.stats.skipped_rows == 3);
  CHECK(res.stats.rows == rows.size() + 1);
  // The rows of 3, 10 (its id unreadable) and 17 are not handed on: not found.
  std::vector<int64_t> lost{plain[3].id, plain[10].id, plain[17].id};
  std::sort(lost.begin(), lost.end());
  CHECK(res.not_found == lost);
  CHECK(res.selected == 3);
  CHECK(res.repeated == 1); // row 30's second copy
  REQUIRE(sink.rows.size() == 3);
  CHECK(sink.rows[0].text == plain[2].text);
  CHECK(sink.rows[1].text == plain[18].text);
  CHECK(sink.rows[2].text == plain[30].text);
  // Each named by its line; the quote is found by the structural scan that
  // runs past source_id (the import, which hops the fields, says "a quote
  // inside unquoted field 3" for the same row).
  const auto& ex = res.stats.skip_examples;
  auto has = [&](const std::string& what) {
    return std::any_of(ex.begin(), ex.end(),
                       [&](const std::string& e) { return e.rfind(what, 0) == 0; });
  };
  CHECK(has("line " + std::to_string(plain[3].line) + ": 47 fields, the header has 48"));
  CHECK(has("line " + std::to_string(plain[10].line) + ": bad source_id '12a'"));
  CHECK(has("line " + std::to_string(plain[17].line) + ": a quote out of place after field 2"));
}

TEST_CASE("row selection: the real sample (50 columns) gives its row exactly as the file holds it") {
  temp_dir d("gaia-select");
  const std::string text = gaia::test::read_file(gaia::test::real_sample_path());
  gaia::test::write_file(d / "sample.csv.gz", gaia::test::gzip_member(text));
  collecting_sink sink;
  auto res = gaia::select_rows_from_file((d / "sample.csv.gz").string(),
                                         {10892037246720, 10892037246721}, sink);
  REQUIRE(sink.rows.size() == 1);
  CHECK(sink.columns.size() == 50);
  CHECK(sink.columns[2] == "ra");
  const size_t at = text.find("\n375316653866487564,10892037246720,");
  REQUIRE(at != std::string::npos);
  const std::string line = text.substr(at + 1, text.find('\n', at + 1) - at - 1);
  CHECK(sink.rows[0].text == line);
  CHECK(sink.rows[0].line ==
        static_cast<uint64_t>(std::count(text.begin(), text.begin() + at + 1, '\n')) + 1);
  CHECK(res.not_found == std::vector<int64_t>{10892037246721});
  CHECK(res.stats.rows == 3);
}

TEST_CASE("row selection: fed as a download feeds it, with a restart, and its input errors") {
  temp_dir d("gaia-select");
  const gaia::file_range range{5264, 6601};
  const auto rows = gaia::synth::generate_rows(range, 0.03, 3);
  const fs::path file = d / range.archive_file_name();
  gaia::synth::write_archive_file(file.string(), rows);
  const std::string bytes = gaia::test::read_file(file);
  const auto ids = asked_ids(rows, 5, absent_in(range, rows));

  collecting_sink whole;
  auto want = gaia::select_rows_from_file(file.string(), ids, whole);

  collecting_sink sink;
  gaia::stream_select sel(file.string(), ids, sink);
  for (size_t p = 0; p < bytes.size() / 2; p += 1000)
    sel.feed(bytes.data() + p, std::min<size_t>(1000, bytes.size() / 2 - p));
  CHECK(!sink.rows.empty()); // rows went out before the transfer broke
  sel.restart();
  CHECK(sink.restarts == 1);
  CHECK(sink.rows.empty());
  for (size_t p = 0; p < bytes.size(); p += 777)
    sel.feed(bytes.data() + p, std::min<size_t>(777, bytes.size() - p));
  sel.finish();
  CHECK(sink.headers == 1);
  REQUIRE(sink.rows.size() == whole.rows.size());
  for (size_t i = 0; i < sink.rows.size(); ++i) CHECK(sink.rows[i].text == whole.rows[i].text);
  CHECK(sel.result().not_found == want.not_found);
  CHECK(sel.result().selected == want.selected);
  CHECK(sel.result().stats.rows == rows.size());

  // Ids not ascending; a file without a source_id column; a truncated file.
  collecting_sink s2;
  CHECK_THROWS_WITH_AS(gaia::select_rows_from_file(file.string(), {5, 3}, s2),
                       doctest::Contains("not strictly ascending (5 then 3)"), gaia::input_error);
  gaia::test::write_file(d / "noid.csv.gz", gaia::test::gzip_member("# %ECSV 1.0\na,b\n1,2\n"));
  CHECK_THROWS_WITH_AS(gaia::select_rows_from_file((d / "noid.csv.gz").string(), {1}, s2),
                       doctest::Contains("noid.csv.gz: header row has no column 'source_id'"),
                       gaia::input_error);
  gaia::stream_select cut("cut.csv.gz", ids, s2);
  cut.feed(bytes.data(), bytes.size() - 10);
  CHECK_THROWS_AS(cut.finish(), gaia::corrupt_gzip_error);
}

TEST_CASE("row selection: selecting 1 % of a file's rows is as fast as importing it (figures)") {
  temp_dir d("gaia-select");
  const gaia::file_range range{0, 3111}; // the first real file's range
  const auto rows = gaia::synth::generate_rows(range, 0.5, 1);
  const fs::path file = d / range.archive_file_name();
  gaia::synth::write_archive_file(file.string(), rows);
  const std::string bytes = gaia::test::read_file(file);
  const auto ids = asked_ids(rows, 100, {});

  using clock = std::chrono::steady_clock;
  auto seconds = [](clock::duration t) { return std::chrono::duration<double>(t).count(); };
  double import_s = 1e9, select_s = 1e9;
  uint64_t text_bytes = 0;
  for (int round = 0; round < 3; ++round) {
    auto t0 = clock::now();
    gaia::stream_import imp(file.string());
    imp.feed(bytes.data(), bytes.size());
    imp.finish();
    import_s = std::min(import_s, seconds(clock::now() - t0));
    CHECK(imp.result().sources.size() == rows.size());
    text_bytes = imp.result().stats.uncompressed_bytes;

    t0 = clock::now();
    collecting_sink sink;
    gaia::stream_select sel(file.string(), ids, sink);
    sel.feed(bytes.data(), bytes.size());
    sel.finish();
    select_s = std::min(select_s, seconds(clock::now() - t0));
    CHECK(sel.result().selected == ids.size());
    CHECK(sel.result().not_found.empty());
    CHECK(sel.result().stats.rows == rows.size());
  }
  const double mb = static_cast<double>(text_bytes) / 1e6;
  MESSAGE("one file, " << rows.size() << " rows, " << bytes.size() / 1000000.0 << " MB gzip, "
                       << mb << " MB text: import " << import_s << " s (" << mb / import_s
                       << " MB/s), selecting " << ids.size() << " rows (1 %) " << select_s
                       << " s (" << mb / select_s << " MB/s), ratio import/select "
                       << import_s / select_s);
}
