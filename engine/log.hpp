// One log line = one write to stderr, prefixed with UTC time and the name of
// the component (actor) that speaks. stdout stays free for results.
#pragma once

#include <chrono>
#include <cstdint>
#include <ctime>
#include <functional>
#include <string>

namespace engine {

/// "2026-11-21T05:40:01.123Z process: download 3/20 000000-003111 18.2 MB"
void log_line(const std::string& component, const std::string& text);

/// Silences log_line on stderr (tests that spawn many productions);
/// listeners still hear every line.
void set_log_quiet(bool quiet);

/// Hears every log line (component, text) as it is written, from any
/// thread: the live view's event log, tests. Returns an id for
/// remove_log_listener.
int add_log_listener(std::function<void(const std::string& component,
                                        const std::string& text)> listener);
void remove_log_listener(int id);

/// The run this thread works for while the scope lives (0: none, the
/// default): a log line written meanwhile is that run's, and a trace
/// records only its own run's lines and lines of no run. Two productions
/// trace their runs into one folder at once (serve's light-curve inbox
/// beside the variability run): each run's file gets its own lines. Put
/// one at the top of a handler that works for a run (a request carries its
/// run_id); scopes nest, the inner one wins until it ends.
class log_scope {
public:
  explicit log_scope(uint64_t run_id);
  ~log_scope();
  log_scope(const log_scope&) = delete;
  log_scope& operator=(const log_scope&) = delete;

private:
  uint64_t previous_;
};

/// The run of the innermost log_scope on this thread, 0 when none.
uint64_t log_run();

/// `t` as ISO 8601 UTC to the second: "2026-11-21T05:40:01Z" (markers,
/// the lock, the provenance of an answer).
std::string utc_text(std::time_t t);

/// utc_text of now: the time a marker or lock file records.
std::string utc_now();

/// "18.2 MB" (decimal megabytes, one decimal).
std::string format_mb(double bytes);

/// Seconds from `t` to now, for "in 0.3 s" log lines and replies.
inline double seconds_since(std::chrono::steady_clock::time_point t) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t)
    .count();
}

} // namespace engine
