// The engine's polling service, driven deterministically (CAF's test
// coordinator: time moves only when the test says so) against a stand-in
// process: the back-off after attempts that leave no marker, and the
// verdicts it writes from a run's outcome.
#include "engine/log.hpp"
#include "engine/polling_service.hpp"
#include "engine/production.hpp"
#include "engine/spawn.hpp"

#include "tests/engine_fixture.hpp"
#include "tests/test_util.hpp"

#include <doctest/doctest.h>

#include <filesystem>
#include <mutex>
#include <string>
#include <vector>

using namespace std::chrono_literals;
namespace fs = std::filesystem;

namespace {

/// What the stand-in process saw, and how it answers.
struct script {
  int runs = 0;
  bool ok = true;
};

engine::process_actor::behavior_type stand_in(engine::process_actor::pointer,
                                              std::shared_ptr<script> s) {
  return {
    [s](const engine::run_request& req) -> caf::result<engine::run_outcome> {
      ++s->runs;
      engine::run_outcome o;
      o.run_id = req.run_id;
      o.ok = s->ok;
      if (o.ok)
        o.summary = {"ok: all fine"};
      else {
        o.step = "step";
        o.subject = "the/file";
        o.error = "it broke";
      }
      return o;
    },
    [](engine::cancel_atom, uint64_t) {},
  };
}

/// Log lines of the service, as they come.
struct log_capture {
  std::mutex mu;
  std::vector<std::string> lines;
  int id;
  log_capture() {
    engine::set_log_quiet(true);
    id = engine::add_log_listener([this](const std::string& who, const std::string& text) {
      std::lock_guard<std::mutex> lock(mu);
      if (who == "service") lines.push_back(text);
    });
  }
  ~log_capture() {
    engine::remove_log_listener(id);
    engine::set_log_quiet(false);
  }
  int count(const std::string& needle) {
    std::lock_guard<std::mutex> lock(mu);
    int n = 0;
    for (const auto& l : lines) n += l.find(needle) != std::string::npos;
    return n;
  }
};

engine::running_production spawn_service(gaia::test::deterministic_system& d,
                                         const engine::state_dir& state,
                                         std::shared_ptr<script> s) {
  engine::production prod("test");
  engine::service_config svc;
  svc.state = state;
  svc.poll_interval = std::chrono::seconds(1);
  auto process = prod.process("process", "Stand-in process", "",
                              [s](engine::spawn_context& ctx) {
                                return ctx.system().spawn(stand_in, s);
                              });
  auto service = prod.service("service", "Polling service", "",
                              engine::polling_service(svc, process));
  prod.connect<engine::run_request>(service, process);
  return engine::spawn(*d.sys, prod);
}

} // namespace

TEST_CASE("engine service: an attempt that leaves no marker backs off 5, 10, "
          "20, 40 s, and a run that can start resets it") {
  gaia::test::temp_dir dir;
  log_capture log;
  gaia::test::deterministic_system d;
  // A regular file where the state directory's parent should be: nothing
  // can be created there, not even an err marker.
  gaia::test::write_file(dir / "blocker", "in the way\n");
  engine::state_dir state((dir / "blocker" / "out").string());
  auto s = std::make_shared<script>();
  auto running = spawn_service(d, state, s);
  d.run();
  CHECK(log.count("next attempt in 5 s") == 1);
  auto advance = [&](int seconds) {
    for (int i = 0; i < seconds; ++i) d.advance(1s);
  };
  advance(4);
  CHECK(log.count("next attempt in 10 s") == 0); // not yet: 4 s after
  advance(1);
  CHECK(log.count("next attempt in 10 s") == 1); // 5 s after the first
  advance(9);
  CHECK(log.count("next attempt in 20 s") == 0);
  advance(1);
  CHECK(log.count("next attempt in 20 s") == 1);
  advance(20);
  CHECK(log.count("next attempt in 40 s") == 1);
  CHECK(s->runs == 0);
  // The condition clears; the next attempt (40 s on) runs, and succeeds.
  fs::remove(dir / "blocker");
  advance(39);
  CHECK(s->runs == 0);
  advance(1);
  CHECK(s->runs == 1);
  CHECK(gaia::test::read_file(state.done_marker).rfind("ok: all fine\nrun 1 finished ", 0) == 0);
  CHECK(log.count("next attempt in 80 s") == 0);
  running.shutdown();
  d.run();
}

TEST_CASE("engine service: the verdict comes from the outcome, and deleting it "
          "asks for the next run") {
  gaia::test::temp_dir dir;
  log_capture log;
  gaia::test::deterministic_system d;
  engine::state_dir state((dir / "out").string());
  auto s = std::make_shared<script>();
  s->ok = false;
  auto running = spawn_service(d, state, s);
  d.run();
  CHECK(s->runs == 1);
  auto err = gaia::test::read_file(state.err_marker);
  CHECK(err.rfind("step failed: the/file\nit broke\nrun 1 failed ", 0) == 0);
  CHECK_FALSE(fs::exists(state.done_marker));
  CHECK_FALSE(fs::exists(state.lock_marker));
  d.advance(3s);
  CHECK(s->runs == 1); // a marker: nothing to do
  s->ok = true;
  fs::remove(state.err_marker);
  d.advance(1s);
  CHECK(s->runs == 2);
  CHECK(fs::exists(state.done_marker));
  CHECK_FALSE(fs::exists(state.err_marker));
  running.shutdown();
  d.run();
}
