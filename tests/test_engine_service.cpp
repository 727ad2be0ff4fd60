// The engine's polling service, driven deterministically (CAF's test
// coordinator: time moves only when the test says so) against a stand-in
// process: the back-off after attempts that leave no marker, the verdicts
// it writes from a run's outcome, the markers that keep it idle, the
// config it checks before a run and between runs, and run-once mode.
// (Its run exclusion and lost locks: test_engine_service_lock.cpp.)
#include "tests/service_fixture.hpp"

#include <doctest/doctest.h>

#include <filesystem>
#include <string>

using namespace std::chrono_literals;
namespace fs = std::filesystem;

using gaia::test::service_bench;

TEST_CASE("engine service: an attempt that leaves no marker backs off 5, 10, "
          "20, 40 s, and a run that can start resets it") {
  service_bench b;
  // A regular file where the state directory's parent should be: nothing
  // can be created there, not even an err marker.
  gaia::test::write_file(b.dir / "blocker", "in the way\n");
  b.svc.state = engine::state_dir((b.dir / "blocker" / "out").string());
  b.start();
  CHECK(b.log.count("cannot take the lock") == 1);
  CHECK(b.log.count("next attempt in 5 s") == 1);
  b.polls(4);
  CHECK(b.log.count("next attempt in 10 s") == 0); // not yet: 4 s after
  b.polls(1);
  CHECK(b.log.count("next attempt in 10 s") == 1); // 5 s after the first
  b.polls(9);
  CHECK(b.log.count("next attempt in 20 s") == 0);
  b.polls(1);
  CHECK(b.log.count("next attempt in 20 s") == 1);
  b.polls(20);
  CHECK(b.log.count("next attempt in 40 s") == 1);
  CHECK(b.script->runs == 0);
  CHECK(b.log.count("cannot take the lock") == 1); // the same condition, said once
  // The condition clears; the next attempt (40 s on) runs, and succeeds.
  fs::remove(b.dir / "blocker");
  b.polls(39);
  CHECK(b.script->runs == 0);
  b.polls(1);
  CHECK(b.script->runs == 1);
  CHECK(gaia::test::read_file(b.state().done_marker).rfind("ok: all fine\nrun 1 finished ", 0)
        == 0);
  CHECK(b.log.count("next attempt in 80 s") == 0);
}

TEST_CASE("engine service: the verdict comes from the outcome, and deleting it "
          "asks for the next run") {
  service_bench b;
  b.script->ok = false;
  b.start();
  CHECK(b.script->runs == 1);
  auto err = gaia::test::read_file(b.state().err_marker);
  CHECK(err.rfind("step failed: the/file\nit broke\nrun 1 failed ", 0) == 0);
  CHECK_FALSE(fs::exists(b.state().done_marker));
  CHECK_FALSE(fs::exists(b.state().lock_marker));
  CHECK(b.log.count("run 1 failed; waiting for a marker to be deleted") == 1);
  CHECK(b.log.count("next attempt in") == 0); // marked: no back-off
  b.polls(3);
  CHECK(b.script->runs == 1); // a marker: nothing to do
  b.script->ok = true;
  fs::remove(b.state().err_marker);
  b.polls(1);
  CHECK(b.script->runs == 2);
  CHECK(gaia::test::read_file(b.state().done_marker).rfind("ok: all fine\nrun 2 finished ", 0)
        == 0);
  CHECK_FALSE(fs::exists(b.state().err_marker));
}

TEST_CASE("engine service: a marker left from before keeps it idle, poll after poll, "
          "until it is deleted") {
  service_bench b;
  fs::create_directories(b.state().dir);
  gaia::test::write_file(b.state().err_marker, "download failed: x\n");
  b.start();
  b.polls(10);
  CHECK(b.script->runs == 0);
  CHECK(b.log.count("idle: delete " + b.state().done_marker + " or "
                    + b.state().err_marker + " to start a new run") == 1); // said once
  CHECK(gaia::test::read_file(b.state().err_marker) == "download failed: x\n");
  CHECK(fs::exists(b.state().heartbeat_path())); // alive, though idle
  CHECK_FALSE(fs::exists(b.state().lock_marker));
  fs::remove(b.state().err_marker);
  b.polls(1);
  CHECK(b.script->runs == 1);
  CHECK(fs::exists(b.state().done_marker));
}

TEST_CASE("engine service: an invalid config is reported in the err marker when a run is "
          "due, and only heard (readiness) between runs") {
  service_bench b;
  int checks = 0;
  engine::config_check answer{engine::config_check::state::invalid,
                              "import_pool_size: 0 is out of range"};
  b.svc.config_name = "the/config.json";
  b.svc.check_config = [&] {
    ++checks;
    return answer;
  };
  b.start();
  CHECK(checks == 1);
  CHECK(b.script->runs == 0);
  CHECK(gaia::test::read_file(b.state().err_marker)
        == "config failed: the/config.json\nimport_pool_size: 0 is out of range\n");
  CHECK(b.log.count("config error: import_pool_size: 0 is out of range") == 1);
  CHECK_FALSE(fs::exists(b.state().lock_marker));
  CHECK(b.log.count("next attempt in") == 0); // the marker says it: no back-off
  // Between runs it is asked every poll; nothing more is written or said.
  b.polls(3);
  CHECK(checks == 4);
  CHECK(b.log.count("config error:") == 1);
  // Fixed, but the marker stays: still idle.
  answer = {};
  b.polls(2);
  CHECK(b.script->runs == 0);
  fs::remove(b.state().err_marker);
  b.polls(1);
  CHECK(b.script->runs == 1);
  CHECK(fs::exists(b.state().done_marker));
  // Broken while idle: heard, but results.done stays and no err marker
  // comes until a run is due.
  answer = {engine::config_check::state::invalid, "download_retries: -1"};
  const int before = checks;
  b.polls(3);
  CHECK(checks == before + 3);
  CHECK(fs::exists(b.state().done_marker));
  CHECK_FALSE(fs::exists(b.state().err_marker));
  CHECK(b.log.count("config error: download_retries") == 0);
}

TEST_CASE("engine service: a changed config, found when a run is due, is told to the "
          "listener and the service stops without running") {
  service_bench b;
  b.svc.config_name = "the/config.json";
  b.svc.check_config = [] { return engine::config_check{engine::config_check::state::changed, ""}; };
  b.start();
  CHECK(b.heard->config_changed == 1);
  CHECK(b.script->runs == 0);
  CHECK(b.log.count("the/config.json changed; restarting the production with it") == 1);
  CHECK_FALSE(fs::exists(b.state().lock_marker));
  CHECK_FALSE(fs::exists(b.state().err_marker));
  b.polls(3); // stopped: no more polls
  CHECK(b.heard->config_changed == 1);
  CHECK(b.script->runs == 0);
}

TEST_CASE("engine service: run-once mode runs whatever the markers say, reports the "
          "outcome to the listener and stops") {
  service_bench b;
  fs::create_directories(b.state().dir);
  gaia::test::write_file(b.state().done_marker, "ok: an earlier run\n");
  b.script->ok = false;
  b.start(true);
  CHECK(b.script->runs == 1);
  REQUIRE(b.heard->outcomes.size() == 1);
  CHECK_FALSE(b.heard->outcomes[0].ok);
  CHECK(b.heard->outcomes[0].step == "step");
  CHECK(b.heard->outcomes[0].error == "it broke");
  CHECK_FALSE(fs::exists(b.state().done_marker)); // the earlier verdict went
  CHECK(gaia::test::read_file(b.state().err_marker).rfind("step failed: the/file\n", 0) == 0);
  CHECK_FALSE(fs::exists(b.state().lock_marker));
  CHECK(b.log.count("waiting for a marker") == 0);
  b.polls(3); // stopped: no second run
  CHECK(b.script->runs == 1);
  CHECK(b.heard->outcomes.size() == 1);
}
