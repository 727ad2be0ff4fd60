// The download operation: one worker of the download pool. Owns a libcurl
// handle (connection reuse) and turns a download_request into the file's
// checkpoint, touching each byte once: the body streams through the MD5,
// the import (inflate, parse, aggregate) and, when the archive is kept,
// into downloads/. Retries, backoff and resume live in
// download/downloader.cpp; a damaged stream is retried there too.
//
//   a checkpoint of this very version of the file ─► reused, nothing fetched
//   a kept copy, an MD5 published              ─► imported from disk, checked
//   otherwise                                  ─► fetched and imported at once
#include "actors/operations.hpp"

#include "actors/transfer_options.hpp"
#include "engine/log.hpp"
#include "engine/state/atomic_file.hpp"
#include "core/errors.hpp"
#include "importer/file_importer.hpp"

#include <chrono>
#include <filesystem>

namespace gaia {

namespace {

download_reply fetch(downloader& dl, const download_settings& cfg, const download_request& req,
                     const std::shared_ptr<engine::run_control>& runs,
                     const std::shared_ptr<retry_counter>& retries) {
  auto started = std::chrono::steady_clock::now();
  download_options opts = transfer_options(cfg, req.run_id, req.label, runs, retries);
  opts.expected_md5 = req.expected_md5;
  download_reply reply;
  reply.label = req.label;
  if (req.force) {
    discard_download(req.path);
    engine::remove_if_exists(req.checkpoint_path);
  }
  std::error_code ec;
  std::optional<input_fingerprint> local;
  if (std::filesystem::is_regular_file(req.path, ec)) local = fingerprint_of(req.path);
  auto done = [&](import_reply imported, uint64_t bytes, bool reused) {
    reply.path = local || req.keep ? req.path : "";
    reply.bytes = bytes;
    reply.reused = reused;
    reply.import = std::move(imported);
    reply.seconds = engine::seconds_since(started);
    reply.import.seconds = reply.seconds; // fetched and imported in one pass
    return reply;
  };
  const file_importer importer(req.label, req.url, req.checkpoint_path, req.expected_md5,
                               req.max_line_bytes);
  if (auto r = importer.reuse(local, version_check::ask_server,
                              [&] { return dl.head(req.url, opts); }))
    return done(*r, r->bytes, true);

  if (local && !req.expected_md5.empty()) {
    // A kept copy and a published MD5: no need for the network.
    try {
      auto imported = importer.import_file(req.path, req.url, opts);
      const uint64_t bytes = imported.source.size;
      return done(std::move(imported), bytes, true);
    } catch (const download_error& e) {
      if (e.is(engine::errc::cancelled)) throw;
      engine::log_line("download", std::string(e.what()) + "; downloading it again");
    } catch (const corrupt_gzip_error& e) {
      engine::log_line("download", std::string(e.what()) + "; downloading it again");
    }
    discard_download(req.path);
    local.reset();
  }
  opts.on_progress = [label = req.label, started](uint64_t now, uint64_t total) {
    double secs = engine::seconds_since(started);
    engine::log_line("download", label + " " + engine::format_mb(static_cast<double>(now))
                                   + (total > 0 ? " of " + engine::format_mb(total) : "")
                                   + " at " + engine::format_mb(now / (secs > 0 ? secs : 1))
                                   + "/s");
  };
  download_result r;
  auto imported = importer.fetch_file(dl, req.keep ? req.path : "", opts, r);
  if (r.attempts > 1 || r.resumed)
    engine::log_line("download", req.label + ": complete after " + std::to_string(r.attempts)
                                   + " attempts" + (r.resumed ? " (resumed)" : ""));
  if (req.keep) local = fingerprint_of(req.path);
  else local.reset();
  reply.attempts = r.attempts;
  return done(std::move(imported), r.bytes, false);
}

} // namespace

download_worker_actor::behavior_type
download_operation(download_worker_actor::stateful_pointer<download_state> self,
                   download_settings cfg,
                   std::shared_ptr<engine::run_control> runs,
                   std::shared_ptr<retry_counter> retries) {
  self->state.cfg = std::move(cfg);
  self->state.runs = std::move(runs);
  self->state.retries = std::move(retries);
  return {
    [self](const download_request& req) -> caf::result<download_reply> {
      engine::log_scope scope(req.run_id); // its log lines are its run's
      const auto& runs = self->state.runs;
      if (runs->cancelled(req.run_id))
        return engine::make_error(engine::errc::cancelled, req.url + ": run cancelled");
      try {
        return fetch(self->state.dl, self->state.cfg, req, runs, self->state.retries);
      } catch (const download_error& e) {
        // A transfer cut short by the run's cancellation is no verdict on the URL.
        if (runs->cancelled(req.run_id))
          return engine::make_error(engine::errc::cancelled, e.what());
        return error_from(e, gaia_errc::download_failed);
      } catch (const engine::failure& e) {
        // The bytes arrived (a damaged archive carries its own code) but
        // are no archive file to import, or the checkpoint cannot be written.
        return error_from(e, gaia_errc::import_failed);
      } catch (const std::exception& e) {
        return make_error(gaia_errc::download_failed, e.what());
      }
    },
  };
}

} // namespace gaia
