// The download operation: one worker of the download pool. Owns a libcurl
// handle (connection reuse) and turns download_requests into local files
// that are checked: complete, gzip, and the MD5 of the archive's
// _MD5SUM.txt when it publishes one (read once per run, shared by the
// workers). Retries, backoff and resume live in core/downloader.cpp.
#include "actors/operations.hpp"

#include "core/cancellation.hpp"
#include "core/checksums.hpp"
#include "core/downloader.hpp"
#include "core/errors.hpp"
#include "core/gzip_reader.hpp"
#include "core/log.hpp"
#include "core/md5.hpp"
#include "messages/messages.hpp"

#include <chrono>
#include <filesystem>
#include <memory>

namespace gaia {

namespace {

download_options options_of(const settings& cfg, const download_request& req) {
  download_options opts;
  opts.connect_timeout_s = cfg.connect_timeout_s;
  opts.total_timeout_s = cfg.http_timeout_s;
  opts.stall_timeout_s = cfg.stall_timeout_s;
  opts.stall_min_bytes_per_s = cfg.stall_min_bytes_per_s;
  opts.retries = cfg.download_retries;
  opts.retry_backoff_ms = cfg.retry_backoff_ms;
  uint64_t run = req.run_id;
  opts.cancelled = [run] { return run_cancelled(run); };
  std::string label = req.label;
  opts.on_notice = [label](const std::string& text) {
    log_line("download", label + ": " + text);
  };
  return opts;
}

/// The published MD5 of the request's file, or "" when the run has no
/// checksums. Throws download_error when the list cannot be had or does
/// not list the file.
std::string published_md5(downloader& dl, const settings& cfg,
                          const download_request& req,
                          const download_options& opts) {
  const checksum_source src = checksum_source_of(cfg);
  if (src.url.empty())
    return "";
  auto list = run_checksums(req.run_id, src.url, [&] {
    download_options o = opts;
    o.on_notice = [](const std::string& text) {
      log_line("download", "checksums: " + text);
    };
    return fetch_checksums(dl, src, o);
  });
  if (!list)
    return "";
  const std::string name = url_file_name(req.url);
  auto it = list->find(name);
  if (it == list->end())
    throw download_error(req.url + ": " + name + " is not listed in "
                         + src.url);
  return it->second;
}

// A local copy is reused when it passes the checks a download would: with
// a published MD5, that MD5 (cached in the ".verified" stamp, so a restart
// does not hash everything again); without, a stamp saying it was verified
// as it is now, or a full decompression (CRC and length of every member).
bool reusable(const std::string& path, const std::string& md5) {
  if (!std::filesystem::exists(path))
    return false;
  auto stamp = verified_stamp_of(path);
  try {
    if (!md5.empty()) {
      if (stamp && stamp->md5 == md5)
        return true;
      if (stamp && !stamp->md5.empty()) {
        log_line("download", path + ": the published MD5 changed; "
                               "downloading it again");
        return false;
      }
      if (md5_file(path) == md5) {
        mark_verified_download(path, md5);
        return true;
      }
      log_line("download", path + ": does not match the published MD5; "
                             "downloading it again");
      return false;
    }
    if (stamp)
      return true;
    verify_gzip_file(path);
    mark_verified_download(path);
    return true;
  } catch (const input_error& e) {
    log_line("download", std::string("discarding local copy: ") + e.what());
    return false;
  }
}

download_reply fetch(downloader& dl, const settings& cfg,
                     const download_request& req) {
  download_reply reply;
  reply.label = req.label;
  reply.path = req.path;
  auto started = std::chrono::steady_clock::now();
  download_options opts = options_of(cfg, req);
  opts.expected_md5 = published_md5(dl, cfg, req, opts);
  if (req.force)
    discard_download(req.path);
  if (reusable(req.path, opts.expected_md5)) {
    reply.reused = true;
    reply.bytes = std::filesystem::file_size(req.path);
  } else {
    std::string label = req.label;
    opts.on_progress = [label, started](uint64_t now, uint64_t total) {
      double secs = seconds_since(started);
      log_line("download", label + " " + format_mb(static_cast<double>(now))
                             + (total > 0 ? " of " + format_mb(total) : "")
                             + " at " + format_mb(now / (secs > 0 ? secs : 1))
                             + "/s");
    };
    auto r = dl.fetch(req.url, req.path, opts);
    reply.bytes = r.bytes;
    if (r.attempts > 1 || r.resumed)
      log_line("download", label + ": complete after "
                             + std::to_string(r.attempts) + " attempts"
                             + (r.resumed ? " (resumed)" : ""));
  }
  reply.seconds = seconds_since(started);
  return reply;
}

} // namespace

caf::behavior download_worker(caf::event_based_actor*, settings cfg) {
  auto dl = std::make_shared<downloader>();
  return {
    [dl, cfg](download_request& req) -> caf::result<download_reply> {
      if (run_cancelled(req.run_id))
        return make_error(gaia_errc::cancelled, req.url + ": run cancelled");
      try {
        return fetch(*dl, cfg, req);
      } catch (const output_error& e) {
        return make_error(gaia_errc::output_failed, e.what());
      } catch (const download_error& e) {
        if (run_cancelled(req.run_id))
          return make_error(gaia_errc::cancelled, e.what());
        return make_error(gaia_errc::download_failed, e.what());
      } catch (const std::exception& e) {
        return make_error(gaia_errc::download_failed,
                          req.url + ": " + e.what());
      }
    },
  };
}

} // namespace gaia
