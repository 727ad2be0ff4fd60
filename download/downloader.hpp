// One archive file from a URL with libcurl, its bytes streamed as they
// arrive into the MD5, the import (a stream_consumer) and, when the archive
// is kept, "<dest>.part" (renamed on success). Checked: complete, its first
// bytes (the caller's body_check), the consumer's verdict, the published MD5. Transient failures are retried
// with backoff, and an interrupted transfer is resumed with a Range request.
#pragma once

#include "download/download_part.hpp"
#include "download/options.hpp"
#include "core/errors.hpp"
#include "core/source_version.hpp"

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>

namespace gaia {

/// A download that failed for good. what() names the URL and the cause;
/// the operation that caught it names its kind.
class download_error : public engine::failure {
public:
  using engine::failure::failure;
};

/// A download stopped because its run was cancelled: no verdict on the URL
/// (answered as the engine's `cancelled`).
class download_cancelled : public download_error {
public:
  explicit download_cancelled(const std::string& what)
    : download_error(engine::error_atom::value, static_cast<uint8_t>(engine::errc::cancelled),
                     what) {}
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

  /// Fetches `url`, its bytes going to `consumer` (when given) and, when
  /// `dest` is not empty, into `dest` via "<dest>.part" (resumed from an
  /// earlier run where the server allows). Retries what may pass (timeouts,
  /// stalls, dropped connections, short bodies, HTTP 5xx/429, a body that
  /// fails opts.body or that the consumer finds damaged (damaged_bytes_error),
  /// an MD5 mismatch); on a retry the consumer
  /// continues where the bytes continue, or is restarted. Throws
  /// download_error naming the URL and the cause (e.g.
  /// "https://.../x.csv.gz: HTTP 404"), output_error when the disk fails,
  /// and the consumer's input_error for a file that cannot be imported;
  /// `dest` is never left partial.
  download_result fetch(const std::string& url, const std::string& dest,
                        const download_options& opts, stream_consumer* consumer = nullptr);

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

/// Reads the local file `path` (the source `url` names, or a kept copy)
/// once: its bytes go to the hash and to `consumer`, then its MD5 is
/// checked against opts.expected_md5. Throws download_error naming `url`
/// (no such file, not of opts.body's format, too large, MD5 mismatch), and
/// the consumer's errors. Returns what the file is.
source_version read_local(const std::string& path, const std::string& url,
                          const download_options& opts, stream_consumer& consumer);

/// The local path a file:// URL names (percent-decoded), or nothing for
/// another scheme or a file:// URL of another host. Throws download_error
/// for a file:// URL that names no absolute path.
std::optional<std::string> file_url_path(const std::string& url);

/// Removes the file and any ".part" (and its ".part.info").
void discard_download(const std::string& path);

} // namespace gaia
