// results.lock: at most one run at a time per output directory, across
// processes and containers sharing the directory.
#pragma once

#include <memory>
#include <string>

namespace gaia {

/// Ownership of results.lock. The file holds the owner's pid for people to
/// read; what counts is the exclusive flock() held on it for the whole run:
/// the kernel drops it when the owner dies, so a lock file nobody holds was
/// left by a crash and is taken over. (A pid check alone would be wrong: pids
/// are reused, and a restarted container often gets the very same pid.)
class run_lock {
public:
  /// What try_acquire found.
  struct attempt {
    std::unique_ptr<run_lock> lock;  ///< set when acquired
    std::string holder;              ///< when busy: the holder's pid text
    bool took_over_stale = false;    ///< a crashed run's lock was taken over
    std::string stale_owner;         ///< its pid text
  };

  /// Tries once, without waiting. Throws output_error when the file cannot
  /// be created at all (unwritable directory).
  static attempt try_acquire(const std::string& path);

  ~run_lock(); ///< release()
  run_lock(const run_lock&) = delete;
  run_lock& operator=(const run_lock&) = delete;

  /// Removes the file while still holding the flock, then closes it.
  void release();
  const std::string& path() const { return path_; }

private:
  run_lock(std::string path, int fd) : path_(std::move(path)), fd_(fd) {}
  std::string path_;
  int fd_ = -1;
};

} // namespace gaia
