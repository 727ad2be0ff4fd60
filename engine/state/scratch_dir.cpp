#include "engine/state/scratch_dir.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <stdexcept>
#include <system_error>
#include <utility>

namespace engine {

namespace fs = std::filesystem;

namespace {

constexpr const char* lock_suffix = ".lock";

/// Opens `lock_path` and takes its flock without waiting: the fd, or -1
/// when another process holds it (`busy`) or it cannot be opened. The lock
/// holds only if the file is still the one at `lock_path` after locking (a
/// sweeper may have removed it between our open and our flock).
int lock_file(const std::string& lock_path, bool create, bool& busy) {
  busy = false;
  for (int attempt = 0; attempt < 100; ++attempt) {
    const int fd = ::open(lock_path.c_str(), O_RDWR | O_CLOEXEC | (create ? O_CREAT : 0), 0644);
    if (fd < 0) return -1;
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
      busy = errno == EWOULDBLOCK;
      ::close(fd);
      return -1;
    }
    struct stat held {}, now {};
    if (::fstat(fd, &held) == 0 && ::stat(lock_path.c_str(), &now) == 0
        && held.st_ino == now.st_ino && held.st_dev == now.st_dev)
      return fd;
    ::close(fd); // removed under us: the file at the path is another one
    if (!create) return -1;
  }
  return -1;
}

} // namespace

scratch_dir::scratch_dir(std::string path) : path_(std::move(path)) {
  bool busy = false;
  std::error_code ec;
  fs::create_directories(fs::path(path_).parent_path(), ec);
  lock_fd_ = lock_file(path_ + lock_suffix, true, busy);
  if (lock_fd_ < 0)
    throw std::runtime_error(path_ + lock_suffix + ": "
                             + (busy ? std::string("in use by another process")
                                     : std::string(std::strerror(errno))));
  fs::remove_all(path_, ec); // a killed process's folder of the same name
  if (ec || !fs::create_directories(path_, ec) || ec) {
    const std::string why = ec ? ec.message() : "cannot create it";
    remove();
    throw std::runtime_error(path_ + ": " + why);
  }
}

scratch_dir::~scratch_dir() { remove(); }

scratch_dir::scratch_dir(scratch_dir&& o) noexcept
  : path_(std::move(o.path_)), lock_fd_(std::exchange(o.lock_fd_, -1)) {
  o.path_.clear();
}

scratch_dir& scratch_dir::operator=(scratch_dir&& o) noexcept {
  if (this != &o) {
    remove();
    path_ = std::move(o.path_);
    o.path_.clear();
    lock_fd_ = std::exchange(o.lock_fd_, -1);
  }
  return *this;
}

void scratch_dir::remove(std::string* error) {
  if (lock_fd_ < 0) return;
  std::error_code ec;
  fs::remove_all(path_, ec);
  if (ec && error && error->empty()) *error = path_ + ": " + ec.message();
  // The lock file last, while still locked: a sweeper that sees no lock
  // file takes the folder for a killed owner's.
  fs::remove(path_ + lock_suffix, ec);
  ::close(lock_fd_);
  lock_fd_ = -1;
}

int scratch_dir::sweep_stale(const std::string& parent) {
  int removed = 0;
  std::error_code ec;
  for (fs::directory_iterator it(parent, ec), end; !ec && it != end; it.increment(ec)) {
    const fs::path p = it->path();
    std::error_code ie;
    if (!it->is_directory(ie)) {
      // A lock file whose folder is gone (its owner was killed before
      // making it or after removing it): removed when nobody holds it.
      const std::string name = p.filename().string();
      const size_t n = std::strlen(lock_suffix);
      if (name.size() <= n || name.compare(name.size() - n, n, lock_suffix) != 0) continue;
      const fs::path folder = p.parent_path() / name.substr(0, name.size() - n);
      bool busy = false;
      const int fd = fs::exists(folder, ie) ? -1 : lock_file(p.string(), false, busy);
      if (fd >= 0) {
        fs::remove(p, ie);
        ::close(fd);
      }
      continue;
    }
    const std::string lock_path = p.string() + lock_suffix;
    bool busy = false;
    const int fd = lock_file(lock_path, false, busy);
    if (fd < 0) {
      // Held by a live owner, or gone: without a lock file the folder's
      // owner is dead (it made the lock file before the folder and removes
      // it after). Checked again so that a folder whose owner is taking
      // its lock right now stays: the owner's lock file exists by then.
      if (busy || fs::exists(lock_path, ie)) continue;
      fs::remove_all(p, ie);
      if (!ie) ++removed;
      continue;
    }
    fs::remove_all(p, ie);
    if (!ie) ++removed;
    fs::remove(lock_path, ie);
    ::close(fd);
  }
  return removed;
}

} // namespace engine
