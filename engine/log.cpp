#include "engine/log.hpp"

#include <atomic>
#include <chrono>
#include <cstdio>
#include <ctime>
#include <map>
#include <mutex>
#include <unistd.h>

namespace engine {

namespace {

std::atomic<bool> quiet{false};

using listener = std::function<void(const std::string&, const std::string&)>;

/// The listeners, and whether there are any (checked without the lock).
std::mutex listeners_mu;
std::map<int, listener> listeners;
std::atomic<bool> any_listener{false};
int next_listener = 0;

} // namespace

thread_local uint64_t scoped_run = 0;

log_scope::log_scope(uint64_t run_id) : previous_(scoped_run) { scoped_run = run_id; }
log_scope::~log_scope() { scoped_run = previous_; }
uint64_t log_run() { return scoped_run; }

void set_log_quiet(bool q) { quiet = q; }

int add_log_listener(listener l) {
  std::lock_guard<std::mutex> lock(listeners_mu);
  listeners[++next_listener] = std::move(l);
  any_listener = true;
  return next_listener;
}

void remove_log_listener(int id) {
  std::lock_guard<std::mutex> lock(listeners_mu);
  listeners.erase(id);
  any_listener = !listeners.empty();
}

void log_line(const std::string& component, const std::string& text) {
  if (any_listener) {
    std::lock_guard<std::mutex> lock(listeners_mu);
    for (const auto& [id, l] : listeners) l(component, text);
  }
  if (quiet)
    return;
  using namespace std::chrono;
  auto now = system_clock::now();
  auto secs = system_clock::to_time_t(now);
  auto ms = duration_cast<milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  gmtime_r(&secs, &tm);
  char stamp[64];
  std::snprintf(stamp, sizeof stamp, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
                tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
                tm.tm_min, tm.tm_sec, static_cast<int>(ms));
  std::string line = std::string(stamp) + " " + component + ": " + text + "\n";
  // A single write() keeps lines from different threads whole.
  ssize_t ignored = ::write(STDERR_FILENO, line.data(), line.size());
  (void) ignored;
}

std::string utc_now() { return utc_text(std::time(nullptr)); }

std::string format_mb(double bytes) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.1f MB", bytes / 1e6);
  return buf;
}

std::string utc_text(std::time_t t) {
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

} // namespace engine
