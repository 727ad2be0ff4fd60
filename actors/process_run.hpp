// What the productions' processes (the benchmark process, the light-curve
// process) share about their one run in flight: how a failed run's
// outcome reads, when a run counts as stopped, and their behavior (a run
// request starts a run, the service's cancel ends it). Each process keeps its own run state; these need of it
// `id`, `finished`, `started` and `outcome`, and of the actor's state
// `runs` (the run control) and `run` (the run in flight). Also how often
// they rewrite progress.json (progress_pace).
#pragma once

#include "actors/run_steps.hpp"
#include "engine/log.hpp"
#include "engine/interfaces.hpp"
#include "engine/messages.hpp"

#include <chrono>
#include <optional>
#include <string>

namespace gaia {

/// When a process rewrites progress.json for `gaia-dr3 status`: at every
/// change of step (so each step's last state is written: the next step's
/// first write carries it, and done/failed are steps), and otherwise at
/// most once a second. With thousands of files, a write per file would be
/// a file creation per file (progress.json goes via a temporary name).
class progress_pace {
public:
  /// Whether to write `step`'s progress now; a yes counts as written.
  bool due(run_step step,
           std::chrono::steady_clock::time_point now = std::chrono::steady_clock::now()) {
    if (step_ && *step_ == step && now - last_ < std::chrono::seconds(1)) return false;
    step_ = step;
    last_ = now;
    return true;
  }

private:
  std::optional<run_step> step_; ///< the last step written
  std::chrono::steady_clock::time_point last_;
};

/// Fills a failed run's outcome. `abandoned`: no verdict (stopped from
/// outside, or shutting down): the service writes no marker.
template <class Run>
void set_failure(Run& run, run_step step, const std::string& subject, const std::string& error,
                 bool abandoned) {
  auto& o = run.outcome;
  o.ok = false;
  o.step = step.name;
  o.subject = subject;
  o.error = error;
  o.seconds = engine::seconds_since(run.started);
  o.abandoned = abandoned;
}

/// True when the run is over or was cancelled meanwhile: nothing more is
/// started for it. A run cancelled while not finished here was cancelled
/// from outside (a process finishes a run before it cancels the rest):
/// `cancelled_from_outside()` ends it.
template <class Self, class Run, class Fail>
bool run_stopped(Self self, const Run& run, Fail cancelled_from_outside) {
  if (run->finished) return true;
  if (self->state.runs->cancelled(run->id)) {
    cancelled_from_outside();
    return true;
  }
  return false;
}

/// A process's handler of (cancel, run) from the service: the run in
/// flight, if it is that one, is cancelled and `cancel_run(run)` ends it.
template <class Self, class Fail>
auto cancel_handler(Self self, Fail cancel_run) {
  return [self, cancel_run](engine::cancel_atom, uint64_t run_id) {
    auto run = self->state.run;
    if (run && run->id == run_id) {
      self->state.runs->cancel(run_id);
      cancel_run(run);
    }
  };
}

/// A process's behavior: a run_request starts a run (`start(self, req)`),
/// the service's cancel ends the run in flight (`cancelled(self, run)`).
template <class Self, class Start, class Cancelled>
engine::process_actor::behavior_type process_behavior(Self self, Start start,
                                                      Cancelled cancelled) {
  return {
    [self, start](const engine::run_request& req) -> caf::result<engine::run_outcome> {
      return start(self, req);
    },
    cancel_handler(self, [self, cancelled](const auto& run) { cancelled(self, run); }),
  };
}

} // namespace gaia
