// The messages between the select pool's stand-in on the coordinator and
// a select worker on another machine (lightcurve_production/remote_select.hpp),
// each registered beside its struct; and that worker's typed interface.
//
//   stand-in --lc_remote_select (the request and its ids)--> shipper
//   stand-in <--lc_shipped_select (the reply, the two pieces' sizes)--
//   stand-in --lc_chunk_request (piece, offset)--> shipper, until both
//   stand-in <--std::string (at most max_bytes of it)-- pieces are whole
#pragma once

#include "lightcurve_production/messages.hpp"

#include <caf/all.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace gaia {

/// A select job for a worker on another machine: the coordinator's request
/// (its paths are the coordinator's) and the ids it asks for, read from the
/// coordinator's id file (`ids_path`, `first`, `count`), which the worker
/// cannot see.
struct lc_remote_select {
  lc_select_request request;
  std::vector<int64_t> ids; ///< ascending
};

/// The worker's answer: the reply as a local select gives it (its ranges
/// are in the worker's spool), and the sizes of the two pieces it wrote
/// (the part and the missing ids), which wait there until the stand-in has
/// fetched them chunk by chunk.
struct lc_shipped_select {
  lc_select_reply reply;
  uint64_t part_bytes = 0;
  uint64_t missing_bytes = 0;
};

/// At most `max_bytes` of one of those pieces from `offset`; a shorter
/// answer is the piece's end.
struct lc_chunk_request {
  uint64_t run_id = 0;
  std::string label;    ///< the file's range: which job's files
  bool missing = false; ///< false: the part; true: the missing ids
  uint64_t offset = 0;
  uint64_t max_bytes = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, lc_remote_select& x) {
  return f(caf::meta::type_name("lc_remote_select"), x.request, x.ids);
}
inline const engine::message_type<lc_remote_select> lc_remote_select_type{
  "gaia::lc_remote_select"};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, lc_shipped_select& x) {
  return f(caf::meta::type_name("lc_shipped_select"), x.reply, x.part_bytes, x.missing_bytes);
}
inline const engine::message_type<lc_shipped_select> lc_shipped_select_type{
  "gaia::lc_shipped_select"};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, lc_chunk_request& x) {
  return f(caf::meta::type_name("lc_chunk_request"), x.run_id, x.label, x.missing, x.offset,
           x.max_bytes);
}
inline const engine::message_type<lc_chunk_request> lc_chunk_request_type{
  "gaia::lc_chunk_request"};

/// A select worker on another machine: the job, the chunks of its files,
/// and (cancel, run) to stop a cancelled run's transfer.
using remote_select_actor =
  caf::typed_actor<caf::replies_to<lc_remote_select>::with<lc_shipped_select>,
                   caf::replies_to<lc_chunk_request>::with<std::string>,
                   caf::reacts_to<engine::cancel_atom, uint64_t>>;

} // namespace gaia
