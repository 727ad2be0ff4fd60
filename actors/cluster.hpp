// The Gaia production over several machines (engine/cluster.hpp does the
// networking): which pools take remote workers (download and import; the
// light curves' select pool adds its own, lightcurve_production/remote_select.hpp), the
// stand-ins that forward their jobs and store the checkpoints the workers
// ship back, and the worker process (`gaia-dr3 worker`).
//
//   coordinator                                   worker machine
//   download pool ─► stand-in ──download_request──► shipper ─► download op
//                    stand-in ◄─shipped_download─── shipper ◄─ (checkpoint
//                    validated, written to aggregates/         in its scratch
//                    under a temporary name, renamed)          output_dir)
//
// Compute and export stay on the coordinator.
#pragma once

#include "actors/interfaces.hpp"
#include "engine/cluster.hpp"
#include "engine/runner.hpp"
#include "engine/spawn.hpp"
#include "messages/messages.hpp"
#include "settings/settings.hpp"

#include <any>
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

namespace gaia {

/// What a worker must share with its coordinator: "gaia-dr3 <version>
/// (messages <digest of the message types>)". GAIA_CLUSTER_VERSION
/// overrides it (tests of a refused version).
std::string cluster_version();

/// The network settings of `c` (TLS files, app id, timeouts).
engine::cluster_net cluster_net_of(const cluster_settings& c);

/// The download and import pools' remote adapters, by node id.
std::map<std::string, std::any> remote_adapters();

/// The coordinator's side of a cluster in serve, run or lightcurves: the
/// acceptor, published on cluster.listen:cluster.port when that is set.
class coordinator {
public:
  /// Publishes, or throws std::runtime_error saying why it cannot. Workers
  /// may join the pools `adapters` names (by node id; another production's,
  /// such as the light curves' select pool, adds its own), running or not.
  coordinator(caf::actor_system& sys, const cluster_settings& c,
              std::map<std::string, std::any> adapters = remote_adapters());
  ~coordinator();
  /// Lets remote workers join the pools of productions spawned with `opts`.
  void attach(engine::spawn_options& opts);
  uint16_t port() const { return port_; }

private:
  std::shared_ptr<engine::cluster_pools> pools_;
  std::map<std::string, std::any> adapters_;
  std::vector<std::string> names_; ///< adapters_' keys
  engine::acceptor_actor acceptor_;
  uint16_t port_ = 0;
};

/// One worker actor of `gaia-dr3 worker` (its handle and interface), the
/// pool it joins and its name ("w1/download1").
struct worker_slot {
  std::string pool;
  engine::remote_worker worker;
  std::string name;
};

/// More workers of `gaia-dr3 worker` than the download and import ones
/// (another production's pools): `make` spawns them for one connection,
/// given its run control and the worker's name; `what` says them in the
/// log ("2 lc_select").
struct worker_slots {
  std::string what;
  std::function<std::vector<worker_slot>(caf::actor_system&,
                                         const std::shared_ptr<engine::run_control>&,
                                         const std::string& name)>
    make;
};

/// `gaia-dr3 worker`: joins the coordinator's pools (the cluster settings)
/// with download_pool_size download and import_pool_size import workers
/// (each given its group; its own paths under output_dir) and the `more`
/// ones, reconnecting with back-off until a signal arrives (`signals` is
/// started here; construct it before anything spawns threads). Returns the
/// exit code (2: refused for good).
int run_worker(const settings& s, engine::signal_waiter& signals,
               const std::vector<worker_slots>& more = {});

} // namespace gaia
