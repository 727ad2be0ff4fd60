// Running a production from a command: one run now (`run`), or the
// unattended loop (`serve`) that respawns the production when its
// configuration changes; and the signals that stop either cleanly.
#pragma once

#include "engine/messages.hpp"
#include "engine/production.hpp"
#include "engine/run_control.hpp"
#include "engine/spawn.hpp"

#include <caf/all.hpp>

#include <atomic>
#include <csignal>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <thread>

namespace engine {

/// Turns SIGINT/SIGTERM into ordinary code: the constructor blocks them in
/// every thread (CAF's included, so construct it before the actor system);
/// after start(), a thread of its own waits for one with sigwait, logs it,
/// cancels every run of `runs` and calls `on_signal`. stop() ends the wait
/// when no signal came.
class signal_waiter {
public:
  signal_waiter();
  ~signal_waiter(); ///< stop()
  signal_waiter(const signal_waiter&) = delete;
  signal_waiter& operator=(const signal_waiter&) = delete;

  /// `action` ends the log line "received <signal>, <action>".
  void start(std::string action, std::shared_ptr<run_control> runs,
             std::function<void()> on_signal);
  /// Wakes the thread without a signal (internal SIGUSR1) and joins it.
  void stop();
  /// True when a signal arrived.
  bool signalled() const { return signalled_; }

private:
  sigset_t set_;
  std::atomic<bool> signalled_{false};
  std::thread thread_;
};

/// Spawns `prod` with its service in run-once mode and waits until the run
/// has ended and every actor has stopped. opts.runs->cancel_all() from
/// another thread (a signal) ends it early, without a verdict.
run_outcome run_once(caf::actor_system& sys, const production& prod,
                     spawn_options opts);

/// What serve() runs: a production and how to spawn it.
struct serve_plan {
  production prod;
  spawn_options opts;
};

/// The unattended loop. `load` reads the configuration and declares the
/// production; for a configuration that does not load it reports that
/// itself and returns nothing, and is asked again every `retry` until it
/// does. The service saying config_changed respawns through `load`; a
/// service that stops is respawned after a second. Ends when `self`
/// receives shutdown_atom (a signal_waiter sends it). opts.listener and
/// opts.runs are filled in by serve().
void serve(caf::actor_system& sys, caf::scoped_actor& self,
           std::shared_ptr<run_control> runs,
           const std::function<std::optional<serve_plan>()>& load,
           caf::timespan retry);

} // namespace engine
