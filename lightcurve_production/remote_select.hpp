// The light curves' select pool over several machines (actors/cluster.hpp
// does the download and import pools the same way; engine/cluster.hpp the
// networking): a stand-in on the coordinator forwards each select job to a
// shipper on a worker, which runs the select operation in its own scratch
// folder and keeps the two pieces it appended to its spool (the part, the
// missing ids) until the stand-in has fetched them, in chunks of at most
// lc_chunk_bytes, one at a time (memory stays bounded whatever a part's
// size). The stand-in appends them to a spool of its own in the request's
// parts/ and replies with their ranges there, as a local select worker
// does. The pieces are opaque bytes here: what a part holds is the
// select's business. The stand-in is in select_standin.cpp, the shipper in
// select_shipper.cpp.
//
//   coordinator                                      worker machine
//   select pool ─► stand-in ─lc_remote_select (+ids)─► shipper ─► select op
//                  stand-in ◄─lc_shipped_select─────── shipper   (its spool)
//                  stand-in ─lc_chunk_request───────► shipper
//   its spool: part, missing ids ◄─chunks──
#pragma once

#include "actors/cluster.hpp"
#include "lightcurve_production/remote_messages.hpp"
#include "settings/settings.hpp"

#include <any>
#include <cstdint>
#include <map>
#include <string>

namespace gaia {

/// What a stand-in asks for at a time (4 MiB), and the most a shipper
/// gives (64 MiB): far below the 4 GiB a CAF 0.17 message can hold (BASP's
/// 32-bit payload length), and what one chunk costs in memory on each side.
inline constexpr uint64_t lc_chunk_bytes = uint64_t{4} << 20;
inline constexpr uint64_t lc_max_chunk_bytes = uint64_t{64} << 20;

/// The select pool's remote adapter, by node id (coordinator(), attach);
/// `chunk_bytes` what its stand-ins ask for at a time (tests: small ones).
std::map<std::string, std::any> lc_remote_adapters(uint64_t chunk_bytes = lc_chunk_bytes);

/// `gaia-dr3 worker`'s select workers: download_pool_size of them (the key
/// the coordinator's select pool is sized by), each a select operation with
/// the worker's download settings and a shipper with its own scratch folder
/// under output_dir/remote_select/; archive files are kept in the worker's
/// output_dir/downloads when both its keep_downloads and the request's say so.
worker_slots lc_select_slots(const settings& s);

/// One shipper and its select operation, spawned in `sys` (lc_select_slots,
/// tests without a network).
remote_select_actor spawn_select_shipper(caf::actor_system& sys, const settings& s,
                                         std::shared_ptr<engine::run_control> runs);

} // namespace gaia
