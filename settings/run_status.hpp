// What `gaia-dr3 status` reads: the markers, a progress file the process
// rewrites at each step, and the service's heartbeat. All small files,
// written atomically, best effort (a status write never fails a run).
#pragma once

#include "settings/output_layout.hpp"

#include <cstdint>
#include <optional>
#include <string>

namespace gaia {

/// Where the current (or last) run is.
struct run_progress {
  uint64_t run_id = 0;
  long pid = 0;
  std::string step;        ///< "download+import", "compute", "export", "done", "failed"
  uint64_t files = 0;
  uint64_t downloaded = 0;
  uint64_t imported = 0;
  int64_t started_unix = 0;
  int64_t updated_unix = 0;
};

/// output_dir/progress.json, atomically; errors are swallowed.
void write_progress(const output_layout& layout, const run_progress& p);
std::optional<run_progress> read_progress(const output_layout& layout);

/// output_dir/service.heartbeat: the serving process's pid and the time.
/// False when it could not be written (no directory yet, disk full).
bool write_heartbeat(const output_layout& layout);
/// Seconds since the last heartbeat and its pid, if there is one.
std::optional<std::pair<int64_t, long>> heartbeat_age(const output_layout& layout);

/// True when a run holds the output directory right now (engine/run_lock),
/// with or without its results.lock; `holder` then gets who, as
/// results.lock says ("pid 12 on host h", "pid unknown"). Probes with
/// shared locks released at once.
bool run_in_progress(const output_layout& layout, std::string* holder);

/// Removes temporary files a killed process may have left ("*.tmp.<pid>"
/// of atomic writes) in the output directory tree, except those of live
/// processes. Returns how many were removed.
int remove_stale_temporaries(const output_layout& layout);

} // namespace gaia
