// The behaviors of the operations (IoP's business operations). Each wraps
// plain domain code (archive/, download/, results/) and turns its
// exceptions into caf::errors at the handler boundary (error_from). All of
// them block (curl, inflate, file I/O), so they are spawned detached.
#pragma once

#include "actors/interfaces.hpp"
#include "download/downloader.hpp"
#include "engine/run_control.hpp"
#include "settings/settings.hpp"

#include <memory>

namespace gaia {

/// The prepare operation's state: its settings (the transfer's timeouts and
/// retries) and curl handle.
struct prepare_state {
  download_settings cfg;
  downloader dl;
  static inline const char* name = "prepare_operation";
};

/// Reads the run's checksum list once (prepare_request -> prepare_reply).
prepare_actor::behavior_type
prepare_operation(prepare_actor::stateful_pointer<prepare_state> self, download_settings cfg);

/// A download worker's state: its settings, its curl handle (reused, so
/// connections to the same host are kept alive), the runs it serves, where
/// its retries are counted (none: not counted).
struct download_state {
  download_settings cfg;
  downloader dl;
  std::shared_ptr<engine::run_control> runs;
  std::shared_ptr<retry_counter> retries;
  static inline const char* name = "download_operation";
};

/// Fetches archive files and imports them as they stream in
/// (download_request -> download_reply); a cancelled run's transfer stops
/// at its next progress tick; each retry is counted by cause in `retries`.
download_worker_actor::behavior_type
download_operation(download_worker_actor::stateful_pointer<download_state> self,
                   download_settings cfg,
                   std::shared_ptr<engine::run_control> runs,
                   std::shared_ptr<retry_counter> retries);

/// An import worker's state: its settings (a local file is read with the
/// transfer options of the download settings: limits, cancellation), the
/// runs it serves.
struct import_state {
  download_settings cfg;
  std::shared_ptr<engine::run_control> runs;
  static inline const char* name = "import_operation";
};

/// Reduces local archive files to checkpoints (import_request ->
/// import_reply).
import_worker_actor::behavior_type
import_operation(import_worker_actor::stateful_pointer<import_state> self, download_settings cfg,
                 std::shared_ptr<engine::run_control> runs);

/// Merges checkpoints (compute_request -> compute_reply).
compute_actor::behavior_type compute_operation(compute_actor::pointer self);

} // namespace gaia
