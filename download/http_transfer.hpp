// One transfer attempt with libcurl: the request (optionally from a byte
// offset), the response's status and headers, the body handed to a sink.
// No policy here: downloader.cpp decides what to retry and what to keep.
#pragma once

#include "download/options.hpp"
#include "download/retry.hpp"

#include <cstdint>
#include <optional>
#include <string>

namespace gaia {

/// The status line and the headers that matter, of the final response
/// (after redirects).
struct response_head {
  long status = 0;              ///< 0 for file://
  int64_t content_length = -1;  ///< -1: not sent
  std::string content_type;
  std::string etag;
  std::string last_modified;
  std::string retry_after;
  std::string content_range;      ///< as sent, for error messages
  bool has_content_range = false; ///< "bytes first-last/total"
  uint64_t range_first = 0;
  uint64_t range_total = 0;       ///< 0: "*" (unknown)
};

/// True for the statuses whose body is the file: 200, 206, file://'s 0.
inline bool body_is_content(long status) {
  return status == 0 || status == 200 || status == 206;
}

/// Where a body goes. Only the body of a 200/206 (or file://) response is
/// delivered; error pages are dropped.
class body_sink {
public:
  virtual ~body_sink() = default;
  /// Called once, before the first byte; false aborts the transfer.
  virtual bool begin(const response_head& head) = 0;
  /// false aborts the transfer.
  virtual bool write(const char* data, size_t n) = 0;
};

struct transfer_request {
  std::string url;
  uint64_t range_from = 0; ///< > 0: ask for "bytes=N-"
  std::string if_range;    ///< with range_from: only if still this version
  bool head_only = false;  ///< HEAD: the headers, no body
};

struct transfer_outcome {
  int curl_code = 0;        ///< CURLcode; 0 = complete
  std::string curl_error;   ///< curl's text for it, with details
  response_head head;
  bool cancelled = false;   ///< opts.cancelled said so
  bool stalled = false;     ///< slower than the stall limit: aborted
  bool sink_aborted = false;
};

/// Performs one request on `curl` (a CURL*, reset first) with the timeouts,
/// progress and cancellation of `opts`, and its stall limit: a window of
/// stall_timeout_s that brings fewer than stall_min_bytes_per_s per second
/// (waiting for the headers included) aborts the transfer.
transfer_outcome perform_transfer(void* curl, const transfer_request& req,
                                  const download_options& opts,
                                  body_sink& sink);

/// Why another attempt may get past a curl failure: timeouts, refused or
/// dropped connections, short bodies, TLS handshakes cut off, DNS hiccups.
/// Nothing for the others: bad URLs, certificate problems, file:// errors.
std::optional<retry_cause> curl_retry_cause(int code);

/// True for curl failures another attempt may get past (those with a
/// curl_retry_cause).
inline bool retryable_curl_code(int code) { return curl_retry_cause(code).has_value(); }

} // namespace gaia
