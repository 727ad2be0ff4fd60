// The polling service's run exclusion, driven deterministically (CAF's
// test coordinator) against a stand-in process that holds its run until
// cancelled: another run holding the directory keeps it out, and a run
// whose results.lock is deleted or replaced mid-run is cancelled, ends
// without a verdict, and the next poll starts a new one. (The same with
// real processes: test_run_exclusion.cpp.)
#include "engine/state/run_lock.hpp"

#include "tests/service_fixture.hpp"

#include <doctest/doctest.h>

#include <filesystem>
#include <string>

namespace fs = std::filesystem;

using gaia::test::service_bench;

namespace {

/// What a results.lock copied from another machine says.
const std::string foreign_lock = "pid 4242\nhost elsewhere\nstarted 2020-01-01T00:00:00Z\n";

/// Puts `text` at `path` as a new file (a copy moved into place).
void replace_file(const std::string& path, const std::string& text) {
  gaia::test::write_file(path + ".copy", text);
  fs::rename(path + ".copy", path);
}

} // namespace

TEST_CASE("engine service: while another run holds the directory it starts none and writes "
          "no marker, and runs once the directory is free") {
  service_bench b;
  fs::create_directories(b.state().dir);
  auto other = engine::run_lock::try_acquire(b.state().lock_marker);
  REQUIRE(other.lock);
  b.start();
  b.polls(5);
  CHECK(b.script->runs == 0);
  CHECK(b.log.count("another run holds " + b.state().lock_marker) == 1); // said once
  CHECK(b.log.count("next attempt in") == 0); // no back-off: it polls as usual
  CHECK_FALSE(fs::exists(b.state().done_marker));
  CHECK_FALSE(fs::exists(b.state().err_marker));
  other.lock.reset();
  b.polls(1);
  CHECK(b.script->runs == 1);
  CHECK(fs::exists(b.state().done_marker));
  CHECK_FALSE(fs::exists(b.state().lock_marker));
}

TEST_CASE("engine service: a run whose results.lock is deleted or replaced is cancelled, "
          "ends without a verdict, and the next poll starts a new run") {
  service_bench b;
  b.script->hold = true;
  b.start();
  REQUIRE(b.script->runs == 1);
  REQUIRE(fs::exists(b.state().lock_marker));
  b.polls(3); // the lock is intact: the run goes on
  CHECK(b.script->cancels.empty());

  std::string line;
  bool foreign = true;
  SUBCASE("deleted") {
    fs::remove(b.state().lock_marker);
    line = "results.lock was deleted while run 1 worked; stopping run 1 without a verdict";
    foreign = false;
  }
  SUBCASE("replaced by a copy from another host") {
    replace_file(b.state().lock_marker, foreign_lock);
    line = "results.lock was replaced while run 1 worked (it now says pid 4242 on host "
           "elsewhere); stopping run 1 without a verdict";
  }
  SUBCASE("overwritten in place") {
    gaia::test::write_file(b.state().lock_marker, foreign_lock);
    line = "results.lock was replaced while run 1 worked (it now says pid 4242 on host "
           "elsewhere); stopping run 1 without a verdict";
  }
  b.script->hold = false;
  b.polls(1); // the next poll sees it
  CHECK(b.log.count(line) == 1);
  CHECK(b.script->cancels == std::vector<uint64_t>{1});
  CHECK(b.runs->cancelled(1));
  CHECK(b.log.count("run 1 stopped without a verdict; a new run starts at the next poll") == 1);
  CHECK(b.log.count("run 1 failed") == 0);
  CHECK_FALSE(fs::exists(b.state().done_marker));
  CHECK_FALSE(fs::exists(b.state().err_marker));
  // The service removes a results.lock of its own only.
  if (foreign)
    CHECK(gaia::test::read_file(b.state().lock_marker) == foreign_lock);
  else
    CHECK_FALSE(fs::exists(b.state().lock_marker));

  b.polls(1);
  CHECK(b.script->runs == 2);
  CHECK(b.log.count("starting run 2") == 1);
  CHECK(b.log.count("took over a stale results.lock left by pid 4242 on host elsewhere")
        == (foreign ? 1 : 0));
  CHECK(gaia::test::read_file(b.state().done_marker).rfind("ok: all fine\nrun 2 finished ", 0)
        == 0);
  CHECK_FALSE(fs::exists(b.state().err_marker));
  CHECK_FALSE(fs::exists(b.state().lock_marker));
}

TEST_CASE("engine service: run-once mode whose results.lock is deleted reports a lock "
          "failure naming it, and writes no marker") {
  service_bench b;
  b.script->hold = true;
  b.start(true);
  REQUIRE(b.script->runs == 1);
  fs::remove(b.state().lock_marker);
  b.polls(1);
  CHECK(b.script->cancels == std::vector<uint64_t>{1});
  REQUIRE(b.heard->outcomes.size() == 1);
  const auto& o = b.heard->outcomes[0];
  CHECK_FALSE(o.ok);
  CHECK(o.step == "lock");
  CHECK(o.subject == b.state().lock_marker);
  CHECK(o.error == "results.lock was deleted while run 1 worked; the run was stopped");
  CHECK(b.log.count("run 1 stopped without a verdict") == 1);
  CHECK(b.log.count("a new run starts") == 0);
  CHECK_FALSE(fs::exists(b.state().done_marker));
  CHECK_FALSE(fs::exists(b.state().err_marker));
  CHECK_FALSE(fs::exists(b.state().lock_marker));
}
