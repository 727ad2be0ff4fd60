// One run at a time per output directory, across processes and containers
// sharing the directory, whatever happens to results.lock meanwhile.
#pragma once

#include <memory>
#include <string>
#include <sys/stat.h>
#include <sys/types.h>

namespace engine {

/// What results.lock says about the run that wrote it: lines "pid N",
/// "host H", "started T" (older versions wrote the bare pid).
struct lock_owner {
  std::string pid; ///< as written; empty when unknown
  std::string host;
  std::string started; ///< UTC, ISO 8601

  /// "pid 12 on host h", "pid 12", or "pid unknown".
  std::string describe() const;
  static lock_owner parse(const std::string& text);
};

/// Ownership of an output directory for one run.
///
/// What counts is an exclusive flock() on the output directory itself, for
/// the whole run. Unlike results.lock it cannot be deleted or replaced by
/// hand while the run works, and the kernel drops it when the owner dies,
/// so a crashed run's directory is simply taken (a pid check would be
/// wrong: pids are reused, and a restarted container often gets the very
/// same pid). Only the owner writes results.lock, once it has the
/// directory, for people and `status` to read: whatever was there (a
/// crashed run's file, a copy from another host) is replaced. The owner
/// also holds a flock on its results.lock, the lock older versions of
/// the program take and respect.
class run_lock {
public:
  /// What try_acquire found.
  struct attempt {
    std::unique_ptr<run_lock> lock; ///< set when acquired
    lock_owner holder;              ///< when busy: what results.lock says
    bool took_over_stale = false;   ///< a results.lock nobody held was replaced
    lock_owner stale_owner;         ///< what it said
  };

  /// `path` is output_dir/results.lock. Does not wait for a run; waits at
  /// most a quarter second for `status` probes, which hold the directory
  /// shared for microseconds. Throws output_error naming `path` when the
  /// directory cannot be locked or the file cannot be written.
  static attempt try_acquire(const std::string& path);

  /// True when a run holds the directory of `path` (results.lock) right
  /// now; `holder` then gets what results.lock says. Probes with shared
  /// locks released at once.
  static bool held(const std::string& path, lock_owner* holder);

  enum class state { intact, deleted, replaced };
  struct check_result {
    state what = state::intact;
    lock_owner now; ///< replaced: what the file says now
  };
  /// Whether results.lock is still the file this lock wrote, unchanged.
  check_result check() const;

  ~run_lock(); ///< release()
  run_lock(const run_lock&) = delete;
  run_lock& operator=(const run_lock&) = delete;

  /// Removes results.lock if it is still ours (a file someone put in its
  /// place stays), then gives up the directory.
  void release();
  const std::string& path() const { return path_; }

private:
  run_lock(std::string path, int dir_fd, int fd, std::string text,
           const struct stat& st);

  std::string path_;
  int dir_fd_ = -1; ///< holds the directory's flock
  int fd_ = -1;     ///< our results.lock, flocked too
  std::string text_; ///< what we wrote in it
  dev_t dev_ = 0;
  ino_t ino_ = 0;
};

} // namespace engine
