// The light-curve production (issue 20): declared once, as data, on the
// same engine as the variability run (actors/production.hpp), in its own
// files: a polling service over the job's folder, the light-curve process,
// actors/'s prepare operation (the archive's _MD5SUM.txt), the pooled
// select operation (one worker per download slot) and the assemble
// operation. Spawning, `gaia-dr3 graph`, the trace and the live views read
// this declaration.
#pragma once

#include "download/retry.hpp"
#include "engine/messages.hpp"
#include "engine/production.hpp"
#include "engine/run_control.hpp"
#include "lightcurve_production/lightcurve_process.hpp"
#include "settings/settings.hpp"

#include <memory>

namespace gaia {

/// The production answering `job` with these settings (the archive, the
/// download settings and pool, output_dir for kept downloads, traces and
/// working files). Its service's markers are <job.name>.lock, .done and
/// .err in job.out_dir.
engine::production lightcurve_production(const settings& s, const lightcurve_job& job,
                                         std::shared_ptr<retry_counter> retries = nullptr);

/// One request now (`gaia-dr3 lightcurves`, tests): an actor system with
/// the whole production, the service in run-once mode; returns when the
/// request has ended and every actor has stopped. `runs` (optional) lets
/// another thread cancel it (a signal). With `remote_workers` and
/// cluster.port set, it listens there and remote workers join its select
/// pool (lightcurve_production/remote_select.hpp); std::runtime_error when
/// the port cannot be listened on. (Not for serve's inbox: serve's own
/// coordinator holds that port.)
engine::run_outcome run_lightcurves_once(const settings& s, const lightcurve_job& job,
                                         std::shared_ptr<engine::run_control> runs = nullptr,
                                         bool remote_workers = false);

} // namespace gaia
