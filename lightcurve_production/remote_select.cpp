// The select pool over several machines: see remote_select.hpp.
#include "lightcurve_production/remote_select.hpp"

#include "engine/errors.hpp"
#include "engine/log.hpp"
#include "engine/state/atomic_file.hpp"
#include "lightcurve_production/select_operation.hpp"
#include "lightcurve_select/id_list.hpp"
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

// ---- coordinator: the stand-in -------------------------------------------

/// A shipped file written under "<path>.shipped.<tag>" and renamed to
/// `path` when whole; dropped before (its worker lost mid-transfer, the
/// stand-in stopped), the temporary is removed. Errors name the file.
class shipped_file {
public:
  shipped_file(std::string path, const std::string& tag)
    : path_(std::move(path)), tmp_(path_ + ".shipped." + tag) {
    f_ = std::fopen(tmp_.c_str(), "wb");
    if (f_ == nullptr)
      throw engine::output_error("cannot write " + tmp_ + ": " + std::strerror(errno));
  }
  ~shipped_file() {
    if (f_ == nullptr) return;
    std::fclose(f_);
    std::remove(tmp_.c_str());
  }
  shipped_file(const shipped_file&) = delete;
  shipped_file& operator=(const shipped_file&) = delete;

  void write(const std::string& bytes) {
    if (std::fwrite(bytes.data(), 1, bytes.size(), f_) != bytes.size())
      throw engine::output_error("cannot write " + tmp_ + ": " + std::strerror(errno));
    bytes_ += bytes.size();
  }
  uint64_t bytes() const { return bytes_; }
  void commit() {
    const int closed = std::fclose(f_);
    f_ = nullptr;
    std::error_code ec;
    if (closed != 0) {
      fs::remove(tmp_, ec);
      throw engine::output_error("cannot write " + tmp_ + ": " + std::strerror(errno));
    }
    fs::rename(tmp_, path_, ec);
    if (ec) throw engine::output_error("cannot rename " + tmp_ + " to " + path_ + ": "
                                       + ec.message());
  }

private:
  std::string path_, tmp_;
  std::FILE* f_ = nullptr;
  uint64_t bytes_ = 0;
};

/// The job a stand-in is fetching the files of.
struct fetch_job {
  lc_select_request req;
  lc_shipped_select shipped;
  caf::typed_response_promise<lc_select_reply> rp;
  std::unique_ptr<shipped_file> part, missing;
  bool on_missing = false; ///< the part is whole; fetching the missing ids
};

struct standin_state {
  remote_select_actor remote;
  std::string worker; ///< "lc_select#3 (w1/select1)"
  uint64_t chunk_bytes = lc_chunk_bytes;
  std::unique_ptr<fetch_job> job; ///< its temporaries go with it
  static inline const char* name = "remote_select";
};

using standin_pointer = lc_select_actor::stateful_pointer<standin_state>;

/// The job ends: its answer, and nothing of it left.
void finish(standin_pointer self, caf::expected<lc_select_reply> r) {
  auto job = std::move(self->state.job);
  if (r)
    job->rp.deliver(std::move(*r));
  else
    job->rp.deliver(std::move(r.error()));
}

/// Asks for the next chunk of the file being fetched; when both files are
/// whole (a chunk shorter than asked ends each), renames them into place.
void fetch_next(standin_pointer self) {
  auto& st = self->state;
  auto& job = *st.job;
  lc_chunk_request c{job.req.run_id, job.req.label, job.on_missing,
                     (job.on_missing ? job.missing : job.part)->bytes(), st.chunk_bytes};
  self->request(st.remote, caf::infinite, c)
    .then(
      [self](std::string& bytes) {
        auto& st = self->state;
        auto& job = *st.job;
        auto& file = job.on_missing ? job.missing : job.part;
        const bool last = bytes.size() < st.chunk_bytes;
        auto written = answer(gaia_errc::import_failed, [&] {
          file->write(bytes);
          if (!last) return false;
          const uint64_t want = job.on_missing ? job.shipped.missing_bytes
                                               : job.shipped.part_bytes;
          if (file->bytes() != want)
            throw engine::input_error(job.req.label + ": " + st.worker + " shipped "
                                      + std::to_string(file->bytes()) + " bytes of "
                                      + std::to_string(want));
          return true;
        });
        if (!written) return finish(self, std::move(written.error()));
        if (!*written) return fetch_next(self);
        if (!job.on_missing) {
          job.on_missing = true;
          return fetch_next(self);
        }
        auto stored = answer(gaia_errc::import_failed, [&] {
          job.part->commit();
          job.missing->commit();
          return true;
        });
        if (!stored) return finish(self, std::move(stored.error()));
        engine::log_line("cluster", st.worker + " did " + job.req.label + " ("
                                      + std::to_string(job.shipped.reply.selected)
                                      + " rows, part of "
                                      + engine::format_mb(job.shipped.part_bytes) + " shipped)");
        finish(self, std::move(job.shipped.reply));
      },
      [self](caf::error& err) { finish(self, std::move(err)); });
}

/// A remote select worker as its pool sees it: reads the job's ids,
/// forwards the job, fetches the two files it wrote, answers with the
/// local reply.
lc_select_actor::behavior_type standin(standin_pointer self, remote_select_actor remote,
                                       std::string worker, uint64_t chunk_bytes) {
  self->state.remote = std::move(remote);
  self->state.worker = std::move(worker);
  self->state.chunk_bytes = std::clamp<uint64_t>(chunk_bytes, 1, lc_max_chunk_bytes);
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
            const auto tag = std::to_string(self->id());
            auto opened = answer(gaia_errc::import_failed, [&] {
              st.job->part = std::make_unique<shipped_file>(req.part_path, tag);
              st.job->missing = std::make_unique<shipped_file>(req.missing_path, tag);
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

// ---- worker: the shipper -------------------------------------------------

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

std::map<std::string, std::any> lc_remote_adapters(uint64_t chunk_bytes) {
  engine::remote_adapter<lc_select_request, lc_select_reply> adopt =
    [chunk_bytes](caf::actor_system& sys, const engine::remote_worker& w,
                  const std::string& name) -> lc_select_worker_actor {
    auto remote = engine::typed_remote<remote_select_actor>(sys, w);
    if (!remote) return {};
    return sys.spawn<caf::detached>(standin, remote, name, chunk_bytes);
  };
  return {{lc_node_id::select, adopt}};
}

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
