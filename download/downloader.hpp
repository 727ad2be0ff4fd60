// One archive file from a URL (https://, http://, file://) to disk with
// libcurl: streamed to "<dest>.part", checked (complete, gzip, MD5 when
// published), renamed on success. Transient failures are retried with
// backoff, and an interrupted ".part" is resumed with a Range request.
#pragma once

#include "download/source_version.hpp"

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>

namespace gaia {

/// A download that failed for good. what() names the URL and the cause.
class download_error : public std::runtime_error {
public:
  using std::runtime_error::runtime_error;
};

/// A download stopped because its run was cancelled: no verdict on the URL.
class download_cancelled : public download_error {
public:
  using download_error::download_error;
};

/// How to download; the defaults are also the settings' defaults.
struct download_options {
  long connect_timeout_s = 30;
  long total_timeout_s = 600;         ///< http_timeout_s, per attempt
  long stall_timeout_s = 60;          ///< an attempt moving slower than
  long stall_min_bytes_per_s = 1000;  ///< this (0 = never) this long fails
  int retries = 5;                    ///< attempts after the first
  int retry_backoff_ms = 1000;        ///< first wait; doubles per retry
  uint64_t max_file_bytes = 0;        ///< a larger body is refused (0: no limit)
  std::string expected_md5;           ///< lowercase hex; empty: unchecked
  /// Polled during transfers and backoff sleeps; true aborts the download.
  std::function<bool()> cancelled;
  /// Called at most every few seconds with (bytes so far, total or 0).
  std::function<void(uint64_t, uint64_t)> on_progress;
  /// One log line per notable event: a retry (why, which attempt, how
  /// long the wait), a resumed transfer, a server that ignored the range.
  std::function<void(const std::string&)> on_notice;
};

struct download_result {
  uint64_t bytes = 0;   ///< size of the file
  double seconds = 0;
  int attempts = 0;
  bool resumed = false; ///< some attempt continued an earlier ".part"
  std::string md5;      ///< of the whole file ("" when not hashed)
  source_version source; ///< the URL and the version the bytes are of
};

/// A small text fetched into memory (the checksum list).
struct text_result {
  bool found = false; ///< false: the server says there is no such file
  long status = 0;    ///< HTTP status (0 for file://)
  std::string text;
};

/// Owns one curl easy handle, reused across transfers so connections to the
/// same host are kept alive. Not thread-safe: one per download worker.
class downloader {
public:
  downloader();
  ~downloader();
  downloader(const downloader&) = delete;
  downloader& operator=(const downloader&) = delete;

  /// Fetches `url` into `dest` via "<dest>.part", retrying what may pass
  /// (timeouts, stalls, dropped connections, short bodies, HTTP 5xx/429,
  /// a body that is not gzip, an MD5 mismatch) and resuming the ".part"
  /// where the server allows. Throws download_error naming the URL and the
  /// cause (e.g. "https://.../x.csv.gz: HTTP 404"), output_error when the
  /// disk fails; `dest` is never left partial.
  download_result fetch(const std::string& url, const std::string& dest,
                        const download_options& opts);

  /// The headers a HEAD request for `url` gets (with the same retries);
  /// throws download_error like fetch(). For an https:// or http:// URL.
  source_version head(const std::string& url, const download_options& opts);

  /// Fetches a text of at most `max_bytes` into memory, with the same
  /// retries. A 404, 403 or 410 (a missing file for file://) is not an
  /// error but found = false; other failures throw download_error.
  text_result fetch_text(const std::string& url, const download_options& opts,
                         size_t max_bytes = 16 << 20);

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

/// What a "<path>.verified" stamp records: the file's size and mtime when
/// it was downloaded and checked (complete, gzip, the published MD5 when
/// there is one), and where it came from, so that a restart reuses it
/// without hashing it again, and never for another source.
struct verified_stamp {
  uint64_t size = 0;
  int64_t mtime_ns = 0;
  source_version source;
};

/// The stamp "<path>.verified" if there is one and it matches `file` (by
/// default `path` itself) as it is now.
std::optional<verified_stamp> verified_stamp_of(const std::string& path,
                                                const std::string& file = "");
/// Writes the "<path>.verified" stamp for `file` as it is now (by default
/// `path` itself; a download stamps its ".part" just before renaming it).
void mark_verified_download(const std::string& path, const source_version& source,
                            const std::string& file = "");
/// The local path a file:// URL names (percent-decoded), or nothing for
/// another scheme or a file:// URL of another host. Throws download_error
/// for a file:// URL that names no absolute path.
std::optional<std::string> file_url_path(const std::string& url);

/// Removes the file, its stamp and any ".part" (and its ".part.info").
void discard_download(const std::string& path);

} // namespace gaia
