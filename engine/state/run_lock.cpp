#include "engine/state/run_lock.hpp"

#include "engine/state/atomic_file.hpp"
#include "engine/errors.hpp"
#include "engine/log.hpp"

#include <cerrno>
#include <chrono>
#include <cstring>
#include <ctime>
#include <fcntl.h>
#include <filesystem>
#include <optional>
#include <sstream>
#include <sys/file.h>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>
#include <utility>

namespace engine {

namespace {

std::string error_text() { return std::strerror(errno); }

std::string directory_of(const std::string& path) {
  auto dir = std::filesystem::path(path).parent_path().string();
  return dir.empty() ? "." : dir;
}

/// Up to 4 KiB from the start of an open file.
std::string read_fd(int fd) {
  char buf[4096];
  ssize_t n = ::pread(fd, buf, sizeof buf, 0);
  return std::string(buf, n > 0 ? static_cast<size_t>(n) : 0);
}

/// A small file's text; nothing when it cannot be opened (missing).
std::optional<std::string> read_text(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return std::nullopt;
  std::string s = read_fd(fd);
  ::close(fd);
  return s;
}

std::string utc_now() { return utc_text(std::time(nullptr)); }

std::string host_name() {
  char buf[256] = {0};
  if (::gethostname(buf, sizeof buf - 1) != 0)
    return "unknown";
  return buf;
}

/// Takes the directory's exclusive flock: true when taken, false when a
/// run holds it. A run holds it exclusively for its whole length; `status`
/// holds it shared for a moment, and only that is worth waiting for, so a
/// status probe never makes a starting run look busy.
bool lock_directory(int dir_fd, const std::string& path) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::milliseconds(250);
  for (;;) {
    if (::flock(dir_fd, LOCK_EX | LOCK_NB) == 0)
      return true;
    if (errno != EWOULDBLOCK)
      throw output_error(path + ": cannot lock its directory: " + error_text());
    // An exclusive holder makes a shared probe fail as well.
    if (::flock(dir_fd, LOCK_SH | LOCK_NB) != 0)
      return false;
    ::flock(dir_fd, LOCK_UN);
    if (std::chrono::steady_clock::now() >= deadline)
      return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

/// True when a process holds an exclusive flock on the file at `path`, as
/// older versions of the program, which lock the lock marker only.
bool file_locked(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0)
    return false;
  bool locked = ::flock(fd, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK;
  ::close(fd); // drops the shared lock if it was taken
  return locked;
}

/// Writes `text` to a new file renamed over `path`, flocked before it
/// becomes visible; returns its descriptor. Throws output_error naming path.
int write_lock_file(const std::string& path, const std::string& text) {
  const std::string tmp = path + ".tmp." + std::to_string(::getpid());
  int fd = ::open(tmp.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0)
    throw output_error(path + ": cannot write the lock file: " + error_text());
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0
      || ::pwrite(fd, text.data(), text.size(), 0)
           != static_cast<ssize_t>(text.size())
      || ::fsync(fd) != 0 || ::rename(tmp.c_str(), path.c_str()) != 0) {
    auto err = error_text();
    ::unlink(tmp.c_str());
    ::close(fd);
    throw output_error(path + ": cannot write the lock file: " + err);
  }
  fsync_directory(directory_of(path));
  return fd;
}

/// Closes a descriptor at scope exit unless released.
struct fd_guard {
  int fd;
  ~fd_guard() {
    if (fd >= 0)
      ::close(fd);
  }
  int release() { return std::exchange(fd, -1); }
};

} // namespace

std::string lock_owner::describe() const {
  if (pid.empty())
    return "pid unknown";
  return "pid " + pid + (host.empty() ? "" : " on host " + host);
}

lock_owner lock_owner::parse(const std::string& text) {
  lock_owner o;
  std::istringstream in(text);
  std::string line;
  for (bool first = true; std::getline(in, line); first = false) {
    while (!line.empty() && (line.back() == '\r' || line.back() == ' '))
      line.pop_back();
    auto space = line.find(' ');
    auto key = line.substr(0, space);
    auto value = space == std::string::npos ? "" : line.substr(space + 1);
    if (key == "pid")
      o.pid = value;
    else if (key == "host")
      o.host = value;
    else if (key == "started")
      o.started = value;
    else if (first && !line.empty()
             && line.find_first_not_of("0123456789") == std::string::npos)
      o.pid = line; // an older version's lock: the bare pid
  }
  return o;
}

run_lock::run_lock(std::string path, int dir_fd, int fd, std::string text,
                   const struct stat& st)
  : path_(std::move(path)), dir_fd_(dir_fd), fd_(fd), text_(std::move(text)),
    dev_(st.st_dev), ino_(st.st_ino) {
}

run_lock::attempt run_lock::try_acquire(const std::string& path) {
  attempt result;
  fd_guard dir{::open(directory_of(path).c_str(),
                      O_RDONLY | O_DIRECTORY | O_CLOEXEC)};
  if (dir.fd < 0)
    throw output_error(path + ": cannot open its directory: " + error_text());
  // The loser of a race looks at results.lock but never touches it.
  if (!lock_directory(dir.fd, path) || file_locked(path)) {
    result.holder = lock_owner::parse(read_text(path).value_or(""));
    return result;
  }
  // The directory is ours: a results.lock still there was left by a run
  // that died, or copied from elsewhere. Ours replaces it.
  auto previous = read_text(path);
  std::string text = "pid " + std::to_string(::getpid()) + "\nhost "
                     + host_name() + "\nstarted " + utc_now() + "\n";
  fd_guard file{write_lock_file(path, text)};
  struct stat st {};
  if (::fstat(file.fd, &st) != 0)
    throw output_error(path + ": cannot stat the lock file: " + error_text());
  if (previous) {
    result.took_over_stale = true;
    result.stale_owner = lock_owner::parse(*previous);
  }
  result.lock.reset(
    new run_lock(path, dir.release(), file.release(), std::move(text), st));
  return result;
}

bool run_lock::held(const std::string& path, lock_owner* holder) {
  bool busy = false;
  int dir_fd = ::open(directory_of(path).c_str(),
                      O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd >= 0) {
    busy = ::flock(dir_fd, LOCK_SH | LOCK_NB) != 0 && errno == EWOULDBLOCK;
    ::close(dir_fd); // drops the shared lock if it was taken
  }
  busy = busy || file_locked(path);
  if (busy && holder != nullptr)
    *holder = lock_owner::parse(read_text(path).value_or(""));
  return busy;
}

run_lock::check_result run_lock::check() const {
  check_result r;
  struct stat st {};
  if (::stat(path_.c_str(), &st) != 0) {
    // Any other error (EIO, ...) says nothing about the file: no verdict.
    if (errno == ENOENT || errno == ENOTDIR)
      r.what = state::deleted;
    return r;
  }
  std::string now;
  if (st.st_dev != dev_ || st.st_ino != ino_)
    now = read_text(path_).value_or("");
  else if ((now = read_fd(fd_)) == text_)
    return r;
  r.what = state::replaced;
  r.now = lock_owner::parse(now);
  return r;
}

run_lock::~run_lock() { release(); }

void run_lock::release() {
  if (dir_fd_ < 0)
    return;
  if (check().what == state::intact)
    ::unlink(path_.c_str());
  ::close(fd_);
  // Last: nobody may take the directory while our results.lock is there.
  ::close(dir_fd_);
  fd_ = dir_fd_ = -1;
}

} // namespace engine
