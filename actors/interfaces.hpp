// Every typed actor interface of the Gaia production, in one place (as
// tenzir/vast's system/actors.hpp). A message an actor does not handle
// fails to compile: sending it (request/send on these handles), declaring
// an edge for it (production::connect<M> on the node references that
// actors/production.cpp declares with these interfaces), or handing a peer
// of another interface to a process (spawn_context::peer returns the
// handle as declared); tests/compile_fails/ shows each.
#pragma once

#include "engine/polling_service.hpp"
#include "engine/worker_pool.hpp"
#include "messages/messages.hpp"

namespace gaia {

/// The run's checksum list: prepare_request -> prepare_reply.
using prepare_actor = engine::worker_actor<prepare_request, prepare_reply>;

/// One download worker: download_request -> download_reply.
using download_worker_actor = engine::worker_actor<download_request, download_reply>;
/// The download pool: a worker's interface, and (cancel, run) to drop a
/// run's queued downloads.
using download_actor = engine::pool_actor<download_request, download_reply>;

/// One import worker: import_request -> import_reply.
using import_worker_actor = engine::worker_actor<import_request, import_reply>;
/// The import pool, likewise.
using import_actor = engine::pool_actor<import_request, import_reply>;

/// The merge of the checkpoints: compute_request -> compute_reply.
using compute_actor = engine::worker_actor<compute_request, compute_reply>;

/// results.csv: export_request -> export_reply.
using export_actor = engine::worker_actor<export_request, export_reply>;

/// A download worker on another machine (actors/cluster.hpp):
/// download_request -> shipped_download (the reply and the checkpoint's
/// bytes), and (cancel, run) to stop a cancelled run's transfer.
using remote_download_actor =
  caf::typed_actor<caf::replies_to<download_request>::with<shipped_download>,
                   caf::reacts_to<engine::cancel_atom, uint64_t>>;
/// An import worker on another machine: import_request -> shipped_import,
/// likewise.
using remote_import_actor =
  caf::typed_actor<caf::replies_to<import_request>::with<shipped_import>,
                   caf::reacts_to<engine::cancel_atom, uint64_t>>;

/// The benchmark process: engine::run_request -> engine::run_outcome, and
/// (cancel, run) from the service.
using process_actor = engine::process_actor;

} // namespace gaia
