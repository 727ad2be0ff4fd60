// Waits on events, not on the clock, for tests of real processes: a
// condition over files (a marker, a child's log, the progress file) is
// re-checked each time inotify reports a change in the directories it reads,
// and nowhere else; a deadline only bounds how long a broken build can hang.
// A child's exit is awaited on its pidfd.
#pragma once

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <climits>
#include <filesystem>
#include <functional>
#include <poll.h>
#include <stdexcept>
#include <string>
#include <cstring>
#include <sys/inotify.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

namespace gaia::test {

/// An inotify instance watching directories for anything that changes what
/// they hold: files created, written, renamed in or out, deleted. A
/// directory not there yet is watched through its nearest existing
/// ancestor, and itself once it appears.
class dir_events {
public:
  explicit dir_events(std::vector<std::filesystem::path> dirs) : dirs_(std::move(dirs)) {
    fd_ = ::inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
    if (fd_ < 0)
      throw std::runtime_error("inotify_init1 failed");
    watch();
  }
  ~dir_events() { ::close(fd_); }
  dir_events(const dir_events&) = delete;
  dir_events& operator=(const dir_events&) = delete;

  /// Blocks until the next change or `deadline`; false at the deadline.
  bool next(std::chrono::steady_clock::time_point deadline) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0)
      return false;
    pollfd p{fd_, POLLIN, 0};
    int r = ::poll(&p, 1, static_cast<int>(std::min<long long>(left.count(), INT_MAX)));
    if (r <= 0)
      return false;
    alignas(inotify_event) char buf[16384];
    while (::read(fd_, buf, sizeof buf) > 0) {
    }
    watch(); // a directory may have appeared, or been replaced
    return true;
  }

private:
  void watch() {
    constexpr uint32_t mask = IN_CREATE | IN_MODIFY | IN_CLOSE_WRITE | IN_MOVED_TO
                              | IN_MOVED_FROM | IN_DELETE | IN_ATTRIB | IN_DELETE_SELF
                              | IN_MOVE_SELF;
    for (const auto& d : dirs_) {
      auto at = d;
      std::error_code ec;
      while (!std::filesystem::is_directory(at, ec) && at.has_parent_path()
             && at != at.parent_path())
        at = at.parent_path();
      // Adding a watch twice is harmless: inotify returns the same one.
      ::inotify_add_watch(fd_, at.c_str(), mask);
    }
  }

  std::vector<std::filesystem::path> dirs_;
  int fd_ = -1;
};

/// Waits until `holds()`, checking it now and after each change in `dirs`;
/// false if `limit` passes first. The directories must be where every file
/// `holds` reads lives (a child's log_dir(), a layout's dir, ...).
inline bool wait_on_files(const std::vector<std::filesystem::path>& dirs,
                          const std::function<bool()>& holds,
                          std::chrono::milliseconds limit) {
  const auto deadline = std::chrono::steady_clock::now() + limit;
  dir_events events(dirs); // before the first check: no change is missed
  while (!holds())
    if (!events.next(deadline))
      return holds();
  return true;
}

/// Waits until `file` exists.
inline bool wait_for_file(const std::filesystem::path& file, std::chrono::milliseconds limit) {
  return wait_on_files({file.parent_path()}, [&] { return std::filesystem::exists(file); },
                       limit);
}

/// Waits until `file` is gone.
inline bool wait_for_no_file(const std::filesystem::path& file,
                             std::chrono::milliseconds limit) {
  return wait_on_files({file.parent_path()}, [&] { return !std::filesystem::exists(file); },
                       limit);
}

/// Waits for child `pid` to exit, on its pidfd; reaps it and gives its wait
/// status (and `usage`, if asked). False (the child left alone) when
/// `limit` passes first.
inline bool wait_for_exit(pid_t pid, std::chrono::milliseconds limit, int& status,
                          struct rusage* usage = nullptr) {
  const int fd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
  if (fd < 0)
    throw std::runtime_error(std::string("pidfd_open failed: ") + std::strerror(errno));
  const auto deadline = std::chrono::steady_clock::now() + limit;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
    pollfd p{fd, POLLIN, 0};
    if (left.count() <= 0 || ::poll(&p, 1, static_cast<int>(left.count())) >= 0
        || errno != EINTR)
      break;
  }
  ::close(fd);
  struct rusage ignored {};
  return ::wait4(pid, &status, WNOHANG, usage ? usage : &ignored) == pid;
}

/// Waits until a child's stderr holds `text` (a log line it writes).
template <class Child>
bool wait_for_log(const Child& child, const std::string& text, std::chrono::milliseconds limit) {
  return wait_on_files({child.log_dir()},
                       [&] { return child.err().find(text) != std::string::npos; }, limit);
}

/// Waits until a child says its live page listens on `port` (its "live
/// page on http://HOST:PORT/" line): from then on a connect is answered.
template <class Child>
bool wait_for_page(const Child& child, int port, std::chrono::milliseconds limit) {
  return wait_for_log(child, ":" + std::to_string(port) + "/ (/metrics", limit);
}

} // namespace gaia::test
