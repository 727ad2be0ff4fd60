// The polling service: a production's only source of runs (IoP's business
// service that starts the benchmark).
//
// Every poll_interval it looks at the state directory. When neither the
// done nor the err marker exists and it can take the run lock
// (engine/run_lock: the directory itself, and the lock marker), it re-reads
// the configuration, sets aside space for the verdict, sends the process a
// run_request and holds the lock until the run_outcome comes back; then it
// writes the verdict: the done marker (the outcome's summary), the err
// marker (step, subject, error), or none for a run stopped by a shutdown or
// by losing its lock marker. Deleting a marker is how users ask for a new
// run. While a run is in flight, every poll checks that the lock marker is
// still the run's own; deleted or replaced, the run is cancelled.
//
// In run-once mode (spawn_options::run_once) it starts at once, whatever
// the markers say, reports the outcome to the listener and stops.
#pragma once

#include "engine/interfaces.hpp"
#include "engine/messages.hpp"
#include "engine/production.hpp"
#include "engine/state/state_dir.hpp"

#include <caf/all.hpp>

#include <chrono>
#include <functional>
#include <string>

namespace engine {

/// The configuration as the application sees it before a run.
struct config_check {
  enum class state { unchanged, changed, invalid };
  state what = state::unchanged;
  std::string error; ///< invalid: one line naming the key
};

struct service_config {
  state_dir state{"."};
  caf::timespan poll_interval = std::chrono::seconds(1);
  /// Called before each run, holding the lock. `changed`: the service tells
  /// the listener (config_changed_atom) and stops, to be respawned with it;
  /// `invalid`: the err marker says "config failed: <config_name>" and the
  /// error. Also called at every other poll (idle, backing off, during a
  /// run), where its answer is ignored: a change waits for the next run,
  /// nothing is logged or written, but the application hears at once of a
  /// config that stops loading (readiness). Empty: never checked.
  std::function<config_check()> check_config;
  std::string config_name;
};

/// The spawner of a service that runs the production's node `process`.
spawner polling_service(service_config cfg, node_ref<process_actor> process);

} // namespace engine
