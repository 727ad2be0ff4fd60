// A select worker's output file (a text part or a fragment), written as
// the archive file streams: under "<path>.tmp" through a 1 MiB buffer,
// truncated when the transfer starts over, renamed into place when the
// file's selection is complete. No fsync: the request's working files are
// remade by a request that runs again.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

namespace gaia {

/// A temporary that could not be written whole: removed, and output_error
/// thrown naming it ("cannot write <tmp>: <why>").
[[noreturn]] void discard_temporary(const std::string& tmp, const std::string& why);
/// Renames a whole temporary into place; output_error naming both if not.
void rename_into_place(const std::string& tmp, const std::string& path);

class spool_file {
public:
  /// Throws output_error naming the temporary when it cannot be created.
  explicit spool_file(std::string path);
  ~spool_file(); ///< without commit(): the temporary is removed
  spool_file(const spool_file&) = delete;
  spool_file& operator=(const spool_file&) = delete;

  /// Write errors throw output_error naming the temporary.
  void write(const char* data, size_t n);
  /// Back to an empty file (a download that starts over).
  void truncate();
  /// Closes it and renames it to `path`.
  void commit();
  /// Bytes written since the start (or the last truncate()).
  uint64_t size() const { return size_; }

private:
  std::string path_, tmp_;
  std::vector<char> buffer_; ///< stdio's (glibc ignores a size without one: 4 KiB writes)
  std::FILE* f_ = nullptr;
  uint64_t size_ = 0;
};

} // namespace gaia
