// End to end: the whole actor production over small real-shaped archives
// served by file://, compared value by value with an independent
// computation; failures end in results.err naming step and file.
#include "actors/production.hpp"
#include "engine/state/run_lock.hpp"
#include "download/downloader.hpp"
#include "download/checksums.hpp"
#include "results/checkpoint.hpp"
#include "engine/log.hpp"
#include "tools/mirror/mirror.hpp"
#include "settings/output_layout.hpp"
#include "messages/messages.hpp"

#include "tests/production_fixture.hpp"

#include <doctest/doctest.h>

#include <filesystem>

using namespace gaia;
namespace fs = std::filesystem;

namespace {

const std::vector<int64_t> boundaries = {0, 40, 90, 130};

/// Three files with the hard cases mixed in: a source in two files, a
/// source twice in one file, exactly 100 %, all-NaN and one-band sources,
/// tiny minima and huge values; the second file CRLF, the third file in
/// three gzip members.
test::small_archive hard_archive(uint64_t seed) {
  test::small_archive a;
  a.ranges = ranges_from_boundaries(boundaries);
  for (const auto& r : a.ranges)
    a.files.push_back(synth::generate_rows(r, 0.5, seed));
  auto id_in = [](int64_t pix, int64_t low) { return (pix << 43) | low; };
  synth::row twice{id_in(5, 77), {1, 2, 3}, {10, 12, NAN}, {NAN, 5, 6}};
  synth::row twice_again{id_in(5, 77), {1, 2}, {30, 11}, {2, NAN}};
  synth::row exactly_100{id_in(6, 1), {1, 1}, {21.5, 43.0}, {7, 7}};
  synth::row all_nan{id_in(7, 1), {1, 1}, {NAN, NAN}, {NAN, NAN}};
  synth::row one_band{id_in(8, 1), {1, 1, 1}, {NAN, NAN, NAN}, {1.5, 4.5, 2}};
  synth::row tiny{id_in(9, 1), {1, 1}, {1.01e-13, 157841.99293824387}, {3, 4}};
  synth::row huge{id_in(10, 1), {1, 1}, {1.0e7, 3.5e12}, {NAN, 1e-3}};
  synth::row in_two_a{id_in(39, 5), {1}, {100}, {50}};
  synth::row in_two_b{id_in(39, 5), {1}, {250}, {49}};
  for (auto* r : {&twice, &twice_again, &exactly_100, &all_nan, &one_band,
                  &tiny, &huge, &in_two_a})
    a.files[0].push_back(*r);
  a.files[1].push_back(in_two_b);
  return a;
}

void write_archive(const test::small_archive& a, const fs::path& dir) {
  fs::create_directories(dir);
  for (size_t i = 0; i < a.files.size(); ++i) {
    synth::file_format fmt;
    fmt.crlf = i == 1;
    fmt.gzip_members = i == 2 ? 3 : 1;
    synth::write_archive_file((dir / a.ranges[i].archive_file_name()).string(),
                              a.files[i], fmt);
  }
}

struct quiet_logs {
  quiet_logs() { engine::set_log_quiet(true); }
  ~quiet_logs() { engine::set_log_quiet(false); }
};

} // namespace

TEST_CASE("production: a file:// run equals the independent computation") {
  quiet_logs quiet;
  test::temp_dir dir;
  auto archive = hard_archive(11);
  write_archive(archive, dir / "mirror");
  auto s = test::file_mirror_settings(boundaries, (dir / "mirror").string(),
                                      (dir / "out").string());
  auto expected = test::expected_rows(archive);
  REQUIRE(expected.size() > 20);

  auto outcome = run_production_once(s);
  INFO(outcome.step << " " << outcome.subject << " " << outcome.error);
  REQUIRE(outcome.ok);
  output_layout layout(s.output_dir);
  test::check_results_equal(layout.results_csv, expected);
  CHECK(outcome.count("qualifying") == expected.size());
  CHECK(fs::exists(layout.done_marker));
  CHECK_FALSE(fs::exists(layout.err_marker));
  CHECK_FALSE(fs::exists(layout.lock_marker));
  for (const auto& r : archive.ranges) {
    // A file:// archive is read where it is, never copied.
    CHECK_FALSE(fs::exists(layout.download_path(r)));
    CHECK_FALSE(fs::exists(layout.download_path(r) + ".part"));
    auto source = (dir / "mirror" / r.archive_file_name()).string();
    // The checkpoint records the source it read, and that file as it was.
    auto info = read_checkpoint_info(layout.checkpoint_path(r));
    REQUIRE(info);
    CHECK(info->source.url == expand_url_template(s.archive_url_template, r.label()));
    CHECK(info->input == fingerprint_of(source));
  }
  // The two hard cases at the line: exactly 100 % is out, the tiny
  // minimum is in.
  auto csv = test::read_file(layout.results_csv);
  CHECK(csv.find(std::to_string((int64_t{6} << 43) | 1) + ",") == std::string::npos);
  CHECK(csv.find(std::to_string((int64_t{9} << 43) | 1) + ",1.01e-13,157841.99293824387,")
        != std::string::npos);

  SUBCASE("a second run reuses the checkpoints, same bytes") {
    auto first = csv;
    std::vector<fs::file_time_type> stamps;
    for (const auto& r : archive.ranges)
      stamps.push_back(fs::last_write_time(layout.checkpoint_path(r)));
    auto again = run_production_once(s);
    REQUIRE(again.ok);
    CHECK(test::read_file(layout.results_csv) == first);
    for (size_t i = 0; i < archive.ranges.size(); ++i)
      CHECK(fs::last_write_time(layout.checkpoint_path(archive.ranges[i])) == stamps[i]);
  }
}

TEST_CASE("production: a checkpoint whose counts were damaged between runs is redone, "
          "and the run reports the true counts") {
  quiet_logs quiet;
  test::temp_dir dir;
  auto archive = hard_archive(12);
  write_archive(archive, dir / "mirror");
  auto s = test::file_mirror_settings(boundaries, (dir / "mirror").string(),
                                      (dir / "out").string());
  auto first = run_production_once(s);
  REQUIRE(first.ok);
  output_layout layout(s.output_dir);
  const auto done = test::read_file(layout.done_marker);
  const auto csv = test::read_file(layout.results_csv);
  // The header's row count (offset 32) and skipped values (offset 56) of
  // the first file's checkpoint, flipped as a bad disk or a stray write would.
  const auto path = layout.checkpoint_path(archive.ranges[0]);
  const auto before = read_checkpoint_info(path);
  REQUIRE(before);
  auto bytes = test::read_file(path);
  bytes[32] ^= 0x04;
  bytes[56] ^= 0x01;
  test::write_file(path, bytes);
  auto again = run_production_once(s);
  INFO(again.step << " " << again.subject << " " << again.error);
  REQUIRE(again.ok);
  CHECK(again.count("rows") == first.count("rows"));
  CHECK(again.count("skipped_values") == first.count("skipped_values"));
  CHECK(test::read_file(layout.results_csv) == csv);
  // results.done says the same counts (its time stamps aside).
  auto counts = [](const std::string& text) {
    auto at = text.find("input: ");
    return at == std::string::npos ? std::string() : text.substr(at, text.find('\n', at) - at);
  };
  CHECK_FALSE(counts(done).empty());
  CHECK(counts(test::read_file(layout.done_marker)) == counts(done));
  // Redone: the checkpoint is whole again.
  REQUIRE(read_checkpoint_info(path));
  CHECK(read_checkpoint_info(path)->rows == before->rows);
  CHECK(read_checkpoint_info(path)->skipped_values == before->skipped_values);
}

TEST_CASE("production: file_boundaries \"all\" reads an _MD5SUM.txt that starts with a "
          "UTF-8 BOM") {
  quiet_logs quiet;
  test::temp_dir dir;
  auto archive = hard_archive(13);
  write_archive(archive, dir / "mirror");
  write_checksum_file((dir / "mirror").string());
  const auto list = dir / "mirror" / checksum_file_name;
  test::write_file(list, "\xEF\xBB\xBF" + test::read_file(list));
  auto s = test::file_mirror_settings(boundaries, (dir / "mirror").string(),
                                      (dir / "out").string());
  s.files.from_list = true;
  s.files.text = "all";
  s.checksum_url = "file://" + list.string();
  auto outcome = run_production_once(s);
  INFO(outcome.step << " " << outcome.subject << " " << outcome.error);
  REQUIRE(outcome.ok);
  test::check_results_equal(output_layout(s.output_dir).results_csv,
                            test::expected_rows(archive));
}

TEST_CASE("production: another archive_url_template in the same output_dir "
          "never reuses the other archive's files") {
  // Two archives with the same file names and different rows, read in turn
  // into one output_dir: each run gives its own archive's answer; a re-run
  // against the same archive still reuses everything.
  quiet_logs quiet;
  test::temp_dir dir;
  auto a = hard_archive(21), b = hard_archive(22);
  write_archive(a, dir / "a");
  write_archive(b, dir / "b");
  const auto out = (dir / "out").string();
  output_layout layout(out);
  auto expect = [&](const settings& s, const test::small_archive& arch) {
    auto o = run_production_once(s);
    INFO(o.step << " " << o.subject << " " << o.error);
    REQUIRE(o.ok);
    test::check_results_equal(layout.results_csv, test::expected_rows(arch));
  };

  SUBCASE("file://") {
    auto sa = test::file_mirror_settings(boundaries, (dir / "a").string(), out);
    auto sb = test::file_mirror_settings(boundaries, (dir / "b").string(), out);
    expect(sa, a);
    expect(sb, b);
    auto mtime = fs::last_write_time(layout.checkpoint_path(b.ranges[0]));
    expect(sb, b);
    CHECK(fs::last_write_time(layout.checkpoint_path(b.ranges[0])) == mtime);
    expect(sa, a);
  }
  SUBCASE("two HTTP mirrors, without and with checksums") {
    auto serve = [](const fs::path& d) {
      mirror_options o;
      o.dir = d.string();
      o.log_requests = false;
      auto m = std::make_unique<mirror_server>(o);
      m->start();
      return m;
    };
    auto ma = serve(dir / "a");
    auto mb = serve(dir / "b");
    auto sa = test::file_mirror_settings(boundaries, (dir / "a").string(), out);
    auto sb = sa;
    sa.archive_url_template = ma->base_url() + "/EpochPhotometry_%s.csv.gz";
    sb.archive_url_template = mb->base_url() + "/EpochPhotometry_%s.csv.gz";
    expect(sa, a);
    expect(sb, b);
    auto gets = [](const mirror_server& m) {
      size_t n = 0;
      for (const auto& r : m.requests())
        n += r.method == "GET" && r.path.find("EpochPhotometry_") != std::string::npos;
      return n;
    };
    CHECK(gets(*mb) == b.ranges.size());
    expect(sb, b); // the same source: nothing fetched again (HEADs only)
    CHECK(gets(*mb) == b.ranges.size());
    write_checksum_file((dir / "a").string());
    expect(sa, a); // back to a, now with checksums: fetched again
    CHECK(gets(*ma) == 2 * a.ranges.size());
    expect(sa, a); // and reused by the MD5 in the stamps
    CHECK(gets(*ma) == 2 * a.ranges.size());
  }
}

TEST_CASE("production: a missing file ends in results.err naming the URL") {
  quiet_logs quiet;
  test::temp_dir dir;
  auto archive = hard_archive(3);
  write_archive(archive, dir / "mirror");
  fs::remove(dir / "mirror" / archive.ranges[2].archive_file_name());
  auto s = test::file_mirror_settings(boundaries, (dir / "mirror").string(),
                                      (dir / "out").string());
  auto outcome = run_production_once(s);
  CHECK_FALSE(outcome.ok);
  CHECK(outcome.step == "import"); // a file:// archive is read in place
  output_layout layout(s.output_dir);
  REQUIRE(fs::exists(layout.err_marker));
  auto err = test::read_file(layout.err_marker);
  auto first_line = err.substr(0, err.find('\n'));
  CHECK(first_line.find("import failed: file://") == 0);
  CHECK(err.find(": no such file") != std::string::npos);
  CHECK(first_line.find(archive.ranges[2].archive_file_name())
        != std::string::npos);
  CHECK_FALSE(fs::exists(layout.results_csv));
  CHECK_FALSE(fs::exists(layout.done_marker));
  CHECK_FALSE(fs::exists(layout.lock_marker));
}

TEST_CASE("production: a file:// source that is corrupt fails the import, "
          "naming the file") {
  quiet_logs quiet;
  test::temp_dir dir;
  auto archive = hard_archive(4);
  write_archive(archive, dir / "mirror");
  auto bad = dir / "mirror" / archive.ranges[0].archive_file_name();
  auto bytes = test::read_file(bad);
  test::write_file(bad, bytes.substr(0, bytes.size() - 100)); // truncated
  auto s = test::file_mirror_settings(boundaries, (dir / "mirror").string(),
                                      (dir / "out").string());
  auto outcome = run_production_once(s);
  CHECK_FALSE(outcome.ok);
  INFO(outcome.error);
  CHECK(outcome.step == "import");
  output_layout layout(s.output_dir);
  auto err = test::read_file(layout.err_marker);
  CHECK(err.rfind("import failed: file://" + bad.string() + "\n" + bad.string()
                  + ": truncated gzip stream", 0) == 0);
  CHECK(test::read_file(bad) == bytes.substr(0, bytes.size() - 100)); // untouched
  CHECK_FALSE(fs::exists(layout.results_csv));
  CHECK_FALSE(fs::exists(layout.lock_marker));
}

TEST_CASE("production: run refuses while another process holds the lock") {
  quiet_logs quiet;
  test::temp_dir dir;
  auto archive = hard_archive(5);
  write_archive(archive, dir / "mirror");
  auto s = test::file_mirror_settings(boundaries, (dir / "mirror").string(),
                                      (dir / "out").string());
  output_layout layout(s.output_dir);
  layout.create_directories();
  auto held = engine::run_lock::try_acquire(layout.lock_marker);
  REQUIRE(held.lock);
  auto outcome = run_production_once(s);
  CHECK_FALSE(outcome.ok);
  CHECK(outcome.step == "lock");
  CHECK_FALSE(fs::exists(layout.results_csv));
  CHECK(fs::exists(layout.lock_marker)); // still the holder's
}

TEST_CASE("production: spawning gives every declared node an actor") {
  quiet_logs quiet;
  test::temp_dir dir;
  // An output directory below a regular file can never be created (not
  // even by root), so the run-once service fails at the lock at once and
  // the test only looks at the actors.
  test::write_file(dir / "file", "x");
  auto s = test::file_mirror_settings(boundaries, (dir / "mirror").string(),
                                      (dir / "file" / "out").string());
  caf::actor_system_config cfg;
  configure_actor_system(cfg);
  caf::actor_system sys{cfg};
  auto decl = gaia_production(s);
  auto opts = spawn_options_of(s);
  opts.run_once = true;
  caf::scoped_actor self{sys};
  opts.listener = caf::actor{self};
  auto prod = engine::spawn(sys, decl, opts);
  CHECK(prod.actors.size() == decl.nodes().size());
  for (const auto& n : decl.nodes())
    CHECK(prod.actors.count(n.id) == 1);
  self->receive([](engine::run_outcome& o) {
    CHECK_FALSE(o.ok);
    CHECK(o.step == "lock");
  });
  prod.shutdown();
}

TEST_CASE("production: pool sizes come from the settings fields, their defaults from the "
          "settings' defaults") {
  auto s = default_settings();
  s.download_pool_size = 7;
  s.import_pool_size = 3;
  const auto decl = gaia_production(s);
  const auto sizes = pool_sizes_of(s);
  const auto& download = decl.find(node_id::download);
  const auto& import = decl.find(node_id::import);
  CHECK(sizes(download.pool) == 7);
  CHECK(sizes(import.pool) == 3);
  // Spawned without sizes, a pool has the size the settings table gives
  // by default (import_pool_size: the number of cores).
  CHECK(download.pool.default_size == default_settings().download_pool_size);
  CHECK(import.pool.default_size == default_settings().import_pool_size);
  CHECK(download.pool.key == "download_pool_size");
  CHECK(import.pool.key == "import_pool_size");
}
