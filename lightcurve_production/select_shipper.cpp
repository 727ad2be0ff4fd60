// A remote select worker's side of one slot (`gaia-dr3 worker`): runs the
// select operation in its own scratch folder and serves the two files it
// wrote chunk by chunk until they are fetched (see remote_select.hpp).
#include "lightcurve_production/remote_select.hpp"

#include "engine/errors.hpp"
#include "engine/log.hpp"
#include "engine/state/atomic_file.hpp"
#include "lightcurve_production/select_operation.hpp"
#include "messages/errors.hpp"
#include "settings/output_layout.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>

namespace gaia {

namespace fs = std::filesystem;

namespace {

struct shipper_state {
  std::string scratch;   ///< its own folder: the job's ids, part and missing ids
  std::string downloads; ///< the worker's kept archive files
  bool keep = false;     ///< the worker's own keep_downloads
  lc_select_worker_actor local;
  std::shared_ptr<engine::run_control> runs; ///< shared with `local`
  lc_select_request waiting; ///< the job (worker's paths) whose files wait
  static inline const char* name = "select_shipper";
  ~shipper_state() {
    std::error_code ec;
    if (!scratch.empty()) fs::remove_all(scratch, ec);
  }
};

using shipper_pointer = remote_select_actor::stateful_pointer<shipper_state>;

/// The waiting job's files are fetched (or another job comes): gone.
void drop_waiting(shipper_state& st) {
  std::error_code ec;
  if (!st.waiting.part_path.empty()) fs::remove(st.waiting.part_path, ec);
  if (!st.waiting.missing_path.empty()) fs::remove(st.waiting.missing_path, ec);
  if (!st.waiting.ids_path.empty()) fs::remove(st.waiting.ids_path, ec);
  st.waiting = lc_select_request{};
}

/// The request with the worker's own paths, its ids in its own id file.
lc_select_request relocated(const shipper_state& st, lc_remote_select& x) {
  auto req = std::move(x.request);
  const auto in_scratch = [&](const std::string& p) {
    return (fs::path(st.scratch) / fs::path(p).filename()).string();
  };
  fs::create_directories(st.scratch);
  req.ids_path = (fs::path(st.scratch) / "ids.bin").string();
  // sorted_id_file's format: 8-byte native integers, ascending.
  engine::write_file_atomic(
    req.ids_path,
    std::string(reinterpret_cast<const char*>(x.ids.data()), x.ids.size() * sizeof(int64_t)),
    engine::durability::cache);
  req.first = 0;
  req.count = x.ids.size();
  req.part_path = in_scratch(req.part_path);
  req.missing_path = in_scratch(req.missing_path);
  req.path = (fs::path(st.downloads) / fs::path(req.path).filename()).string();
  req.keep = req.keep && st.keep;
  return req;
}

/// At most `max` bytes of `path` from `offset`.
std::string read_chunk(const std::string& path, uint64_t offset, uint64_t max) {
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> f(std::fopen(path.c_str(), "rb"), std::fclose);
  if (!f || std::fseek(f.get(), static_cast<long>(offset), SEEK_SET) != 0)
    throw engine::input_error("cannot read " + path + ": " + std::strerror(errno));
  std::string out(max, '\0');
  out.resize(std::fread(out.data(), 1, max, f.get()));
  if (std::ferror(f.get()))
    throw engine::input_error("cannot read " + path + ": " + std::strerror(errno));
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
            auto sizes = answer(gaia_errc::import_failed, [&] {
              return std::make_pair(fs::file_size(r.part_path), fs::file_size(r.missing_path));
            });
            if (!sizes) {
              rp.deliver(std::move(sizes.error()));
              return;
            }
            self->state.waiting = r;
            rp.deliver(lc_shipped_select{std::move(reply), sizes->first, sizes->second});
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
        return read_chunk(c.missing ? st.waiting.missing_path : st.waiting.part_path, c.offset,
                          max);
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
  const auto scratch = fs::path(s.output_dir) / "remote_select" / std::to_string(local.id());
  return sys.spawn<caf::detached>(shipper, scratch.string(),
                                  output_layout(s.output_dir).downloads_dir, s.keep_downloads,
                                  local, std::move(runs));
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
