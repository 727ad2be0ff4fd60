// The select pool's stand-in of a remote worker, on the coordinator: sends
// the job with its ids, fetches the two pieces the worker wrote chunk by
// chunk into a spool of its own, replies with their ranges there when
// whole (see remote_select.hpp).
#include "lightcurve_production/remote_select.hpp"

#include "engine/errors.hpp"
#include "engine/log.hpp"
#include "lightcurve_select/id_list.hpp"
#include "messages/errors.hpp"

#include <algorithm>
#include <filesystem>
#include <memory>

namespace gaia {

namespace fs = std::filesystem;

namespace {

/// The job a stand-in is fetching the pieces of.
struct fetch_job {
  lc_select_request req;
  lc_shipped_select shipped;
  caf::typed_response_promise<lc_select_reply> rp;
  bool on_missing = false; ///< the part is whole (part_range); fetching the missing ids
  spool_range part_range;
};

struct standin_state {
  remote_select_actor remote;
  std::string worker; ///< "lc_select#3 (w1/select1)"
  uint64_t chunk_bytes = lc_chunk_bytes;
  std::string spool_name; ///< "worker-<n>.spool" in each request's spool_dir
  spool_file spool;       ///< open while a job's pieces come in
  std::unique_ptr<fetch_job> job;
  static inline const char* name = "remote_select";
};

using standin_pointer = lc_select_actor::stateful_pointer<standin_state>;

/// The job ends: its answer; failed, nothing of it left in the spool.
void finish(standin_pointer self, caf::expected<lc_select_reply> r) {
  auto job = std::move(self->state.job);
  self->state.spool.discard(); // closed already when whole
  if (r)
    job->rp.deliver(std::move(*r));
  else
    job->rp.deliver(std::move(r.error()));
}

/// Asks for the next chunk of the piece being fetched (a chunk shorter
/// than asked ends it); when both are whole, replies with their ranges in
/// the stand-in's own spool, as a local select does.
void fetch_next(standin_pointer self) {
  auto& st = self->state;
  auto& job = *st.job;
  lc_chunk_request c{job.req.run_id, job.req.label, job.on_missing, st.spool.size(),
                     st.chunk_bytes};
  self->request(st.remote, caf::infinite, c)
    .then(
      [self](std::string& bytes) {
        auto& st = self->state;
        auto& job = *st.job;
        const bool last = bytes.size() < st.chunk_bytes;
        auto written = answer(gaia_errc::import_failed, [&] {
          st.spool.write(bytes.data(), bytes.size());
          if (!last) return false;
          const uint64_t want = job.on_missing ? job.shipped.missing_bytes
                                               : job.shipped.part_bytes;
          if (st.spool.size() != want)
            throw engine::input_error(job.req.label + ": " + st.worker + " shipped "
                                      + std::to_string(st.spool.size()) + " bytes of "
                                      + std::to_string(want));
          return true;
        });
        if (!written) return finish(self, std::move(written.error()));
        if (!*written) return fetch_next(self);
        if (!job.on_missing) {
          auto ended = answer(gaia_errc::import_failed, [&] { return st.spool.end_piece(); });
          if (!ended) return finish(self, std::move(ended.error()));
          job.part_range = std::move(*ended);
          job.on_missing = true;
          return fetch_next(self);
        }
        auto stored = answer(gaia_errc::import_failed, [&] {
          auto missing = st.spool.end_piece();
          st.spool.close();
          return missing;
        });
        if (!stored) return finish(self, std::move(stored.error()));
        engine::log_line("cluster", st.worker + " did " + job.req.label + " ("
                                      + std::to_string(job.shipped.reply.selected)
                                      + " rows, part of "
                                      + engine::format_mb(job.shipped.part_bytes) + " shipped)");
        auto reply = std::move(job.shipped.reply);
        reply.part_range = job.part_range;
        reply.missing_range = std::move(*stored);
        finish(self, std::move(reply));
      },
      [self](caf::error& err) { finish(self, std::move(err)); });
}

/// A remote select worker as its pool sees it: reads the job's ids,
/// forwards the job, fetches the two pieces it wrote into a spool of its
/// own, answers with the worker's reply and the ranges in that spool.
lc_select_actor::behavior_type standin(standin_pointer self, remote_select_actor remote,
                                       std::string worker, uint64_t chunk_bytes) {
  self->state.remote = std::move(remote);
  self->state.worker = std::move(worker);
  self->state.chunk_bytes = std::clamp<uint64_t>(chunk_bytes, 1, lc_max_chunk_bytes);
  self->state.spool_name = "worker-" + std::to_string(self->id()) + ".spool";
  return {
    [self](const lc_select_request& req) -> caf::result<lc_select_reply> {
      auto ids = answer(gaia_errc::import_failed, [&] {
        sorted_id_file f(req.ids_path);
        return f.read(req.first, req.count);
      });
      if (!ids) return std::move(ids.error());
      auto rp = self->make_response_promise<lc_select_reply>();
      self->request(self->state.remote, caf::infinite, lc_remote_select{req, std::move(*ids)})
        .then(
          [self, rp, req](lc_shipped_select& shipped) mutable {
            auto& st = self->state;
            st.job = std::make_unique<fetch_job>();
            st.job->req = req;
            st.job->shipped = std::move(shipped);
            st.job->rp = rp;
            auto opened = answer(gaia_errc::import_failed, [&] {
              st.spool.open((fs::path(req.spool_dir) / st.spool_name).string());
              return true;
            });
            if (!opened) return finish(self, std::move(opened.error()));
            fetch_next(self);
          },
          [rp](caf::error& err) mutable { rp.deliver(std::move(err)); });
      return rp;
    },
    [self](engine::cancel_atom, uint64_t run) {
      self->send(self->state.remote, engine::cancel_atom::value, run);
    },
  };
}

} // namespace

std::map<std::string, std::any> lc_remote_adapters(uint64_t chunk_bytes) {
  engine::remote_adapter<lc_select_request, lc_select_reply> adopt =
    [chunk_bytes](caf::actor_system& sys, const engine::remote_worker& w,
                  const std::string& name) -> lc_select_worker_actor {
    auto remote = engine::typed_remote<remote_select_actor>(sys, w);
    if (!remote) return {};
    // Scheduled, not detached: at exit, CAF 0.17.6's middleman can keep a
    // reference to a local actor that a remote node knows, and
    // ~actor_system waits for a detached actor's thread until its last
    // reference goes. Seen: a stand-in whose job ended a few ms before the
    // request did held `lightcurves` at exit for good (1 run in ~15 under
    // load). A scheduled actor's leftover reference costs nothing at exit;
    // its work is short (an id slice read, chunks appended to its spool).
    return sys.spawn(standin, remote, name, chunk_bytes);
  };
  return {{lc_node_id::select, adopt}};
}

} // namespace gaia
