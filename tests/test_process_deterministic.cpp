// The Gaia benchmark process driven deterministically (CAF's test
// coordinator) with stand-ins for its operations: http files to the
// download pool and file:// files to the import pool, an import failure of
// a streamed file, one failure cancelling the run's other jobs, a cancel
// from the service ending the run without a verdict.
#include "actors/benchmark_process.hpp"
#include "actors/production.hpp"
#include "engine/log.hpp"

#include "tests/engine_fixture.hpp"
#include "tests/production_fixture.hpp"

#include <doctest/doctest.h>

#include <map>
#include <memory>
#include <string>
#include <vector>

using namespace gaia;

namespace {

/// What the stand-ins saw, and how they answer.
struct stage {
  std::vector<std::pair<std::string, bool>> downloads; ///< label, force
  std::vector<std::string> imports;                    ///< labels
  std::vector<uint64_t> download_cancels, import_cancels;
  std::string failing_download;              ///< this label's download fails
  std::string unimportable;                  ///< this label's bytes are no archive
  bool hold_downloads = false;               ///< never answer downloads
  std::vector<caf::typed_response_promise<download_reply>> held;
  std::vector<std::string> validations;      ///< labels
  std::string misplaced;                     ///< this label has a misplaced source
  bool misplaced_fails = false;              ///< ... and the check fails on it
  std::vector<std::string> computed;         ///< the checkpoints compute read
  int computes = 0, exports = 0;
};

prepare_actor::behavior_type fake_prepare(prepare_actor::pointer) {
  return {[](const prepare_request&) -> caf::result<prepare_reply> { return prepare_reply{}; }};
}

download_actor::behavior_type fake_downloads(download_actor::pointer self,
                                             std::shared_ptr<stage> st) {
  return {
    [self, st](const download_request& r) -> caf::result<download_reply> {
      st->downloads.push_back({r.label, r.force});
      if (r.label == st->failing_download)
        return make_error(gaia_errc::download_failed, r.url + ": HTTP 404");
      if (r.label == st->unimportable)
        return make_error(gaia_errc::import_failed, r.url + ": no header row");
      if (st->hold_downloads) {
        auto rp = self->make_response_promise<download_reply>();
        st->held.push_back(rp);
        return rp;
      }
      download_reply rep;
      rep.label = r.label;
      rep.path = r.path;
      rep.bytes = 1000;
      rep.import.label = r.label;
      rep.import.rows = 10;
      rep.import.sources = 10;
      rep.import.bytes = 1000;
      return rep;
    },
    [st](engine::cancel_atom, uint64_t run) { st->download_cancels.push_back(run); },
  };
}

import_actor::behavior_type fake_imports(import_actor::pointer, std::shared_ptr<stage> st) {
  return {
    [st](const import_request& r) -> caf::result<import_reply> {
      st->imports.push_back(r.label);
      import_reply rep;
      rep.label = r.label;
      rep.rows = 10;
      rep.sources = 10;
      return rep;
    },
    [st](engine::cancel_atom, uint64_t run) { st->import_cancels.push_back(run); },
  };
}

validate_actor::behavior_type fake_validate(validate_actor::pointer, std::shared_ptr<stage> st) {
  return {
    [st](const validate_request& r) -> caf::result<validate_reply> {
      st->validations.push_back(r.label);
      validate_reply rep{r.label, 10, 0, 0, r.checkpoint_path};
      if (r.label != st->misplaced) return rep;
      if (st->misplaced_fails)
        return make_error(gaia_errc::import_failed, r.url + ": source_id 42 is outside");
      rep.misplaced = 2;
      rep.first_misplaced = 42;
      rep.checkpoint_path = r.in_range_path; // left out, as `skip` does
      return rep;
    },
    [](engine::cancel_atom, uint64_t) {},
  };
}

compute_actor::behavior_type fake_compute(compute_actor::pointer, std::shared_ptr<stage> st) {
  return {[st](const compute_request& r) -> caf::result<compute_reply> {
    st->computed = r.checkpoint_paths;
    ++st->computes;
    return compute_reply{30, 7, 0.0};
  }};
}

export_actor::behavior_type fake_export(export_actor::pointer, std::shared_ptr<stage> st) {
  return {[st](const export_request& r) -> caf::result<export_reply> {
    ++st->exports;
    return export_reply{7, r.csv_path, 0.0, {}};
  }};
}

struct fixture : gaia::test::deterministic_system {
  gaia::test::temp_dir dir;
  std::shared_ptr<stage> st = std::make_shared<stage>();
  std::shared_ptr<engine::run_control> runs = std::make_shared<engine::run_control>();
  settings s;
  process_actor process;
  std::shared_ptr<engine::run_outcome> outcome = std::make_shared<engine::run_outcome>();
  bool answered = false;

  explicit fixture(const std::string& url_template =
                     "http://mirror.invalid/EpochPhotometry_%s.csv.gz")
    : deterministic_system(register_messages) {
    engine::set_log_quiet(true);
    s = gaia::test::file_mirror_settings({0, 10, 20, 30}, "/nowhere", (dir / "out").string());
    s.archive_url_template = url_template;
    s.checksum_url = "";
    process_peers peers;
    peers.prepare = sys->spawn(fake_prepare);
    peers.download = sys->spawn(fake_downloads, st);
    peers.import = sys->spawn(fake_imports, st);
    peers.validate = sys->spawn(fake_validate, st);
    peers.compute = sys->spawn(fake_compute, st);
    peers.exporter = sys->spawn(fake_export, st);
    process = sys->spawn(benchmark_process, process_settings_of(s), peers, runs);
    actors = {caf::actor_cast<caf::actor>(peers.prepare), caf::actor_cast<caf::actor>(peers.download),
              caf::actor_cast<caf::actor>(peers.import), caf::actor_cast<caf::actor>(peers.validate),
              caf::actor_cast<caf::actor>(peers.compute), caf::actor_cast<caf::actor>(peers.exporter),
              caf::actor_cast<caf::actor>(process)};
  }
  ~fixture() {
    // The system waits for every actor: stop them all.
    for (const auto& a : actors) caf::anon_send_exit(a, caf::exit_reason::user_shutdown);
    st->held.clear();
    run();
    engine::set_log_quiet(false);
  }
  std::vector<caf::actor> actors;

  void start() {
    auto out = outcome;
    auto* done = &answered;
    auto p = process;
    sys->spawn([p, out, done](caf::event_based_actor* self) {
      self->request(p, caf::infinite, engine::run_request{1})
        .then([out, done](engine::run_outcome& o) {
                *out = std::move(o);
                *done = true;
              },
              [done](caf::error&) { *done = true; });
    });
    run();
  }

};

} // namespace

TEST_CASE("process: http files go to the download pool, imported as they "
          "stream in, and the outcome sums them") {
  fixture f;
  f.start();
  REQUIRE(f.answered);
  INFO(f.outcome->error);
  CHECK(f.outcome->ok);
  CHECK(f.st->downloads.size() == 3);
  CHECK(f.st->imports.empty());
  CHECK(f.outcome->count("files") == 3);
  CHECK(f.outcome->count("rows") == 30);
  CHECK(f.outcome->count("qualifying") == 7);
  CHECK(f.outcome->summary.at(0) == "ok: 7 qualifying sources of 30 in 3 files");
  CHECK(f.outcome->summary.at(2) == "input: 30 rows, every row and flux value read");
}

TEST_CASE("process: every imported file is validated before compute, misplaced sources are "
          "counted, named in the done marker, and compute reads what validate says") {
  fixture f;
  f.st->misplaced = "000010-000019";
  f.start();
  REQUIRE(f.answered);
  INFO(f.outcome->error);
  REQUIRE(f.outcome->ok);
  CHECK(f.st->validations.size() == 3);
  CHECK(f.outcome->count("misplaced_sources") == 2);
  CHECK(f.outcome->count("misplaced_files") == 1);
  CHECK(f.outcome->summary.at(3)
        == "validate: 2 sources outside their file's HEALPix range in 1 files, left out of "
           "the answer (the log names them)");
  output_layout l(f.s.output_dir);
  CHECK(f.st->computed
        == std::vector<std::string>{l.checkpoint_path({0, 9}),
                                    l.work_dir + "/000010-000019.in-range",
                                    l.checkpoint_path({20, 29})});
}

TEST_CASE("process: every source in range says so in the done marker") {
  fixture f;
  f.start();
  REQUIRE(f.outcome->ok);
  CHECK(f.outcome->summary.at(3) == "validate: every source in its file's HEALPix range");
}

TEST_CASE("process: a failed check fails the run at the validate step, naming the file") {
  fixture f;
  f.st->misplaced = "000010-000019";
  f.st->misplaced_fails = true;
  f.start();
  REQUIRE(f.answered);
  CHECK_FALSE(f.outcome->ok);
  CHECK(f.outcome->step == "validate");
  CHECK(f.outcome->subject == "http://mirror.invalid/EpochPhotometry_000010-000019.csv.gz");
  CHECK(f.outcome->error.find("source_id 42") != std::string::npos);
  CHECK(f.st->computes == 0);
}

TEST_CASE("process: file:// files go to the import pool, read in place") {
  fixture f("file:///data/EpochPhotometry_%s.csv.gz");
  f.start();
  REQUIRE(f.answered);
  CHECK(f.outcome->ok);
  CHECK(f.st->downloads.empty());
  CHECK(f.st->imports.size() == 3);
}

TEST_CASE("process: a streamed file that is no archive fails the run at the "
          "import step, naming its URL") {
  fixture f;
  f.st->unimportable = "000020-000029";
  f.start();
  REQUIRE(f.answered);
  CHECK_FALSE(f.outcome->ok);
  CHECK_FALSE(f.outcome->abandoned);
  CHECK(f.outcome->step == "import");
  CHECK(f.outcome->subject == "http://mirror.invalid/EpochPhotometry_000020-000029.csv.gz");
  CHECK(f.outcome->error == f.outcome->subject + ": no header row");
  CHECK(f.st->computes == 0);
}

TEST_CASE("process: one failure cancels the run's other jobs") {
  fixture f;
  f.st->failing_download = "000000-000009";
  f.start();
  REQUIRE(f.answered);
  CHECK_FALSE(f.outcome->ok);
  CHECK(f.outcome->step == "download");
  CHECK(f.outcome->subject == "http://mirror.invalid/EpochPhotometry_000000-000009.csv.gz");
  CHECK(f.outcome->error == f.outcome->subject + ": HTTP 404");
  // Running jobs see the flag; queued ones are dropped by the pools.
  CHECK(f.runs->cancelled(1));
  CHECK(f.st->download_cancels == std::vector<uint64_t>{1});
  CHECK(f.st->import_cancels == std::vector<uint64_t>{1});
  // What came back after the failure goes no further.
  CHECK(f.st->computes == 0);
}

TEST_CASE("process: a cancel from the service ends the run without a verdict") {
  fixture f;
  f.st->hold_downloads = true;
  f.start();
  CHECK_FALSE(f.answered);
  CHECK(f.st->downloads.size() == 3); // all three waiting
  caf::anon_send(f.process, engine::cancel_atom::value, uint64_t{1});
  f.run();
  REQUIRE(f.answered);
  CHECK_FALSE(f.outcome->ok);
  CHECK(f.outcome->abandoned);
  CHECK(f.runs->cancelled(1));
  CHECK(f.st->download_cancels == std::vector<uint64_t>{1});
}
