#include "settings/cancellation.hpp"

#include <atomic>
#include <limits>

namespace gaia {

namespace {
std::atomic<uint64_t> cancelled_through{0};
std::atomic<bool> shutdown{false};
std::atomic<uint64_t> abandoned_through{0};
std::atomic<uint64_t> last_run_id{0};
} // namespace

uint64_t next_run_id() { return ++last_run_id; }

void cancel_runs_through(uint64_t run_id) {
  uint64_t cur = cancelled_through.load();
  while (cur < run_id && !cancelled_through.compare_exchange_weak(cur, run_id)) {
  }
}

void cancel_all_runs() {
  shutdown = true;
  cancelled_through = std::numeric_limits<uint64_t>::max();
}

bool run_cancelled(uint64_t run_id) { return run_id <= cancelled_through; }

bool shutting_down() { return shutdown; }

void abandon_run(uint64_t run_id) {
  uint64_t cur = abandoned_through.load();
  while (cur < run_id && !abandoned_through.compare_exchange_weak(cur, run_id)) {
  }
  cancel_runs_through(run_id);
}

bool run_abandoned(uint64_t run_id) {
  return shutting_down() || run_id <= abandoned_through;
}

} // namespace gaia
