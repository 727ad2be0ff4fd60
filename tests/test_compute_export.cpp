// Checkpoints, the k-way merge, compute and the CSV export on real files.
#include "results/checkpoint.hpp"
#include "results/compute.hpp"
#include "core/errors.hpp"
#include "core/shortest_text.hpp"
#include "results/results_csv.hpp"

#include "tests/test_util.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <cstdlib>
#include <fstream>

using namespace gaia;

namespace {

source_aggregate agg(int64_t id, double bpmin, double bpmax, double rpmin,
                     double rpmax) {
  source_aggregate s;
  s.source_id = id;
  if (!std::isnan(bpmin)) {
    s.bp.add(bpmin);
    s.bp.add(bpmax);
  }
  if (!std::isnan(rpmin)) {
    s.rp.add(rpmin);
    s.rp.add(rpmax);
  }
  return s;
}

std::string write_ckpt(const test::temp_dir& dir, const std::string& name,
                       const std::vector<source_aggregate>& v) {
  auto path = (dir / name).string();
  checkpoint_info info;
  info.input = {123, 456};
  info.rows = v.size();
  write_checkpoint(path, info, v);
  return path;
}

} // namespace

TEST_CASE("checkpoint: round trip keeps every bit and the header") {
  test::temp_dir dir;
  std::vector<source_aggregate> v = {agg(1, 0.1, 1e-13, NAN, NAN),
                                     agg(5, 1.5, 2.5, 3.5, 4.5)};
  v[0].bp = band_extent{};
  v[0].bp.add(1e-13);
  v[0].bp.add(0.1);
  auto path = write_ckpt(dir, "a.agg", v);
  auto info = read_checkpoint_info(path);
  REQUIRE(info.has_value());
  CHECK(info->input == input_fingerprint{123, 456});
  CHECK(info->sources == 2);
  checkpoint_reader r(path);
  source_aggregate s;
  REQUIRE(r.next(s));
  CHECK(s.source_id == 1);
  CHECK(s.bp.min == 1e-13);
  CHECK(s.bp.max == 0.1);
  CHECK(s.rp.empty());
  REQUIRE(r.next(s));
  CHECK(s.rp.max == 4.5);
  CHECK_FALSE(r.next(s));
}

TEST_CASE("checkpoint: truncated or corrupted files are rejected") {
  test::temp_dir dir;
  std::vector<source_aggregate> v;
  for (int i = 0; i < 3000; ++i)
    v.push_back(agg(i, 1, 2 + i, 1, 3));
  auto path = write_ckpt(dir, "a.agg", v);
  auto bytes = test::read_file(path);

  test::write_file(dir / "short.agg", bytes.substr(0, bytes.size() - 7));
  CHECK_FALSE(read_checkpoint_info((dir / "short.agg").string()));

  std::string flipped = bytes;
  flipped[flipped.size() - 100] ^= 0x40;
  test::write_file(dir / "flip.agg", flipped);
  CHECK_FALSE(read_checkpoint_info((dir / "flip.agg").string()));
  CHECK_THROWS_AS(compute_qualifying({(dir / "flip.agg").string()},
                                     (dir / "q.bin").string()),
                  input_error);

  test::write_file(dir / "junk.agg", "hello");
  CHECK_FALSE(read_checkpoint_info((dir / "junk.agg").string()));
  CHECK_FALSE(read_checkpoint_info((dir / "missing.agg").string()));
}

TEST_CASE("checkpoint: every field of the header is under the CRC") {
  // The counts a run reports come from the headers: a flipped row count
  // must make the checkpoint invalid (and redone), not change the report.
  test::temp_dir dir;
  std::vector<source_aggregate> v = {agg(1, 1, 2, 3, 4), agg(2, 5, 6, 7, 8)};
  auto path = (dir / "a.agg").string();
  checkpoint_info info;
  info.input = {123, 456};
  info.rows = 150;
  info.skipped_rows = 2;
  info.skipped_values = 3;
  info.source.url = "file:///archive/EpochPhotometry_000000-003111.csv.gz";
  write_checkpoint(path, info, v);
  auto back = read_checkpoint_info(path);
  REQUIRE(back);
  CHECK(back->rows == 150);
  CHECK(back->skipped_rows == 2);
  CHECK(back->skipped_values == 3);
  const auto bytes = test::read_file(path);
  // Byte offsets in the 96-byte header: input size 16, mtime 24, rows 32,
  // skipped rows 40, records 48 (caught by the size check as well),
  // skipped values 56, reserved 72..95.
  for (size_t at : {16u, 24u, 32u, 40u, 56u, 72u, 95u}) {
    CAPTURE(at);
    std::string flipped = bytes;
    flipped[at] ^= 0x04;
    test::write_file(dir / "flip.agg", flipped);
    CHECK_FALSE(read_checkpoint_info((dir / "flip.agg").string()));
    CHECK_THROWS_AS(compute_qualifying({(dir / "flip.agg").string()}, (dir / "q.bin").string()),
                    input_error);
  }
}

TEST_CASE("compute: k-way merge over files, sources in several files") {
  test::temp_dir dir;
  // Source 101 is the reference's worked example split over two files.
  auto a = write_ckpt(dir, "a.agg",
                      {agg(7, 1, 3, NAN, NAN), agg(101, 10, 30, 4, 6),
                       agg(300, 50, 100, NAN, NAN)});
  auto b = write_ckpt(dir, "b.agg",
                      {agg(101, 7, 20, 5, 9), agg(202, 0, 50, 10, 30)});
  auto c = write_ckpt(dir, "c.agg", {});
  std::vector<int64_t> ids;
  merge_checkpoints({a, b, c}, [&](const source_aggregate& s) {
    ids.push_back(s.source_id);
    if (s.source_id == 101) {
      CHECK(s.bp.min == 7);
      CHECK(s.bp.max == 30);
      CHECK(s.rp.min == 4);
      CHECK(s.rp.max == 9);
    }
  });
  CHECK(ids == std::vector<int64_t>{7, 101, 202, 300});

  auto q = (dir / "q.bin").string();
  auto stats = compute_qualifying({a, b, c}, q);
  CHECK(stats.sources == 4);
  CHECK(stats.qualifying == 3); // 300 is exactly 100: out
  auto csv = (dir / "results.csv").string();
  CHECK(export_results_csv(q, csv) == 3);
  CHECK(test::read_file(csv)
        == "source_id,bp_min_flux,bp_max_flux,rp_min_flux,rp_max_flux,"
           "percentage_change\n"
           "7,1,3,,,200\n"
           "101,7,30,4,9,328.57142857142856\n"
           "202,0,50,10,30,200\n");
}

TEST_CASE("compute: a checkpoint out of order is an error naming it") {
  test::temp_dir dir;
  auto a = write_ckpt(dir, "bad.agg", {agg(5, 1, 3, 1, 3), agg(2, 1, 3, 1, 3)});
  try {
    merge_checkpoints({a}, [](const source_aggregate&) {});
    FAIL("no error");
  } catch (const input_error& e) {
    CHECK(std::string(e.what()).find("bad.agg") != std::string::npos);
  }
}

TEST_CASE("export: numbers are the shortest text that reads back exactly") {
  std::string out;
  for (double v : {0.1, 157841.99293824387, 1e-13, 1.0000000000000002,
                   663566.1794160244, 5e-324, 1.7976931348623157e308}) {
    out.clear();
    append_shortest(out, v);
    CHECK(std::strtod(out.c_str(), nullptr) == v);
    CHECK(out.size() <= 24);
  }
  out.clear();
  append_shortest(out, 0.1);
  CHECK(out == "0.1");
}

TEST_CASE("export: results.csv appears whole or not at all") {
  test::temp_dir dir;
  auto csv = (dir / "results.csv").string();
  CHECK_THROWS_AS(export_results_csv((dir / "missing.bin").string(), csv),
                  input_error);
  CHECK_FALSE(std::filesystem::exists(csv));
  for (const auto& e : std::filesystem::directory_iterator(dir.path()))
    FAIL("left behind: " << e.path());
}

TEST_CASE("compute: more checkpoints than the fan-in merge in passes, same "
          "answer, no intermediates left") {
  test::temp_dir dir;
  std::vector<std::string> paths;
  // 11 files; source i appears in files i % 11 and (i * 7) % 11.
  for (int f = 0; f < 11; ++f) {
    std::vector<source_aggregate> v;
    for (int i = 0; i < 600; ++i)
      if (i % 11 == f || (i * 7) % 11 == f)
        v.push_back(agg(1000 + i, 1 + (i + f) % 13, 20 + (i * f) % 17,
                        i % 5 == 0 ? NAN : 2.0 + f, 4.0 + i % 9));
    paths.push_back(write_ckpt(dir, "f" + std::to_string(f) + ".agg", v));
  }
  auto direct = (dir / "direct.bin").string();
  auto passes = (dir / "passes.bin").string();
  auto a = compute_qualifying(paths, direct);
  auto b = compute_qualifying(paths, passes, 3); // 11 -> 4 -> 2 -> final
  CHECK(a.sources == 600);
  CHECK(b.sources == a.sources);
  CHECK(b.qualifying == a.qualifying);
  CHECK(a.qualifying > 100);
  CHECK(test::read_file(passes) == test::read_file(direct));
  for (const auto& e : std::filesystem::directory_iterator(dir.path()))
    CHECK_MESSAGE(e.path().string().find(".merge-") == std::string::npos,
                  e.path());
}
