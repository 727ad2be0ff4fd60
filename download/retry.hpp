// When to try a download again and how long to wait first: exponential
// backoff with jitter, the server's Retry-After, and sleeps that a
// cancelled run cuts short. Plain functions, tested directly.
#pragma once

#include <chrono>
#include <ctime>
#include <functional>
#include <optional>
#include <string>

namespace gaia {

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

/// HTTP statuses worth another try: 408, 429 and every 5xx. Other 4xx
/// (404, 403, ...) will not change by asking again.
bool retryable_status(long status);

} // namespace gaia
