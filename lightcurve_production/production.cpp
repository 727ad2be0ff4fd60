// The light-curve production, declared once (production.hpp), bottom up:
// each node after the nodes it sends to, whose typed references it takes.
#include "lightcurve_production/production.hpp"

#include "actors/operations.hpp"
#include "actors/production.hpp"
#include "engine/polling_service.hpp"
#include "engine/runner.hpp"
#include "engine/worker_pool.hpp"
#include "actors/cluster.hpp"
#include "lightcurve_production/assemble_operation.hpp"
#include "lightcurve_production/remote_select.hpp"
#include "lightcurve_production/select_operation.hpp"

#include <optional>

namespace gaia {

engine::production lightcurve_production(const settings& s, const lightcurve_job& job,
                                         std::shared_ptr<retry_counter> retries) {
  engine::production prod("gaia-dr3-lightcurves");
  const download_settings dl = s.get<download_settings>();

  auto prepare = prod.operation<prepare_request, prepare_reply>(
    lc_node_id::prepare, "Prepare operation",
    "reads the archive's checksum list (_MD5SUM.txt): its files and their MD5s",
    [dl](engine::spawn_context& ctx) {
      return ctx.system().spawn<caf::detached>(prepare_operation, dl);
    },
    engine::fixed_pool(1));
  // One select worker per download slot: the same key, so the same size.
  auto select = prod.operation<lc_select_request, lc_select_reply>(
    lc_node_id::select, "Select operation",
    "fetches a file holding asked ids (or reads its kept copy) and spools the asked rows to "
    "parts/ as it streams (MD5, inflate, select in one pass)",
    [dl, retries](engine::spawn_context& ctx) {
      return ctx.system().spawn<caf::detached>(lc_select_operation, dl, ctx.runs(), retries);
    },
    engine::pool_setting{"download_pool_size", default_settings().download_pool_size});
  auto assemble = prod.operation<lc_assemble_request, lc_assemble_reply>(
    lc_node_id::assemble, "Assemble operation",
    "writes DataLink's tables of the parts into lightcurves.zip, and not_found.txt",
    [](engine::spawn_context& ctx) {
      return ctx.system().spawn<caf::detached>(lc_assemble_operation);
    },
    engine::fixed_pool(1));

  // Detached: sorting the id list and walking it against the files block.
  auto process = prod.process(
    lc_node_id::process, "Light-curve process",
    "sorts the ids, selects the files that hold them, one select job per file, then assembles",
    [cfg = process_settings_of(s), job, prepare, select, assemble](engine::spawn_context& ctx) {
      lightcurve_peers peers{ctx.peer(prepare), ctx.peer(select), ctx.peer(assemble)};
      return ctx.system().spawn<caf::detached>(lightcurve_process, cfg, job, peers, ctx.runs());
    });

  engine::service_config svc;
  svc.state = engine::state_dir(job.out_dir, job.name);
  svc.poll_interval = std::chrono::milliseconds(s.poll_interval_ms);
  auto service = prod.service(lc_node_id::service, "Polling service",
                              "polls the request's folder; starts a request when no marker "
                              "exists; writes lightcurves.done / lightcurves.err",
                              engine::polling_service(svc, process));

  prod.connect<engine::run_request>(service, process);
  prod.connect<prepare_request>(process, prepare);
  prod.connect<lc_select_request>(process, select);
  prod.connect<lc_assemble_request>(process, assemble);
  return prod;
}

engine::run_outcome run_lightcurves_once(const settings& s, const lightcurve_job& job,
                                         std::shared_ptr<engine::run_control> runs,
                                         bool remote_workers) {
  const bool listen = remote_workers && s.cluster.port != 0;
  caf::actor_system_config cfg;
  if (listen) configure_actor_system(cfg, s); // the middleman too
  else configure_actor_system(cfg);
  caf::actor_system sys{cfg};
  auto opts = spawn_options_of(s);
  opts.runs = runs ? runs : std::make_shared<engine::run_control>();
  // Remote workers (`gaia-dr3 worker`) join the select pool, as they join
  // `run`'s download pool.
  std::optional<coordinator> cluster; // after sys: it goes first
  if (listen) {
    cluster.emplace(sys, s.cluster, lc_remote_adapters());
    cluster->attach(opts);
  }
  return engine::run_once(sys, lightcurve_production(s, job), opts);
}

} // namespace gaia
