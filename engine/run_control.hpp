// Run ids and per-run cancellation of one production. Every actor of the
// production shares one run_control (handed out by the spawner), so two
// productions in one process (tests, a respawn after a config change) never
// see each other's runs, and nothing here is process-wide.
//
// Blocking work (a transfer, an inflate) cannot read its mailbox while it
// runs, so a cancelled run is also a flag such work polls: cancelled(run).
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>
#include <set>

namespace engine {

class run_control {
public:
  /// A new run id, increasing within this production, starting above
  /// `after` on the first call (the last id a state directory recorded).
  uint64_t next_run_id(uint64_t after = 0) {
    std::lock_guard<std::mutex> lock(mu_);
    last_ = std::max(last_, after) + 1;
    return last_;
  }

  /// Cancels one run: its queued jobs are dropped, its running ones stop at
  /// their next check.
  void cancel(uint64_t run) {
    std::lock_guard<std::mutex> lock(mu_);
    cancelled_.insert(run);
    // Runs end; remember only the recent ones.
    while (cancelled_.size() > 64) cancelled_.erase(cancelled_.begin());
  }

  /// Cancels every run, for good (SIGTERM/SIGINT).
  void cancel_all() { shutdown_ = true; }

  /// True when `run`'s work should stop.
  bool cancelled(uint64_t run) const {
    if (shutdown_) return true;
    std::lock_guard<std::mutex> lock(mu_);
    return cancelled_.count(run) > 0;
  }

  /// True after cancel_all(): runs end without a verdict.
  bool shutting_down() const { return shutdown_; }

private:
  mutable std::mutex mu_;
  uint64_t last_ = 0;
  std::set<uint64_t> cancelled_;
  std::atomic<bool> shutdown_{false};
};

} // namespace engine
