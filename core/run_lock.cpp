#include "core/run_lock.hpp"

#include "core/errors.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

namespace gaia {

namespace {

std::string read_all(int fd) {
  std::string out;
  char buf[256];
  ::lseek(fd, 0, SEEK_SET);
  ssize_t n;
  while ((n = ::read(fd, buf, sizeof buf)) > 0)
    out.append(buf, static_cast<size_t>(n));
  while (!out.empty() && (out.back() == '\n' || out.back() == ' '))
    out.pop_back();
  return out;
}

} // namespace

run_lock::attempt run_lock::try_acquire(const std::string& path) {
  attempt result;
  // A few rounds: we may open the file just before its owner unlinks it, and
  // then hold a lock on a file nobody sees. Re-check that the path still
  // names the inode we locked.
  for (int round = 0; round < 8; ++round) {
    int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (fd < 0)
      throw output_error(path + ": cannot create the lock file: "
                         + std::strerror(errno));
    if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
      int err = errno;
      result.holder = read_all(fd);
      ::close(fd);
      if (err == EWOULDBLOCK)
        return result;
      throw output_error(path + ": flock failed: " + std::strerror(err));
    }
    struct stat by_fd {}, by_path {};
    if (::fstat(fd, &by_fd) != 0 || ::stat(path.c_str(), &by_path) != 0
        || by_fd.st_ino != by_path.st_ino || by_fd.st_dev != by_path.st_dev) {
      ::close(fd);
      continue;
    }
    std::string previous = read_all(fd);
    if (!previous.empty()) {
      result.took_over_stale = true;
      result.stale_owner = previous;
    }
    std::string pid = std::to_string(::getpid()) + "\n";
    if (::ftruncate(fd, 0) != 0
        || ::pwrite(fd, pid.data(), pid.size(), 0)
             != static_cast<ssize_t>(pid.size())) {
      int err = errno;
      ::unlink(path.c_str());
      ::close(fd);
      throw output_error(path + ": cannot write the lock file: "
                         + std::strerror(err));
    }
    ::fsync(fd);
    result.lock.reset(new run_lock(path, fd));
    return result;
  }
  throw output_error(path + ": lock file keeps changing under us");
}

run_lock::~run_lock() { release(); }

void run_lock::release() {
  if (fd_ < 0)
    return;
  ::unlink(path_.c_str());
  ::close(fd_);
  fd_ = -1;
}

} // namespace gaia
