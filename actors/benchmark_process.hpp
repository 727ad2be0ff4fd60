// The benchmark process: orchestrates one run.
//
//   benchmark_request
//     -> prepare (directories; remove old results.csv and markers)
//     -> one download_request per file          (download pool)
//          each reply at once -> import_request (import pool: pipelined)
//          a corrupt file -> downloaded again once, then imported again
//     -> all imports done -> compute_request -> export_request
//     -> results.done, reply run_outcome
//   any failure -> cancel the run's other jobs, results.err (step, file,
//   error), reply run_outcome{ok = false}
//   a run abandoned (lost results.lock) or cut short by a shutdown -> no
//   marker at all, reply run_outcome{ok = false}
// results.done and results.err are written by output_layout::write_verdict,
// which removes the other first: the two never exist together.
#pragma once

#include "settings/settings.hpp"

#include <caf/all.hpp>

namespace gaia {

struct process_peers {
  caf::actor download_pool;
  caf::actor import_pool;
  caf::actor compute;
  caf::actor exporter;
};

caf::behavior benchmark_process(caf::event_based_actor* self, settings cfg,
                                process_peers peers);

} // namespace gaia
