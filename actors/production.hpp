// Spawns the production exactly as actors/topology.cpp declares it.
#pragma once

#include "actors/polling_service.hpp"
#include "settings/settings.hpp"

#include <caf/all.hpp>

#include <map>
#include <string>

namespace gaia {

/// The running actors, by topology node id.
struct production {
  std::map<std::string, caf::actor> actors;

  const caf::actor& service() const { return actors.at("service"); }
  /// Sends every actor an exit (user_shutdown).
  void shutdown() const;
};

/// Spawns every node of the topology, giving each exactly the peers its
/// declared edges name. Throws std::logic_error when the declaration and
/// the spawners disagree (a node without spawner or an undeclared edge).
production spawn_production(caf::actor_system& sys, const settings& cfg,
                            const service_options& opts);

struct run_outcome;

/// Adds the production's message types and scheduler settings to `cfg`.
void configure_actor_system(caf::actor_system_config& cfg);

/// One run now (`gaia-dr3 run`): an actor system with the whole production,
/// the service in run-once mode; returns when the run has ended and every
/// actor has stopped. cancel_all_runs() from another thread ends it early.
run_outcome run_production_once(const settings& cfg);

} // namespace gaia
