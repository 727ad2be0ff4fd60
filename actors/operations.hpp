// Behaviors of the operation workers. Each wraps plain domain code (archive/, download/, results/) and
// turns its exceptions into gaia errors at the handler boundary. All of them
// block (curl, inflate, file I/O), so they are spawned detached.
#pragma once

#include "settings/settings.hpp"

#include <caf/all.hpp>

namespace gaia {

/// Fetches archive files (download_request -> download_reply).
caf::behavior download_worker(caf::event_based_actor* self, settings cfg);

/// Reduces archive files to checkpoints (import_request -> import_reply).
caf::behavior import_worker(caf::event_based_actor* self);

/// Merges checkpoints (compute_request -> compute_reply).
caf::behavior compute_operation(caf::event_based_actor* self);

/// Writes results.csv (export_request -> export_reply).
caf::behavior export_operation(caf::event_based_actor* self);

} // namespace gaia
