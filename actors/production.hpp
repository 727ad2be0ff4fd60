// The Gaia production: declared once, as data, in production.cpp; spawning,
// `gaia-dr3 graph` and the README's graph all read that declaration.
#pragma once

#include "engine/messages.hpp"
#include "engine/observe/trace_store.hpp"
#include "engine/production.hpp"
#include "engine/spawn.hpp"
#include "download/retry.hpp"
#include "settings/settings.hpp"

#include <caf/all.hpp>

#include <functional>
#include <string>

namespace gaia {

/// The production's node ids, declared once: the declaration, the
/// cluster's pools and the worker's slot names use these; logs, traces,
/// metrics and the graph show them.
namespace node_id {
inline constexpr char service[] = "service";
inline constexpr char process[] = "process";
inline constexpr char prepare[] = "prepare";
inline constexpr char download[] = "download";
inline constexpr char import[] = "import";
inline constexpr char compute[] = "compute";
inline constexpr char exporter[] = "export";
} // namespace node_id

/// What the config file holds now, each time the service re-reads it: ""
/// when it loads, else the error (naming the key). serve's readiness.
using config_report = std::function<void(const std::string& error)>;

/// The production for these settings. `config_path` (when given) is
/// re-read by the service before each run and at every poll between: a
/// changed config respawns the production before the next run, an invalid
/// one is reported in results.err when a run is due; each reading goes to
/// `report` (when given), so an invalid config is known at once. The
/// download workers count their retries by cause in `retries` (when
/// given: serve's /metrics).
engine::production gaia_production(const settings& s, const std::string& config_path = "",
                                   config_report report = nullptr,
                                   std::shared_ptr<retry_counter> retries = nullptr);

/// How to spawn it: pool sizes from the settings, request_timeout_s as the
/// time limit of one job, each run's trace kept in output_dir/trace.
engine::spawn_options spawn_options_of(const settings& s);

/// The trace of each run in output_dir/trace, within trace_keep_runs and
/// trace_max_bytes; none when trace_keep_runs is 0.
std::shared_ptr<engine::trace_store> trace_store_of(const settings& s);

/// The pool sizes the settings give (download_pool_size,
/// import_pool_size), for spawning, `gaia-dr3 graph` and the live page.
engine::pool_sizes pool_sizes_of(const settings& s);

/// Adds the production's message types and scheduler settings to `cfg`.
void configure_actor_system(caf::actor_system_config& cfg);

/// The same, and the middleman when `s` has a cluster.port (remote workers
/// join; actors/cluster.hpp).
void configure_actor_system(caf::actor_system_config& cfg, const settings& s);

/// One run now (`gaia-dr3 run`, tests): an actor system with the whole
/// production, the service in run-once mode; returns when the run has
/// ended and every actor has stopped. `runs` (optional) lets another
/// thread cancel it (a signal). With cluster.port set, remote workers join
/// its pools; a port that cannot be bound throws std::runtime_error.
engine::run_outcome run_production_once(const settings& s,
                                        std::shared_ptr<engine::run_control> runs = nullptr);

} // namespace gaia
