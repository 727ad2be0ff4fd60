// The download operation: one worker of the download pool. Owns a libcurl
// handle (connection reuse) and turns download_requests into local files
// that are checked: complete, gzip, and the MD5 the archive's _MD5SUM.txt
// publishes (the request carries it: the process read the list once for
// the run). A file:// source is checked where it is, never copied.
// Retries, backoff and resume live in download/downloader.cpp.
#include "actors/operations.hpp"

#include "archive/gzip_reader.hpp"
#include "download/downloader.hpp"
#include "download/md5.hpp"
#include "engine/log.hpp"
#include "settings/errors.hpp"

#include <chrono>
#include <filesystem>
#include <memory>

namespace gaia {

namespace {

download_options options_of(const settings& cfg, const download_request& req,
                             const std::shared_ptr<engine::run_control>& runs) {
  download_options opts;
  opts.connect_timeout_s = cfg.connect_timeout_s;
  opts.total_timeout_s = cfg.http_timeout_s;
  opts.stall_timeout_s = cfg.stall_timeout_s;
  opts.stall_min_bytes_per_s = cfg.stall_min_bytes_per_s;
  opts.retries = cfg.download_retries;
  opts.retry_backoff_ms = cfg.retry_backoff_ms;
  opts.max_file_bytes = static_cast<uint64_t>(cfg.max_file_bytes);
  uint64_t run = req.run_id;
  opts.cancelled = [runs, run] { return runs->cancelled(run); };
  std::string label = req.label;
  opts.on_notice = [label](const std::string& text) {
    note_download_notice(text); // retries by cause, for /metrics (messages/trace_hooks.cpp)
    engine::log_line("download", label + ": " + text);
  };
  return opts;
}

// A local copy is reused only when it is known to come from this URL, and
// passes the checks a download would: with a published MD5, that MD5
// (recorded in the ".verified" stamp, so a restart does not hash everything
// again); without, the server's validators (ETag or Last-Modified, and the
// size) must still be those of the recorded download (one HEAD request). A
// copy of unknown origin is hashed when an MD5 is published (the same
// bytes are the same file wherever they came from), else fetched again.
bool reusable(downloader& dl, const std::string& path, const source_version& wanted,
              const download_options& opts) {
  if (!std::filesystem::exists(path))
    return false;
  auto stamp = verified_stamp_of(path);
  try {
    if (stamp && stamp->source.url != wanted.url) {
      engine::log_line("download", path + ": fetched from " + stamp->source.url + ", not "
                             + wanted.url + "; downloading it again");
      return false;
    }
    if (!wanted.md5.empty()) {
      if (stamp && stamp->source.md5 == wanted.md5)
        return true;
      if (stamp && !stamp->source.md5.empty()) {
        engine::log_line("download", path + ": the published MD5 changed; "
                               "downloading it again");
        return false;
      }
      if (md5_file(path) == wanted.md5) {
        source_version v = stamp ? stamp->source : wanted;
        v.url = wanted.url;
        v.md5 = wanted.md5;
        v.size = std::filesystem::file_size(path);
        mark_verified_download(path, v);
        return true;
      }
      engine::log_line("download", path + ": does not match the published MD5; "
                             "downloading it again");
      return false;
    }
    if (!stamp)
      return false; // no checksum, no record of its origin
    if (file_url_path(wanted.url))
      return false; // (never here: file:// sources are not copied)
    auto now = dl.head(wanted.url, opts);
    if (same_server_version(stamp->source, now))
      return true;
    engine::log_line("download", path + ": " + wanted.url
                           + " changed on the server (ETag, Last-Modified or size);"
                             " downloading it again");
    return false;
  } catch (const input_error& e) {
    engine::log_line("download", std::string("discarding local copy: ") + e.what());
    return false;
  }
}

/// A file:// source is read where it is: checked (there, gzip, not too
/// large, the published MD5) but never copied. The check's result is kept
/// in a stamp beside where a download would be, for the source file as it
/// is now, so a restart does not hash it again.
download_reply check_in_place(const settings& cfg, const download_request& req,
                              const std::string& local, const std::string& md5) {
  download_reply reply;
  reply.label = req.label;
  reply.path = local;
  reply.in_place = true;
  std::error_code ec;
  auto st = std::filesystem::status(local, ec);
  if (ec || !std::filesystem::is_regular_file(st))
    throw download_error(req.url + ": no such file");
  const uint64_t size = std::filesystem::file_size(local);
  if (size > static_cast<uint64_t>(cfg.max_file_bytes))
    throw download_error(req.url + ": larger than max_file_bytes ("
                         + std::to_string(cfg.max_file_bytes) + " bytes)");
  if (!has_gzip_magic(local))
    throw download_error(req.url + ": not a gzip file");
  source_version v{req.url, "", "", size, md5};
  auto stamp = verified_stamp_of(req.path, local);
  if (!md5.empty() && !(stamp && stamp->source.url == req.url && stamp->source.md5 == md5)) {
    std::string got = md5_file(local);
    if (got != md5)
      throw download_error(req.url + ": MD5 mismatch: got " + got
                           + ", the checksum list says " + md5);
  }
  reply.reused = stamp && stamp->source.url == req.url;
  if (!reply.reused || (!md5.empty() && stamp->source.md5 != md5))
    mark_verified_download(req.path, v, local);
  reply.bytes = size;
  reply.source = v;
  return reply;
}

download_reply fetch(downloader& dl, const settings& cfg, const download_request& req,
                     const std::shared_ptr<engine::run_control>& runs) {
  auto started = std::chrono::steady_clock::now();
  download_options opts = options_of(cfg, req, runs);
  opts.expected_md5 = req.expected_md5;
  if (req.force)
    discard_download(req.path);
  if (auto local = file_url_path(req.url)) {
    auto reply = check_in_place(cfg, req, *local, opts.expected_md5);
    reply.seconds = engine::seconds_since(started);
    return reply;
  }
  download_reply reply;
  reply.label = req.label;
  reply.path = req.path;
  source_version wanted{req.url, "", "", 0, opts.expected_md5};
  if (reusable(dl, req.path, wanted, opts)) {
    reply.reused = true;
    reply.bytes = std::filesystem::file_size(req.path);
    reply.source = verified_stamp_of(req.path)->source;
  } else {
    std::string label = req.label;
    opts.on_progress = [label, started](uint64_t now, uint64_t total) {
      double secs = engine::seconds_since(started);
      engine::log_line("download", label + " " + engine::format_mb(static_cast<double>(now))
                             + (total > 0 ? " of " + engine::format_mb(total) : "")
                             + " at " + engine::format_mb(now / (secs > 0 ? secs : 1))
                             + "/s");
    };
    auto r = dl.fetch(req.url, req.path, opts);
    reply.bytes = r.bytes;
    reply.source = r.source;
    if (r.attempts > 1 || r.resumed)
      engine::log_line("download", label + ": complete after "
                             + std::to_string(r.attempts) + " attempts"
                             + (r.resumed ? " (resumed)" : ""));
  }
  reply.seconds = engine::seconds_since(started);
  return reply;
}

} // namespace

download_worker_actor::behavior_type
download_operation(download_worker_actor::stateful_pointer<download_state> self, settings cfg,
                   std::shared_ptr<engine::run_control> runs) {
  self->state.cfg = std::move(cfg);
  self->state.runs = std::move(runs);
  return {
    [self](const download_request& req) -> caf::result<download_reply> {
      const auto& cfg = self->state.cfg;
      const auto& runs = self->state.runs;
      auto& dl = self->state.dl;
      if (runs->cancelled(req.run_id))
        return engine::make_error(engine::errc::cancelled, req.url + ": run cancelled");
      try {
        return fetch(dl, cfg, req, runs);
      } catch (const download_error& e) {
        if (runs->cancelled(req.run_id))
          return engine::make_error(engine::errc::cancelled, e.what());
        return error_from(e, gaia_errc::download_failed);
      } catch (const std::exception& e) {
        return error_from(e, gaia_errc::download_failed);
      }
    },
  };
}

} // namespace gaia
