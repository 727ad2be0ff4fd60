// When to try a download again and how long to wait first: exponential
// backoff with jitter, the server's Retry-After, and sleeps that a
// cancelled run cuts short; why a retry happened (retry_cause, decided
// once where the failure is seen) and a tally of retries by cause. Plain
// functions, tested directly.
#pragma once

#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <ctime>
#include <functional>
#include <map>
#include <optional>
#include <string>

namespace gaia {

/// Why an attempt failed in a way another attempt may get past. The names
/// (retry_cause_name) are the labels of gaia_dr3_download_retries_total
/// (README, "Metrics and probes").
enum class retry_cause : uint8_t {
  http_5xx,     ///< HTTP 500-599
  http_429,     ///< Too Many Requests
  http_408,     ///< Request Timeout
  timeout,      ///< curl's timeout (connect or whole transfer)
  connect,      ///< the host could not be resolved or connected to
  connection,   ///< a dropped connection, a partial file, nothing received, TLS cut off
  stall,        ///< slower than the stall limit
  short_body,   ///< fewer bytes than Content-Length
  not_gzip,     ///< the body fails the caller's body_check (for the archive:
                ///< not gzip, an HTML page, an empty body)
  md5_mismatch, ///< the bytes are not the published ones
  range,        ///< a 206 or 416 that does not continue the local .part
  other,        ///< anything else worth another try (damaged bytes)
};

/// How many retry_cause values there are.
inline constexpr size_t retry_cause_count = static_cast<size_t>(retry_cause::other) + 1;

/// The cause's label: "http_5xx", "short_body", ...
const char* retry_cause_name(retry_cause c);

/// Retries counted by cause, read at each /metrics scrape. One belongs to
/// the process that serves the production (cli/watch.hpp) and is shared by
/// its download workers; thread-safe.
class retry_counter {
public:
  void add(retry_cause c) { n_[static_cast<size_t>(c)].fetch_add(1, std::memory_order_relaxed); }
  uint64_t count(retry_cause c) const {
    return n_[static_cast<size_t>(c)].load(std::memory_order_relaxed);
  }
  /// Every cause by its label, those never seen at 0 (so /metrics shows
  /// zeros rather than nothing before the first retry).
  std::map<std::string, uint64_t> by_name() const;

private:
  std::array<std::atomic<uint64_t>, retry_cause_count> n_{};
};

/// The longest single backoff sleep.
inline constexpr int max_backoff_ms = 30'000;
/// The longest Retry-After honoured: a server asking for an hour would
/// otherwise stall the run for an hour.
inline constexpr int max_retry_after_s = 60;

/// The wait before retry number `retry` (1 = the first retry):
/// initial_ms * 2^(retry-1), capped at max_backoff_ms, then scaled into
/// [d/2, d] by `jitter` in [0, 1] ("equal jitter": workers that failed
/// together do not all come back at the same instant).
std::chrono::milliseconds backoff_delay(int retry, int initial_ms,
                                        double jitter);

/// A uniformly random jitter in [0, 1] (per-thread generator).
double random_jitter();

/// The seconds a Retry-After header asks for: delta-seconds or an HTTP
/// date (relative to `now`), capped at max_retry_after_s; nothing when the
/// value is empty or unreadable.
std::optional<int> parse_retry_after(const std::string& value,
                                     std::time_t now);

/// Sleeps `d` in slices of at most 50 ms so cancellation is noticed soon;
/// returns false (early) once `cancelled` says so.
bool sleep_unless_cancelled(std::chrono::milliseconds d,
                            const std::function<bool()>& cancelled);

/// Why asking again may get past an HTTP status: 408, 429 and every 5xx.
/// Nothing for other statuses (404, 403, ...): they will not change.
std::optional<retry_cause> status_retry_cause(long status);

/// HTTP statuses worth another try (those with a status_retry_cause).
inline bool retryable_status(long status) { return status_retry_cause(status).has_value(); }

} // namespace gaia
