// The standard structure's fragments (lightcurve_production/fragment_file.hpp):
// a select worker turns each asked row of a streaming archive file into its
// DataLink table, deflated, in one file; the assemble step copies the
// entries into the zip (zip_writer::add_deflated). Over real-shaped
// synthetic archive files (tools/synth): every entry inflates (by zlib, not
// ISA-L) to exactly the table written straight from the bulk row, with its
// CRC and size; a file whose rows are not in source_id order; fragments one
// after another in one spool (spool_file.hpp), read back by their ranges; a
// transfer that starts over mid-file (the spool cut back to the fragment's
// start only); a row that does not parse; fragments made by two threads at
// once, each into its own spool, assembled into one zip that Python's
// zipfile reads, sources ascending; a zip entry larger than zip_writer's
// buffer.
#include "lightcurve/epoch_row_parser.hpp"
#include "lightcurve/formats/table_files.hpp"
#include "lightcurve/standard_table.hpp"
#include "lightcurve_production/assemble_operation.hpp"
#include "lightcurve_production/fragment_file.hpp"
#include "lightcurve_production/part_file.hpp"
#include "lightcurve_output/zip_writer.hpp"
#include "lightcurve_select/row_select.hpp"
#include "tools/synth/synth.hpp"

#include "tests/bulk_rows.hpp"
#include "tests/test_util.hpp"
#include "tests/web_util.hpp"

#include <doctest/doctest.h>

#include <zlib.h>

#include <algorithm>
#include <filesystem>
#include <functional>
#include <map>
#include <sstream>
#include <thread>

using namespace gaia;
namespace fs = std::filesystem;
namespace lc = gaia::lightcurve;

namespace {

/// A raw deflate stream inflated by zlib.
std::string inflate_raw(const std::string& in, size_t expected) {
  z_stream s{};
  REQUIRE(inflateInit2(&s, -MAX_WBITS) == Z_OK);
  std::string out(expected + 1, '\0');
  s.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(in.data()));
  s.avail_in = static_cast<uInt>(in.size());
  s.next_out = reinterpret_cast<Bytef*>(out.data());
  s.avail_out = static_cast<uInt>(out.size());
  const int rc = inflate(&s, Z_FINISH);
  inflateEnd(&s);
  CHECK(rc == Z_STREAM_END);
  out.resize(s.total_out);
  return out;
}

/// The table DataLink's standard structure gives the row, written the
/// plain way (an ostringstream, no fragment).
std::string expected_table(const test::bulk_file& f, int64_t id, lc::table_format format) {
  const auto columns = lc::epoch_columns::from_header_line(f.header);
  std::ostringstream out;
  lc::write_table(out, lc::standard_table(lc::parse_epoch_row(columns, f.rows.at(id))), format);
  return out.str();
}

/// Writes a synthetic file for `range` (rows descending when `reversed`:
/// the selection must not rely on the file's order). Returns its rows.
std::vector<synth::row> write_file(const fs::path& path, const file_range& range, bool reversed) {
  auto rows = synth::generate_rows(range, 0.03, 3);
  REQUIRE(rows.size() > 20);
  if (reversed) std::reverse(rows.begin(), rows.end());
  synth::write_archive_file(path.string(), rows);
  return rows;
}

/// Every third row's id, ascending, and one id the file does not hold.
std::vector<int64_t> every_third(const std::vector<synth::row>& rows, const file_range& r) {
  std::vector<int64_t> ids;
  for (size_t i = 0; i < rows.size(); i += 3) ids.push_back(rows[i].source_id);
  ids.push_back((r.last << 43) + 3);
  std::sort(ids.begin(), ids.end());
  return ids;
}

/// The fragment checked entry by entry against the tables of `f`'s rows.
void check_fragment(const spool_range& range, const test::bulk_file& f,
                    const std::vector<int64_t>& found, lc::table_format format) {
  fragment_reader frag(range);
  REQUIRE(frag.entries().size() == found.size());
  std::string deflated;
  const std::string ext(lc::format_extension(format));
  for (size_t i = 0; i < found.size(); ++i) {
    const auto& e = frag.entries()[i];
    INFO("entry " << i << ", source " << found[i]);
    CHECK(e.source_id == found[i]);
    CHECK(e.name == lc::datalink_file_name(found[i], ext));
    frag.read(e, deflated);
    const auto text = inflate_raw(deflated, e.uncompressed);
    CHECK(text == expected_table(f, found[i], format));
    CHECK(e.uncompressed == text.size());
    CHECK(e.crc == crc32(0, reinterpret_cast<const Bytef*>(text.data()),
                         static_cast<uInt>(text.size())));
  }
}

std::vector<int64_t> held(const std::vector<int64_t>& ids, const test::bulk_file& f) {
  std::vector<int64_t> out;
  for (int64_t id : ids)
    if (f.rows.count(id) > 0) out.push_back(id);
  return out;
}

/// The bytes of a spool's piece.
std::string read_range(const spool_range& r) {
  return test::read_file(r.path).substr(static_cast<size_t>(r.offset),
                                        static_cast<size_t>(r.size));
}

} // namespace

TEST_CASE("lightcurve fragments: a file's asked tables deflated into one fragment, fragments one "
          "after another in one spool, each read back ascending by its range, each entry "
          "inflating to the table written straight from its row, rows out of order too") {
  test::temp_dir d("gaia-fragment");
  const file_range range{5264, 6601};
  const std::string path = (d / "worker-1.spool").string();
  // One spool and one writer for every fragment, as a select worker keeps them.
  spool_file spool;
  fragment_writer w;
  std::vector<std::pair<spool_range, std::function<void()>>> made;
  for (const bool reversed : {false, true}) {
    const fs::path file = d / (reversed ? "reversed.csv.gz" : range.archive_file_name());
    const auto rows = write_file(file, range, reversed);
    const auto ids = every_third(rows, range);
    const auto f = test::read_bulk(file);
    for (const auto format : {lc::table_format::csv, lc::table_format::votable}) {
      INFO("reversed " << reversed << ", " << lc::format_name(format));
      spool.open(path);
      const auto begins = fs::file_size(path);
      w.begin(spool, format, file.string());
      const auto res = select_rows_from_file(file.string(), ids, w);
      const auto part = w.commit();
      spool.close();
      CHECK(res.selected == ids.size() - 1);
      CHECK(res.not_found == std::vector<int64_t>{(range.last << 43) + 3});
      CHECK(w.entries() == res.selected);
      CHECK(w.skipped() == 0);
      CHECK(part.path == path);
      CHECK(part.offset == begins);
      CHECK(part.offset + part.size == fs::file_size(path));
      check_fragment(part, f, held(ids, f), format);
      made.push_back({part, [=] { check_fragment(part, f, held(ids, f), format); }});
    }
  }
  // The earlier fragments are still whole behind the later ones.
  REQUIRE(made.size() == 4);
  for (auto& [part, check] : made) check();
  CHECK(made[3].first.offset + made[3].first.size == fs::file_size(path));
}

TEST_CASE("lightcurve fragments: a transfer that starts over mid-file gives the fragment of one "
          "clean pass, byte for byte") {
  test::temp_dir d("gaia-fragment");
  const file_range range{5264, 6601};
  const fs::path file = d / range.archive_file_name();
  const auto rows = write_file(file, range, false);
  const auto ids = every_third(rows, range);
  const std::string bytes = test::read_file(file);

  // Both into one spool, the restarted one after the clean one: its
  // restart cuts the spool back to where it began, not further.
  const std::string path = (d / "worker-1.spool").string();
  spool_file spool;
  fragment_writer w;
  spool.open(path);
  w.begin(spool, lc::table_format::ecsv, file.string());
  select_rows_from_file(file.string(), ids, w);
  const auto clean = w.commit();
  w.begin(spool, lc::table_format::ecsv, file.string());
  stream_select sel(file.string(), ids, w);
  for (size_t p = 0; p < bytes.size() * 2 / 3; p += 4096)
    sel.feed(bytes.data() + p, std::min<size_t>(4096, bytes.size() * 2 / 3 - p));
  CHECK(w.entries() > 0); // tables went out before the transfer broke
  sel.restart();
  CHECK(w.entries() == 0);
  for (size_t p = 0; p < bytes.size(); p += 1500)
    sel.feed(bytes.data() + p, std::min<size_t>(1500, bytes.size() - p));
  sel.finish();
  const auto restarted = w.commit();
  spool.close();
  CHECK(restarted.offset == clean.size);
  CHECK(fs::file_size(path) == clean.size + restarted.size);
  CHECK(read_range(restarted) == read_range(clean));
  const auto bulk = test::read_bulk(file);
  check_fragment(restarted, bulk, held(ids, bulk), lc::table_format::ecsv);
  check_fragment(clean, bulk, held(ids, bulk), lc::table_format::ecsv);
}

TEST_CASE("lightcurve fragments: an asked row whose arrays do not parse is skipped, counted and "
          "named, and a file that is no whole fragment is refused naming it") {
  test::temp_dir d("gaia-fragment");
  const file_range range{5264, 6601};
  const fs::path good = d / "good.csv.gz";
  const auto rows = write_file(good, range, false);
  const auto ids = every_third(rows, range);
  // The second asked row's first transit_id spoiled: still one quoted
  // field (the selection hands it on), no number (the parse refuses it).
  const int64_t spoiled = ids[1];
  std::string text = test::gunzip_file(good);
  const auto at = text.find("," + std::to_string(spoiled) + ",");
  REQUIRE(at != std::string::npos);
  const auto array = text.find(",\"[", at);
  text.insert(array + 3, "x");
  const fs::path file = d / range.archive_file_name();
  test::write_file(file, test::gzip_member(text));

  spool_file spool;
  spool.open((d / "worker-1.spool").string());
  fragment_writer w;
  w.begin(spool, lc::table_format::csv, file.string());
  const auto res = select_rows_from_file(file.string(), ids, w);
  const auto path = w.commit();
  spool.close();
  CHECK(res.selected == ids.size() - 1); // selected, then not parsed
  CHECK(w.skipped() == 1);
  CHECK(w.entries() == ids.size() - 2);
  REQUIRE(w.examples().size() == 1);
  CHECK(w.examples()[0].find("source_id " + std::to_string(spoiled) + ": transit_id") !=
        std::string::npos);
  fragment_reader back(path);
  CHECK(back.skipped() == 1);
  const auto good_rows = test::read_bulk(good);
  auto found = held(ids, good_rows);
  found.erase(std::find(found.begin(), found.end(), spoiled));
  check_fragment(path, good_rows, found, lc::table_format::csv);

  // Cut short, a range past the file's end, or not a fragment at all: the
  // errors name the file and the range.
  const std::string whole = read_range(path);
  const auto cut = d / "cut.fragment";
  test::write_file(cut, whole.substr(0, whole.size() - 5));
  const spool_range cut_range{cut.string(), 0, whole.size() - 5};
  const std::string cut_short =
    "cut.fragment (bytes 0-" + std::to_string(cut_range.size) + "): not a light-curve fragment";
  CHECK_THROWS_WITH_AS(fragment_reader{cut_range}, doctest::Contains(cut_short.c_str()),
                       input_error);
  const std::string past_end = "cut.fragment (bytes 0-" + std::to_string(whole.size())
                               + "): not a light-curve fragment: past the end";
  CHECK_THROWS_WITH_AS((fragment_reader{{cut.string(), 0, whole.size()}}),
                       doctest::Contains(past_end.c_str()), input_error);
  CHECK_THROWS_WITH_AS((fragment_reader{{file.string(), 0, fs::file_size(file)}}),
                       doctest::Contains("not a light-curve fragment: no GAIALCF1 footer"),
                       input_error);
}

TEST_CASE("lightcurve fragments: made by two threads at once, in any order, they assemble into "
          "one zip Python's zipfile reads, every source ascending, not_found.txt last, in one "
          "request or in pieces") {
  test::temp_dir d("gaia-fragment");
  const auto& bounds = synth::dr3_partition();
  std::vector<file_range> ranges;
  for (size_t i = 100; i < 104; ++i) ranges.push_back({bounds[i], bounds[i + 1] - 1});
  std::vector<std::vector<int64_t>> ids(ranges.size());
  std::vector<test::bulk_file> files(ranges.size());
  lc_assemble_request req;
  req.format = "ecsv";
  req.structure = "standard";
  for (size_t i = 0; i < ranges.size(); ++i) {
    const fs::path file = d / ranges[i].archive_file_name();
    ids[i] = every_third(write_file(file, ranges[i], i % 2 == 1), ranges[i]);
    files[i] = test::read_bulk(file);
  }
  req.parts.resize(ranges.size());
  req.missing.resize(ranges.size());
  // Each thread takes every other file, last first, into a spool of its own
  // (as a select worker does: the fragment, then the missing ids).
  auto make = [&](size_t first) {
    spool_file spool;
    fragment_writer w;
    for (size_t k = ranges.size(); k-- > 0;) {
      if (k % 2 != first) continue;
      spool.open((d / ("worker-" + std::to_string(first) + ".spool")).string());
      w.begin(spool, lc::table_format::ecsv, ranges[k].label());
      const auto res = select_rows_from_file(
        (d / ranges[k].archive_file_name()).string(), ids[k], w);
      req.parts[k] = w.commit();
      req.missing[k] = append_id_lines(spool, res.not_found);
      spool.close();
    }
  };
  std::thread a(make, 0), b(make, 1);
  a.join();
  b.join();
  req.no_file_path = (d / "no_file.ids").string();
  write_id_lines(req.no_file_path, {});
  req.zip_path = (d / "answer.zip").string();
  req.not_found_path = (d / "not_found.txt").string();
  lc_assemble_reply rep;
  SUBCASE("in one request") { rep = assemble_answer(req); }
  SUBCASE("in pieces as the files come in (the process's way), after a stale run's piece") {
    answer_assembly assembly;
    auto piece = req;
    piece.run_id = req.run_id + 1;
    piece.missing.clear();
    piece.more = true;
    // A piece of an earlier run that never finished (it failed): its
    // unfinished zip is discarded when this run's first piece comes.
    auto stale = piece;
    stale.run_id = req.run_id;
    stale.zip_path = (d / "stale.zip").string();
    stale.parts = {req.parts[0]};
    const auto first = assembly.take(stale).sources;
    CHECK(first > 0);
    CHECK(fs::exists(stale.zip_path + ".tmp"));
    piece.parts = {req.parts[0], req.parts[1]};
    const auto two = assembly.take(piece).sources;
    CHECK(two > first);
    CHECK_FALSE(fs::exists(stale.zip_path + ".tmp"));
    CHECK_FALSE(fs::exists(stale.zip_path));
    CHECK_FALSE(fs::exists(req.zip_path)); // not before the last piece
    piece.parts = {req.parts[2]};
    CHECK(assembly.take(piece).sources > two);
    auto last = req;
    last.run_id = piece.run_id;
    last.parts = {req.parts[3]};
    rep = assembly.take(last);
    CHECK_FALSE(fs::exists(req.zip_path + ".tmp"));
  }
  SUBCASE("a raw answer is not assembled in pieces") {
    auto raw = req;
    raw.structure = "raw";
    raw.more = true;
    CHECK_THROWS_WITH_AS(assemble_answer(raw), doctest::Contains("only a standard answer"),
                         input_error);
    return;
  }

  std::vector<std::string> want_names;
  std::map<std::string, std::string> want_text;
  std::string want_not_found;
  for (size_t i = 0; i < ranges.size(); ++i)
    for (int64_t id : ids[i]) {
      if (files[i].rows.count(id) == 0) {
        want_not_found += std::to_string(id) + "\n";
        continue;
      }
      const auto name = lc::datalink_file_name(id, "ecsv");
      want_names.push_back(name);
      want_text[name] = expected_table(files[i], id, lc::table_format::ecsv);
    }
  CHECK(rep.sources == want_names.size());
  CHECK(rep.not_found == ranges.size());
  want_names.push_back(not_found_name);

  const auto listed = test::run_command(
    "/usr/bin/python3 -c \"import sys, zipfile; z = zipfile.ZipFile(sys.argv[1]); "
    "bad = z.testzip(); assert bad is None, bad; z.extractall(sys.argv[2]); "
    "print('\\n'.join(z.namelist()))\" '" + req.zip_path + "' '" + (d / "out").string() + "'");
  INFO(listed.output);
  REQUIRE(listed.code == 0);
  std::vector<std::string> names;
  std::istringstream in(listed.output);
  for (std::string line; std::getline(in, line);)
    if (!line.empty()) names.push_back(line);
  CHECK(names == want_names);
  for (const auto& [name, text] : want_text) CHECK(test::read_file(d / "out" / name) == text);
  CHECK(test::read_file(d / "out" / not_found_name) == want_not_found);
  CHECK(test::read_file(d / "not_found.txt") == want_not_found);
}

TEST_CASE("lightcurve zip: an entry larger than the writer's buffer among small ones, deflated by "
          "ISA-L, reads back whole with Python's zipfile") {
  test::temp_dir d("gaia-fragment");
  const fs::path file = d / "file.csv.gz";
  write_file(file, {5264, 6601}, false);
  std::string big;
  const std::string text = test::gunzip_file(file);
  while (big.size() < (size_t{20} << 20)) big += text; // over zip_writer's 8 MiB buffer
  test::write_file(d / "big.txt", big);
  {
    zip_writer zip((d / "a.zip").string());
    zip.add("first.txt", "a small one\n");
    zip.add_file("big.txt", (d / "big.txt").string());
    for (int i = 0; i < 2000; ++i) zip.add("n" + std::to_string(i), std::string(i % 97, 'x'));
    zip.add("empty", "");
    const auto size = zip.commit();
    CHECK(size == fs::file_size(d / "a.zip"));
  }
  CHECK(!fs::exists(d / "a.zip.tmp"));
  const auto r = test::run_command(
    "/usr/bin/python3 -c \"import sys, zipfile; z = zipfile.ZipFile(sys.argv[1]); "
    "bad = z.testzip(); assert bad is None, bad; assert len(z.namelist()) == 2003; "
    "assert z.read('big.txt') == open(sys.argv[2], 'rb').read(); "
    "assert z.read('n96') == b'x' * 96 and z.read('empty') == b''; "
    "print(z.getinfo('big.txt').compress_size < z.getinfo('big.txt').file_size)\" '"
    + (d / "a.zip").string() + "' '" + (d / "big.txt").string() + "'");
  INFO(r.output);
  REQUIRE(r.code == 0);
  CHECK(r.output.find("True") != std::string::npos);
}
