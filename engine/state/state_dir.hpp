// The directory through which a production's service and its users talk,
// as in the IoP reference: marker files (<stem>.lock while a run works,
// <stem>.done or <stem>.err after it), the service's heartbeat, the current
// run's progress, and the space a run sets aside so its verdict can always
// be written.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace engine {

/// How a run ended, as its marker says.
enum class verdict { done, failed };

/// Where the current (or last) run is: written by the production's
/// process as it goes, read by `status` and live views.
struct run_progress {
  uint64_t run_id = 0;
  long pid = 0;
  std::string step;                       ///< what the run is doing now
  std::map<std::string, uint64_t> counts; ///< named progress counts
  int64_t started_unix = 0;
  int64_t updated_unix = 0;

  uint64_t count(const std::string& name) const {
    auto i = counts.find(name);
    return i == counts.end() ? 0 : i->second;
  }
};

struct state_dir {
  /// `stem` names the markers: "results" gives results.lock, .done, .err.
  explicit state_dir(std::string dir, const std::string& stem = "results");

  std::string dir;
  std::string lock_marker; ///< a run holds it (engine/run_lock)
  std::string done_marker; ///< the last run succeeded
  std::string err_marker;  ///< the last run failed, and why

  std::string reserve_path() const;   ///< ".reserve"
  std::string heartbeat_path() const; ///< "service.heartbeat"
  std::string progress_path() const;  ///< "progress.json"

  /// True when the done or the err marker exists: nothing to do until a
  /// user deletes it.
  bool has_outcome_marker() const;
  /// Writes the done or err marker (durably, atomically) after removing the
  /// other one, so the two never exist together; gives back the reserved
  /// space first, so it fits on a full disk. Every writer holds the run
  /// lock. Throws output_error naming the file.
  void write_verdict(verdict v, const std::string& text) const;

  /// Sets aside space for the verdict (see reserve_space); false when the
  /// disk is already too full.
  bool reserve() const;

  /// Pid and time of the serving process. False when it cannot be
  /// written (no directory yet, disk full).
  bool write_heartbeat() const;
  /// Seconds since the last heartbeat and its pid, if there is one.
  std::optional<std::pair<int64_t, long>> heartbeat_age() const;

  /// progress.json, atomically; errors are swallowed (a status write never
  /// fails a run).
  void write_progress(const run_progress& p) const;
  std::optional<run_progress> read_progress() const;

  /// True when a run holds the directory right now (engine/run_lock), with
  /// or without its lock marker; `holder` then gets who, as the marker
  /// says ("pid 12 on host h", "pid unknown").
  bool run_in_progress(std::string* holder) const;

  /// Removes temporary files a killed process may have left ("*.tmp.<pid>"
  /// of atomic writes) in the directory and in `subdirs` of it, except
  /// those of live processes. Returns how many were removed.
  int remove_stale_temporaries(const std::vector<std::string>& subdirs) const;
};

} // namespace engine
