// A remote select worker's side of one slot (`gaia-dr3 worker`): runs the
// select operation in its own scratch folder and serves the two pieces it
// appended to its spool there chunk by chunk until they are fetched (see
// remote_select.hpp).
#include "lightcurve_production/remote_select.hpp"

#include "engine/errors.hpp"
#include "engine/log.hpp"
#include "engine/state/atomic_file.hpp"
#include "engine/state/scratch_dir.hpp"
#include "lightcurve_production/select_operation.hpp"
#include "messages/errors.hpp"
#include "settings/output_layout.hpp"

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <memory>

#include <fcntl.h>
#include <unistd.h>

namespace gaia {

namespace fs = std::filesystem;

namespace {

struct shipper_state {
  std::string scratch;   ///< its own folder: the job's ids, the select's spool
  engine::scratch_dir held; ///< `scratch` once made (removed with the state, or after a kill by the next worker)
  std::string downloads; ///< the worker's kept archive files
  bool keep = false;     ///< the worker's own keep_downloads
  lc_select_worker_actor local;
  std::shared_ptr<engine::run_control> runs; ///< shared with `local`
  lc_select_request waiting; ///< the job (worker's paths) whose pieces wait
  lc_select_reply waiting_reply; ///< where they are in the select's spool
  static inline const char* name = "select_shipper";
};

using shipper_pointer = remote_select_actor::stateful_pointer<shipper_state>;

/// The waiting job's pieces are fetched (or another job comes): gone. The
/// select (idle now) holds nothing else in its spool, nor the id file: both
/// are emptied, not removed (creating them again per file would cost what
/// the spool saves: ext4's create walks past every recently freed inode).
void drop_waiting(shipper_state& st) {
  std::error_code ec;
  if (!st.waiting_reply.part_range.path.empty())
    fs::resize_file(st.waiting_reply.part_range.path, 0, ec);
  if (!st.waiting.ids_path.empty()) fs::resize_file(st.waiting.ids_path, 0, ec);
  st.waiting = lc_select_request{};
  st.waiting_reply = lc_select_reply{};
}

/// `ids` over the file at `path` (sorted_id_file's format: 8-byte native
/// integers, ascending), the same file job after job. Nothing to keep
/// across a crash: the shipper's scratch folder goes with it.
void write_ids(const std::string& path, const std::vector<int64_t>& ids) {
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) throw engine::output_error("cannot write " + path + ": " + std::strerror(errno));
  if (!engine::write_all(fd, ids.data(), ids.size() * sizeof(int64_t))) {
    const std::string why = std::strerror(errno);
    ::close(fd);
    throw engine::output_error("cannot write " + path + ": " + why);
  }
  ::close(fd);
}

/// The request with the worker's own paths, its ids in its own id file.
lc_select_request relocated(shipper_state& st, lc_remote_select& x) {
  auto req = std::move(x.request);
  if (st.held.path().empty()) st.held = engine::scratch_dir(st.scratch);
  req.ids_path = (fs::path(st.scratch) / "ids.bin").string();
  write_ids(req.ids_path, x.ids);
  req.first = 0;
  req.count = x.ids.size();
  req.spool_dir = st.scratch;
  req.path = (fs::path(st.downloads) / fs::path(req.path).filename()).string();
  req.keep = req.keep && st.keep;
  return req;
}

/// At most `max` bytes of the piece `r` from `offset` (in the piece).
std::string read_chunk(const spool_range& r, uint64_t offset, uint64_t max) {
  if (offset >= r.size) return {};
  spool_range chunk{r.path, r.offset + offset, std::min(max, r.size - offset)};
  spool_range_reader in(chunk);
  std::string out;
  out.reserve(static_cast<size_t>(chunk.size));
  in.append_rest(out);
  return out;
}

/// A worker's side of one select slot.
remote_select_actor::behavior_type shipper(shipper_pointer self, std::string scratch,
                                           std::string downloads, bool keep,
                                           lc_select_worker_actor local,
                                           std::shared_ptr<engine::run_control> runs) {
  auto& st = self->state;
  st.scratch = std::move(scratch);
  st.downloads = std::move(downloads);
  st.keep = keep;
  st.local = std::move(local);
  st.runs = std::move(runs);
  self->link_to(st.local);
  return {
    [self](lc_remote_select& x) -> caf::result<lc_shipped_select> {
      auto& st = self->state;
      drop_waiting(st);
      auto req = answer(gaia_errc::import_failed, [&] { return relocated(st, x); });
      if (!req) return std::move(req.error());
      engine::log_line("worker", "select " + req->label + " (" + std::to_string(req->count)
                                   + " ids)");
      auto rp = self->make_response_promise<lc_shipped_select>();
      self->request(st.local, caf::infinite, *req)
        .then(
          [self, rp, r = *req](lc_select_reply& reply) mutable {
            self->state.waiting = r;
            self->state.waiting_reply = reply;
            const auto part = reply.part_range.size, missing = reply.missing_range.size;
            rp.deliver(lc_shipped_select{std::move(reply), part, missing});
          },
          [rp](caf::error& err) mutable { rp.deliver(std::move(err)); });
      return rp;
    },
    [self](const lc_chunk_request& c) -> caf::result<std::string> {
      auto& st = self->state;
      if (st.waiting.label.empty() || c.label != st.waiting.label
          || c.run_id != st.waiting.run_id)
        return make_error(gaia_errc::import_failed,
                          c.label + ": no selected rows of it wait on this worker");
      const auto max = std::min(c.max_bytes, lc_max_chunk_bytes);
      auto bytes = answer(gaia_errc::import_failed, [&] {
        return read_chunk(c.missing ? st.waiting_reply.missing_range
                                    : st.waiting_reply.part_range,
                          c.offset, max);
      });
      // The missing ids come last: their end is the job's.
      if (bytes && c.missing && bytes->size() < max) drop_waiting(st);
      return bytes ? caf::result<std::string>(std::move(*bytes))
                   : caf::result<std::string>(std::move(bytes.error()));
    },
    [self](engine::cancel_atom, uint64_t run) {
      // The coordinator cancelled the run: the transfer here stops at the
      // next progress tick, like a local one.
      if (!self->state.runs->cancelled(run))
        engine::log_line("worker", "run " + std::to_string(run) + " cancelled by the coordinator");
      self->state.runs->cancel(run);
    },
  };
}

} // namespace

remote_select_actor spawn_select_shipper(caf::actor_system& sys, const settings& s,
                                         std::shared_ptr<engine::run_control> runs) {
  // A worker process has no /metrics: its retries are logged, not counted.
  auto local = sys.spawn<caf::detached>(lc_select_operation, s.get<download_settings>(), runs,
                                        nullptr);
  // Its own folder, named by its operation's actor id: a shipper of an
  // earlier connection, still stopping, has another.
  const auto parent = fs::path(s.output_dir) / "remote_select";
  const auto scratch = parent / std::to_string(local.id());
  // A killed worker's folders: nobody else would remove them.
  if (int n = engine::scratch_dir::sweep_stale(parent.string()))
    engine::log_line("worker", "removed " + std::to_string(n)
                                 + " working folder(s) a killed worker left in " + parent.string());
  // Scheduled, not detached, as the stand-in (select_standin.cpp, and for
  // its reason): the coordinator knows this actor; its operation, which
  // blocks on the transfer, is detached.
  return sys.spawn(shipper, scratch.string(), output_layout(s.output_dir).downloads_dir,
                   s.keep_downloads, local, std::move(runs));
}

worker_slots lc_select_slots(const settings& s) {
  return {std::to_string(s.download_pool_size) + " " + lc_node_id::select,
          [s](caf::actor_system& sys, const std::shared_ptr<engine::run_control>& runs,
              const std::string& name) {
            std::vector<worker_slot> slots;
            for (int i = 1; i <= s.download_pool_size; ++i)
              slots.push_back({lc_node_id::select,
                               {caf::actor_cast<caf::actor>(spawn_select_shipper(sys, s, runs)),
                                engine::interface_of<remote_select_actor>(sys)},
                               name + "/select" + std::to_string(i)});
            return slots;
          }};
}

} // namespace gaia
