// How often the processes rewrite progress.json (actors/process_run.hpp's
// progress_pace, shared by the variability and the light-curve process):
// every change of step is written, within a step at most one write a
// second. Driven with explicit time points: nothing waits.
#include "actors/process_run.hpp"

#include <doctest/doctest.h>

using namespace gaia;
using namespace std::chrono_literals;

TEST_CASE("progress pace: each step's first report and every change of step are written, within "
          "a step one a second, so 3,386 files give a few writes, not 3,386") {
  progress_pace pace;
  const auto t0 = std::chrono::steady_clock::time_point{} + 1000s;
  const run_step select{"select"}, assemble{"assemble"};
  CHECK(pace.due(run_steps::prepare, t0));
  CHECK(pace.due(select, t0)); // a new step, in the same instant
  // 3,386 files in 60 s, one report each: a write once a full second has
  // passed since the last (59: each lands a little past its second).
  int written = 0;
  for (int i = 1; i <= 3386; ++i)
    written += pace.due(select, t0 + std::chrono::microseconds(int64_t{60'000'000} * i / 3386));
  CHECK(written == 59);
  // The step after the last file is written at once, whatever the time:
  // it carries the select step's last counts.
  CHECK(pace.due(assemble, t0 + 60s + 1ms));
  CHECK_FALSE(pace.due(assemble, t0 + 60s + 2ms));
  CHECK(pace.due(run_steps::done, t0 + 60s + 3ms));
  // A step's name decides, not its object: the same step again is not a change.
  CHECK_FALSE(pace.due(run_step{"done"}, t0 + 60s + 4ms));
  CHECK(pace.due(run_step{"done"}, t0 + 61s + 3ms));
}
