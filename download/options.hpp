// How to download: timeouts, stall limit, retries, limits, the expected
// MD5, and the callbacks of a transfer. The defaults are also the settings'
// defaults.
#pragma once

#include "download/retry.hpp"

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

namespace gaia {

/// A notable event of a download, for the log and the metrics.
struct download_notice {
  /// A retry's cause, decided where the failure was seen; nothing for the
  /// other notices (a resume, a server that ignored the range).
  std::optional<retry_cause> retry;
  /// The log line: "HTTP 503; attempt 2 of 6 in 1.0 s", "resumed at 1.2 MB".
  std::string text;
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
  /// One per notable event: a retry (its cause; the text says why, which
  /// attempt, how long the wait), a resumed transfer, a server that ignored
  /// the range.
  std::function<void(const download_notice&)> on_notice;
};

} // namespace gaia
