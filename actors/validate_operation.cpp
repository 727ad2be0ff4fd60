// The validate operation (actors/validate_operation.hpp): one pass over a
// file's checkpoint, sources in order.
#include "actors/validate_operation.hpp"
#include "engine/log.hpp"

#include "core/file_range.hpp"
#include "messages/errors.hpp"
#include "results/checkpoint.hpp"


namespace gaia {

namespace {

bool inside(const validate_request& req, const source_aggregate& s) {
  const int64_t pixel = healpix8_of(s.source_id);
  return pixel >= req.first && pixel <= req.last;
}

/// `skip`: the file's sources in range, as a checkpoint of their own (the
/// import's stays as it was, for runs that report).
void write_in_range(const validate_request& req) {
  checkpoint_reader in(req.checkpoint_path);
  checkpoint_writer out(req.in_range_path, in.info().source);
  checkpoint_info info = in.info();
  info.sources = 0;
  source_aggregate s;
  while (in.next(s))
    if (inside(req, s)) {
      out.add(s);
      ++info.sources;
    }
  out.commit(info);
}

validate_reply validate(const validate_request& req, misplaced_policy policy) {
  validate_reply reply;
  reply.label = req.label;
  reply.checkpoint_path = req.checkpoint_path;
  checkpoint_reader in(req.checkpoint_path);
  source_aggregate s;
  while (in.next(s)) {
    ++reply.sources;
    if (inside(req, s)) continue;
    if (reply.misplaced++ > 0) continue;
    reply.first_misplaced = s.source_id;
    if (policy == misplaced_policy::fail)
      throw input_error(req.url + ": source_id " + std::to_string(s.source_id)
                        + " (HEALPix level-8 index " + std::to_string(healpix8_of(s.source_id))
                        + ") is outside the file's range " + req.label
                        + " (misplaced_sources is fail)");
  }
  // Most files have none: read once, never copied.
  if (reply.misplaced > 0 && policy == misplaced_policy::skip) {
    write_in_range(req);
    reply.checkpoint_path = req.in_range_path;
  }
  return reply;
}

} // namespace

validate_worker_actor::behavior_type validate_operation(validate_worker_actor::pointer,
                                                        validate_settings cfg) {
  return {
    [cfg](const validate_request& req) -> caf::result<validate_reply> {
      engine::log_scope scope(req.run_id); // its log lines are its run's
      // A file whose content is not what its name says is the import's kind.
      return answer(gaia_errc::import_failed,
                    [&] { return validate(req, cfg.misplaced_sources); });
    },
  };
}

} // namespace gaia
