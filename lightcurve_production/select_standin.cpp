// The select pool's stand-in of a remote worker, on the coordinator: sends
// the job with its ids, fetches the two files the worker wrote chunk by
// chunk, renames them into place when whole (see remote_select.hpp).
#include "lightcurve_production/remote_select.hpp"

#include "engine/errors.hpp"
#include "engine/log.hpp"
#include "lightcurve_select/id_list.hpp"
#include "messages/errors.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <memory>

namespace gaia {

namespace fs = std::filesystem;

namespace {

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

} // namespace gaia
