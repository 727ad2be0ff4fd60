// How to download: timeouts, stall limit, retries, limits, the expected
// MD5, what the body must start with, and the callbacks of a transfer. The defaults are also the settings'
// defaults.
#pragma once

#include "download/retry.hpp"

#include <cstddef>
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

/// What a good body starts with, as the caller knows it: download/ sees
/// bytes only and knows no file format. A body that fails the check (a
/// proxy's HTML page) is refused at its second byte and fetched again.
struct body_check {
  /// How many first bytes `starts_right` looks at.
  static constexpr size_t start_bytes = 2;
  /// The format, named in errors: "the response is not <format>", "not a
  /// <format> file".
  std::string format;
  /// True when the body's first start_bytes bytes may be of the format;
  /// empty: any body passes (and an empty body is no error).
  std::function<bool(const unsigned char*)> starts_right;
  bool checks() const { return static_cast<bool>(starts_right); }
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
  body_check body;                    ///< what the body must start with
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
