// Cancelling a run's in-flight work. Runs have increasing ids; when one run
// fails, loses its lock, or the service is told to stop, every job of it and
// of earlier runs is abandoned: queued jobs are skipped, transfers abort at
// their next progress callback. Plain atomics, readable from any worker
// thread.
#pragma once

#include <cstdint>

namespace gaia {

/// A new run id, unique and increasing within this process (several
/// productions may live in one process, e.g. in tests).
uint64_t next_run_id();
/// Cancels run `run_id` and every earlier one.
void cancel_runs_through(uint64_t run_id);
/// Cancels everything, for good (SIGTERM/SIGINT).
void cancel_all_runs();
/// True when `run_id`'s work should stop.
bool run_cancelled(uint64_t run_id);
/// True after cancel_all_runs().
bool shutting_down();
/// Cancels run `run_id` (and earlier ones) to be ended without a verdict,
/// as on a shutdown: it lost its results.lock.
void abandon_run(uint64_t run_id);
/// True when `run_id` must end without a verdict: abandoned, or shutting
/// down.
bool run_abandoned(uint64_t run_id);

} // namespace gaia
