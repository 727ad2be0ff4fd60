// The download operation: one worker of the download pool. Owns a libcurl
// handle (connection reuse) and turns download_requests into local files.
#include "actors/operations.hpp"

#include "core/cancellation.hpp"
#include "core/downloader.hpp"
#include "core/errors.hpp"
#include "core/gzip_reader.hpp"
#include "core/log.hpp"
#include "messages/messages.hpp"

#include <chrono>
#include <filesystem>
#include <memory>

namespace gaia {

namespace {

// A local copy is reused when a stamp says it was verified as it is now, or
// when a full decompression (CRC and length of every member) passes.
bool reusable(const std::string& path) {
  if (!std::filesystem::exists(path))
    return false;
  if (is_verified_download(path))
    return true;
  try {
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
  if (req.force)
    discard_download(req.path);
  if (reusable(req.path)) {
    reply.reused = true;
    reply.bytes = std::filesystem::file_size(req.path);
  } else {
    download_options opts;
    opts.total_timeout_s = cfg.http_timeout_s;
    uint64_t run = req.run_id;
    opts.cancelled = [run] { return run_cancelled(run); };
    std::string label = req.label;
    opts.on_progress = [label, started](uint64_t now, uint64_t total) {
      double secs = std::chrono::duration<double>(
                      std::chrono::steady_clock::now() - started)
                      .count();
      log_line("download", label + " " + format_mb(static_cast<double>(now))
                             + (total > 0 ? " of " + format_mb(total) : "")
                             + " at " + format_mb(now / (secs > 0 ? secs : 1))
                             + "/s");
    };
    reply.bytes = dl.fetch(req.url, req.path, opts).bytes;
  }
  reply.seconds = std::chrono::duration<double>(
                    std::chrono::steady_clock::now() - started)
                    .count();
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
