// Crash-safe file writing: content goes to a temporary name in the same
// directory, is fsynced, then renamed over the final name (and the
// directory fsynced), so a reader sees the old file or the whole new one.
#pragma once

#include <cstdint>
#include <cstdio>
#include <optional>
#include <string>

namespace engine {

/// How much a rename must survive.
enum class durability {
  /// fsync the file and its directory: results.csv and the markers, which
  /// people and scripts act on.
  durable,
  /// rename only: caches whose readers validate them (a CRC, the size and
  /// mtime of what they were made from), so a power cut costs at most a
  /// recomputation. Skipping the fsyncs saves several per file on a hot
  /// path.
  cache,
};

/// A file being written under "<path>.tmp.<pid>"; commit() makes it
/// visible as `path`; destroyed without commit(), the temporary is removed.
/// Write errors (disk full, ...) throw output_error naming the path.
class atomic_file {
public:
  explicit atomic_file(std::string path,
                       durability d = durability::durable);
  ~atomic_file();
  atomic_file(const atomic_file&) = delete;
  atomic_file& operator=(const atomic_file&) = delete;

  void write(const void* data, size_t n);
  void write(const std::string& s) { write(s.data(), s.size()); }
  /// Overwrites bytes at the start of the file (a header whose fields are
  /// known only at the end), then continues at the end.
  void rewrite_start(const void* data, size_t n);
  /// Flushes, fsyncs (if durable), renames to the final path, fsyncs the
  /// directory (if durable).
  void commit();
  const std::string& path() const { return path_; }

private:
  std::string path_;
  std::string tmp_path_;
  std::FILE* file_ = nullptr;
  durability durability_;
};

/// The temporary name atomic_file writes `path` under: "<path>.tmp.<pid>".
std::string temporary_path(const std::string& path);

/// Makes visible as `path` a file that a library opening its own files
/// wrote and closed at `tmp` (temporary_path(path)): fsynced (if
/// durable), renamed, its directory fsynced (if durable). On failure the
/// temporary is removed and output_error names `path`.
void commit_written_file(const std::string& tmp, const std::string& path, durability d);

/// Writes `content` to `path` atomically.
void write_file_atomic(const std::string& path, const std::string& content,
                       durability d = durability::durable);

/// The whole of a (small) file's bytes; nullopt when it cannot be opened.
/// Each caller says what that means (a config error, a default, ...).
std::optional<std::string> read_whole_file(const std::string& path);

/// fsyncs a directory so a rename inside it survives a power cut.
void fsync_directory(const std::string& dir);

/// Sets aside disk space as a file of `bytes` at `path` (allocated, not
/// sparse), so that a run that fills the disk can still free enough to
/// write its verdict. False when it cannot (the disk is already full).
bool reserve_space(const std::string& path, uint64_t bytes = 256 * 1024);

/// Gives the reserved space back (removes the file); never throws.
void release_space(const std::string& path);

/// Removes a file if it exists; other errors throw output_error.
void remove_if_exists(const std::string& path);

/// Writes all `n` bytes at `data` to `fd`, going on after a short write or
/// EINTR. False when a write fails: errno says why (ENOSPC for a write
/// that wrote nothing).
bool write_all(int fd, const void* data, size_t n);

} // namespace engine
