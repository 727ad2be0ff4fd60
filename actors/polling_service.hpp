// The polling service: the production's only source of runs.
//
// Every poll_interval_ms it looks at output_dir. When neither results.done
// nor results.err exists and it can take the run lock (engine/run_lock:
// output_dir itself, and results.lock), it sends the process a
// benchmark_request and holds the lock until the reply. Deleting a marker
// is how users ask for a new run. In run-once mode (`gaia-dr3 run`) it
// starts at once whatever the markers say, and reports to a listener.
// While a run is in flight, every poll checks that results.lock is still
// the run's own; deleted or replaced, the run is stopped without a verdict.
#pragma once

#include "settings/settings.hpp"

#include <caf/all.hpp>

namespace gaia {

struct service_options {
  bool run_once = false;   ///< one run now, then report and stop
  /// run-once: receives the run_outcome; serving: config_changed_atom.
  caf::actor listener;
  /// Serving: re-read before each run. A changed valid config makes the
  /// service tell the listener and stop (the production is respawned with
  /// it); an invalid one is reported in results.err. Empty: never re-read.
  std::string config_path;
};

caf::behavior polling_service(caf::event_based_actor* self, settings cfg,
                              caf::actor process, service_options opts);

} // namespace gaia
