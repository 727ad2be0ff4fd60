// One archive file from a URL (https://, http://, file://) to disk with
// libcurl: streamed to "<dest>.part", renamed on success.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>

namespace gaia {

/// A download that failed for good. what() names the URL and the cause.
class download_error : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

struct download_options {
  long connect_timeout_s = 30;
  long total_timeout_s = 600;      ///< http_timeout_s
  /// Polled during the transfer; returning true aborts it.
  std::function<bool()> cancelled;
  /// Called at most every few seconds with (bytes so far, total or 0).
  std::function<void(uint64_t, uint64_t)> on_progress;
};

struct download_result {
  uint64_t bytes = 0;
  double seconds = 0;
};

/// Owns one curl easy handle, reused across transfers so connections to the
/// same host are kept alive. Not thread-safe: one per download worker.
class downloader {
public:
  downloader();
  ~downloader();
  downloader(const downloader&) = delete;
  downloader& operator=(const downloader&) = delete;

  /// Fetches `url` into `dest` via "<dest>.part". The body must be gzip
  /// (magic bytes), else download_error. Throws download_error naming the
  /// URL on any failure; no partial file is left under `dest`.
  download_result fetch(const std::string& url, const std::string& dest,
                        const download_options& opts);

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

/// True when `path` exists and was verified (complete gzip, CRCs checked)
/// in its current size and mtime: a small "<path>.verified" stamp says so.
bool is_verified_download(const std::string& path);
/// Writes the "<path>.verified" stamp for the file as it is now.
void mark_verified_download(const std::string& path);
/// Removes the file, its stamp and any ".part".
void discard_download(const std::string& path);

} // namespace gaia
