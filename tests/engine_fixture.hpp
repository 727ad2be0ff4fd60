// Deterministic actor tests: an actor system on CAF's test_coordinator (no
// threads, no sleeps; time moves only when a test says so), and an
// event-based client that sends requests and keeps what comes back.
#pragma once

#include "engine/messages.hpp"

#include <caf/all.hpp>

#include <functional>
#include <memory>

namespace gaia::test {

struct deterministic_system {
  caf::actor_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;
  caf::scheduler::test_coordinator* sched = nullptr;

  /// `configure` adds message types before the system starts.
  explicit deterministic_system(
    const std::function<void(caf::actor_system_config&)>& configure = nullptr) {
    cfg.set("scheduler.policy", caf::atom("testing"));
    cfg.set("logger.verbosity", caf::atom("quiet"));
    engine::register_engine_messages(cfg);
    if (configure) configure(cfg);
    sys = std::make_unique<caf::actor_system>(cfg);
    sched = &dynamic_cast<caf::scheduler::test_coordinator&>(sys->scheduler());
  }

  /// Runs every job that can run now.
  void run() { sched->run(); }
  /// Moves the clock, fires the timeouts that fall due, runs what follows.
  void advance(caf::timespan d) {
    sched->advance_time(d);
    run();
  }
};

} // namespace gaia::test
