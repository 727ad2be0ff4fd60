// A folder of working files that one process uses for a while and removes
// when it is done, and that a killed process must not leave behind for
// good: a light-curve request's sorted ids and spools (gigabytes for a
// large request), a remote worker's job files. Several processes may keep
// such folders side by side (serve's inbox and a `lightcurves` command on
// one output_dir), so a folder's owner is told by a lock, not by a pid
// (pids are reused, and a container does not see the host's).
//
// Beside each folder NAME sits NAME.lock, flock'ed by the owner from
// before the folder exists until after it is gone; the kernel drops the
// lock when the owner dies. sweep_stale() removes every folder whose lock
// nobody holds.
#pragma once

#include <string>

namespace engine {

class scratch_dir {
public:
  scratch_dir() = default;
  /// Takes `path`'s lock and creates the folder (empty: one of that name
  /// left by a killed process is removed first). Throws std::runtime_error
  /// naming the path when it cannot, or when a live process holds it.
  explicit scratch_dir(std::string path);
  ~scratch_dir(); ///< remove()
  scratch_dir(scratch_dir&& o) noexcept;
  scratch_dir& operator=(scratch_dir&& o) noexcept;
  scratch_dir(const scratch_dir&) = delete;
  scratch_dir& operator=(const scratch_dir&) = delete;

  const std::string& path() const { return path_; }
  /// Removes the folder, then its lock file, and lets the lock go. Errors
  /// are not thrown (a destructor calls it); `error` gets the first one.
  void remove(std::string* error = nullptr);

  /// Removes the folders in `parent` that no process holds (their owner was
  /// killed) and their lock files; a folder without a lock file is a
  /// killed owner's too (the lock file goes last). Returns how many
  /// folders went. Never touches a folder a live scratch_dir holds.
  static int sweep_stale(const std::string& parent);

private:
  std::string path_;
  int lock_fd_ = -1;
};

} // namespace engine
