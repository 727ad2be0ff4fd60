// worker: joins a coordinator's download and import pools, and the light
// curves' select pool, from another machine (actors/cluster.hpp,
// lightcurve_production/remote_select.hpp), until SIGINT/SIGTERM.
#include "cli/commands.hpp"

#include "cli/config_option.hpp"

#include "actors/cluster.hpp"
#include "engine/runner.hpp"
#include "lightcurve_production/remote_select.hpp"

#include <cstdio>
#include <memory>

namespace gaia::cli {

namespace {

int worker(const config_option& config) {
  engine::signal_waiter signals; // before any thread: they inherit the mask
  auto s = load_or_report(config);
  if (!s) return 2;
  if (s->cluster.coordinator_port == 0) {
    std::fprintf(stderr, "gaia-dr3 worker: config error: %s: cluster.coordinator_port: "
                         "not set (the coordinator's cluster.port)\n",
                 config.path.c_str());
    return 2;
  }
  return run_worker(*s, signals, {lc_select_slots(*s)});
}

} // namespace

void add_worker(CLI::App& app, command_list& out) {
  auto config = std::make_shared<config_option>();
  auto* cmd = app.add_subcommand(
    "worker",
    "Works for a coordinator on another machine (or this one): joins its download "
    "and import pools with download_pool_size and import_pool_size workers, "
    "downloads and imports the files it is given itself and ships their "
    "checkpoints back; and, with download_pool_size more, the select pool of "
    "light-curve requests (`lightcurves`), shipping back the rows it selected. Connects to cluster.coordinator_host:cluster.coordinator_port "
    "over mutual TLS (cluster.certificate, cluster.key, cluster.cafile) or, without "
    "them, over loopback only; reconnects with back-off when the coordinator goes. "
    "output_dir is its scratch directory. Stops on SIGTERM/SIGINT; exit 2 when "
    "refused for good (another version).");
  config->add_to(cmd);
  out.push_back({cmd, [config] { return worker(*config); }});
}

} // namespace gaia::cli
