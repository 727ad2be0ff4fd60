// The validate step: every file's sources against the HEALPix range its
// name gives. The operation on real checkpoints, with each policy; and the
// whole production over a file:// archive in which one file holds a
// source of another file's range (report: the answer is unchanged).
#include "actors/production.hpp"
#include "actors/validate_operation.hpp"
#include "engine/log.hpp"
#include "messages/messages.hpp"
#include "results/checkpoint.hpp"
#include "settings/output_layout.hpp"

#include "tests/env_util.hpp"
#include "tests/production_fixture.hpp"

#include <doctest/doctest.h>

#include <filesystem>

using namespace gaia;
namespace fs = std::filesystem;

namespace {

int64_t id_in(int64_t pixel, int64_t low) { return (pixel << 43) | low; }

source_aggregate aggregate(int64_t id, double v) {
  source_aggregate s;
  s.source_id = id;
  s.bp.add(v);
  s.bp.add(3 * v);
  s.rp.add(v);
  return s;
}

/// A checkpoint of the file 000010-000019 with two sources of pixel 20 (the
/// next file's) among three of its own; sorted, as imports write them.
struct misplaced_checkpoint {
  test::temp_dir dir;
  std::string path = (dir / "000010-000019.ckpt").string();
  std::vector<source_aggregate> sources = {aggregate(id_in(10, 1), 1), aggregate(id_in(19, 7), 2),
                                           aggregate(id_in(20, 3), 4), aggregate(id_in(20, 9), 5),
                                           aggregate(id_in(10, 1) + 1, 6)};
  misplaced_checkpoint() {
    std::sort(sources.begin(), sources.end(),
              [](const auto& a, const auto& b) { return a.source_id < b.source_id; });
    checkpoint_info info;
    info.rows = 12;
    info.skipped_rows = 1;
    info.sources = sources.size();
    info.source.url = "file:///m/EpochPhotometry_000010-000019.csv.gz";
    write_checkpoint(path, info, sources);
  }
  validate_request request() const {
    return {7, "000010-000019", 10, 19, "file:///m/EpochPhotometry_000010-000019.csv.gz", path,
            (dir / "in-range").string()};
  }
};

caf::expected<validate_reply> ask(misplaced_policy policy, const validate_request& req) {
  caf::actor_system_config cfg;
  register_messages(cfg);
  caf::actor_system sys{cfg};
  auto op = sys.spawn(validate_operation, validate_settings{policy});
  caf::scoped_actor self{sys};
  caf::expected<validate_reply> got{caf::error{}};
  self->request(op, caf::infinite, req)
    .receive([&](validate_reply& r) { got = std::move(r); },
             [&](caf::error& e) { got = std::move(e); });
  self->send_exit(op, caf::exit_reason::user_shutdown);
  return got;
}

std::vector<int64_t> ids_in(const std::string& path) {
  checkpoint_reader in(path);
  std::vector<int64_t> ids;
  source_aggregate s;
  while (in.next(s)) ids.push_back(s.source_id);
  return ids;
}

} // namespace

TEST_CASE("validate: report counts the sources outside and leaves the checkpoint as it is") {
  misplaced_checkpoint c;
  auto r = ask(misplaced_policy::report, c.request());
  REQUIRE(r);
  CHECK(r->sources == 5);
  CHECK(r->misplaced == 2);
  CHECK(r->first_misplaced == id_in(20, 3));
  CHECK(r->checkpoint_path == c.path);
  CHECK_FALSE(fs::exists(c.request().in_range_path));
}

TEST_CASE("validate: skip writes the sources in range beside, the import's checkpoint stays") {
  misplaced_checkpoint c;
  auto before = test::read_file(c.path);
  auto r = ask(misplaced_policy::skip, c.request());
  REQUIRE(r);
  CHECK(r->misplaced == 2);
  CHECK(r->checkpoint_path == c.request().in_range_path);
  CHECK(ids_in(r->checkpoint_path)
        == std::vector<int64_t>{id_in(10, 1), id_in(10, 1) + 1, id_in(19, 7)});
  auto info = read_checkpoint_info(r->checkpoint_path);
  REQUIRE(info);
  CHECK(info->sources == 3);
  CHECK(info->rows == 12); // the file's counts are the file's, whatever is left out
  CHECK(info->skipped_rows == 1);
  CHECK(test::read_file(c.path) == before);
}

TEST_CASE("validate: skip copies nothing when every source is in range") {
  misplaced_checkpoint c;
  auto req = c.request();
  req.last = 20; // now pixel 20 is the file's own
  auto r = ask(misplaced_policy::skip, req);
  REQUIRE(r);
  CHECK(r->misplaced == 0);
  CHECK(r->checkpoint_path == c.path);
  CHECK_FALSE(fs::exists(req.in_range_path));
}

TEST_CASE("validate: fail answers an error naming the file and the first source outside") {
  misplaced_checkpoint c;
  auto r = ask(misplaced_policy::fail, c.request());
  REQUIRE_FALSE(r);
  const auto text = error_text(r.error());
  CHECK(text.find("file:///m/EpochPhotometry_000010-000019.csv.gz: source_id "
                  + std::to_string(id_in(20, 3)) + " (HEALPix level-8 index 20) is outside "
                  "the file's range 000010-000019")
        == 0);
}

TEST_CASE("validate: a damaged checkpoint is an error naming it, not a count") {
  misplaced_checkpoint c;
  {
    std::ofstream out(c.path, std::ios::binary | std::ios::in | std::ios::out);
    out.seekp(120);
    out.put('\x55');
  }
  auto r = ask(misplaced_policy::report, c.request());
  REQUIRE_FALSE(r);
  CHECK(error_text(r.error()).find(c.path) != std::string::npos);
}

/// A file:// archive of two files, the second holding a source of pixel
/// 12 (the first file's range): a run over it, with a policy.
struct misplaced_archive {
  test::temp_dir dir;
  test::small_archive a;
  settings s;
  misplaced_archive() {
    a.ranges = ranges_from_boundaries({0, 40, 90});
    for (const auto& r : a.ranges) a.files.push_back(synth::generate_rows(r, 0.3, 5));
    a.files[1].push_back(synth::row{id_in(12, 99), {1, 2}, {10, 35}, {4, 4}});
    fs::create_directories(dir / "mirror");
    for (size_t i = 0; i < a.files.size(); ++i)
      synth::write_archive_file((dir / "mirror" / a.ranges[i].archive_file_name()).string(),
                                a.files[i], {});
    s = test::file_mirror_settings({0, 40, 90}, (dir / "mirror").string(),
                                   (dir / "out").string());
  }
  engine::run_outcome run(misplaced_policy policy) {
    s.get<validate_settings>().misplaced_sources = policy;
    engine::set_log_quiet(true);
    auto o = run_production_once(s);
    engine::set_log_quiet(false);
    return o;
  }
  output_layout layout() const { return output_layout(s.output_dir); }
  std::string url_of(size_t i) const {
    return expand_url_template(s.archive_url_template, a.ranges[i].label());
  }
};

TEST_CASE("validate: a whole run reports a misplaced source and keeps the answer unchanged") {
  misplaced_archive m;
  auto outcome = m.run(misplaced_policy::report);
  INFO(outcome.step << " " << outcome.subject << " " << outcome.error);
  REQUIRE(outcome.ok);
  CHECK(outcome.count("misplaced_sources") == 1);
  CHECK(outcome.count("misplaced_files") == 1);
  const auto l = m.layout();
  test::check_results_equal(l.results_csv, test::expected_rows(m.a));
  CHECK(test::read_file(l.results_csv).find(std::to_string(id_in(12, 99)) + ",")
        != std::string::npos);
  CHECK(test::read_file(l.done_marker).find(
          "validate: 1 sources outside their file's HEALPix range in 1 files, kept in the answer")
        != std::string::npos);
}

TEST_CASE("validate: skip leaves the misplaced source out of the answer, and a later report "
          "run has it again from the same checkpoints") {
  misplaced_archive m;
  auto outcome = m.run(misplaced_policy::skip);
  INFO(outcome.step << " " << outcome.subject << " " << outcome.error);
  REQUIRE(outcome.ok);
  CHECK(outcome.count("misplaced_sources") == 1);
  auto without = m.a;
  without.files[1].pop_back();
  const auto l = m.layout();
  test::check_results_equal(l.results_csv, test::expected_rows(without));
  CHECK(test::read_file(l.done_marker).find(
          "validate: 1 sources outside their file's HEALPix range in 1 files, left out of the "
          "answer")
        != std::string::npos);
  // The import's checkpoints were kept whole: reporting again restores it.
  auto again = m.run(misplaced_policy::report);
  REQUIRE(again.ok);
  test::check_results_equal(l.results_csv, test::expected_rows(m.a));
}

TEST_CASE("validate: fail ends the run at the validate step naming the file and the source") {
  misplaced_archive m;
  auto outcome = m.run(misplaced_policy::fail);
  REQUIRE_FALSE(outcome.ok);
  CHECK(outcome.step == "validate");
  CHECK(outcome.subject == m.url_of(1));
  CHECK(outcome.error.find("source_id " + std::to_string(id_in(12, 99))) != std::string::npos);
  const auto l = m.layout();
  CHECK_FALSE(fs::exists(l.results_csv));
  CHECK(test::read_file(l.err_marker).rfind("validate failed: " + m.url_of(1) + "\n", 0) == 0);
}

TEST_CASE("validate: misplaced_sources, declared in the step's own file, is set by "
          "GAIA_SETTINGS as by the config file") {
  auto env = gaia::test::env_of({{"GAIA_SETTINGS", R"({"misplaced_sources": "skip"})"}});
  auto s = parse_settings("{}", "test.json", env);
  CHECK(s.get<validate_settings>().misplaced_sources == misplaced_policy::skip);
  auto from_file = parse_settings(R"({"misplaced_sources": "fail"})", "test.json",
                                  gaia::test::env_of({}));
  CHECK(from_file.get<validate_settings>().misplaced_sources == misplaced_policy::fail);
  auto bad = gaia::test::error_of("{}", gaia::test::env_of({{"GAIA_SETTINGS",
                                                             R"({"misplaced_sources": "drop"})"}}));
  CHECK(bad.find("GAIA_SETTINGS") != std::string::npos);
  CHECK(bad.find("misplaced_sources") != std::string::npos);
}
