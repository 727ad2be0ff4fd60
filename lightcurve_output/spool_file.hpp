// A select worker's spool: one append-only file per worker and request
// (<run work>/parts/worker-<n>.spool) holding, back to back, each archive
// file's pieces: its part (a fragment or the rows' text), then its missing
// ids. A file creation per archive file was most of the light-curve
// request's system time (ext4's create walks the inode bitmap past every
// recently deleted inode), so the spool is created once and reopened for
// each archive file; the worker's 1 MiB buffer is kept from file to file.
// A piece is found again by its range (path, offset, size); it is flushed
// before its range is handed on, and only one worker ever writes a spool.
// No fsync: the request's working files are remade by a request that runs
// again.
#pragma once

#include <cstdint>
#include <cstdio>
#include <memory>
#include <string>

namespace gaia {

/// A temporary that could not be written whole: removed, and output_error
/// thrown naming it ("cannot write <tmp>: <why>").
[[noreturn]] void discard_temporary(const std::string& tmp, const std::string& why);
/// Renames a whole temporary into place; output_error naming both if not.
void rename_into_place(const std::string& tmp, const std::string& path);

/// Where one piece of a spool is.
struct spool_range {
  std::string path;
  uint64_t offset = 0; ///< its first byte in the file
  uint64_t size = 0;   ///< its bytes
};

/// "<path> (bytes A-B)": a piece as errors name it.
std::string range_name(const spool_range& r);

class spool_file {
public:
  spool_file(); ///< the buffer is allocated here once, never zero-filled
  ~spool_file(); ///< an open spool is cut back to where it was opened (unfinished work)
  spool_file(const spool_file&) = delete;
  spool_file& operator=(const spool_file&) = delete;

  /// Opens `path` to append (created the first time); a piece begins at
  /// its end. Throws output_error naming it.
  void open(const std::string& path);
  bool is_open() const { return f_ != nullptr; }
  /// Write errors throw output_error naming the spool.
  void write(const char* data, size_t n);
  /// Bytes of the piece being written.
  uint64_t size() const { return size_; }
  /// The piece back to empty (a download that starts over): the spool is
  /// cut back to where it began.
  void truncate();
  /// The piece is whole: flushed, its range returned; the next begins after it.
  spool_range end_piece();
  /// Closes it, keeping every ended piece. Throws output_error naming it.
  void close();
  /// Closes it, cut back to where open() found its end (a selection that
  /// failed leaves nothing behind). Never throws.
  void discard();

private:
  std::string path_;
  std::unique_ptr<char[]> buffer_; ///< stdio's (glibc ignores a size without one: 4 KiB writes)
  std::FILE* f_ = nullptr;
  uint64_t opened_at_ = 0; ///< the file's size when opened
  uint64_t piece_at_ = 0;  ///< where the piece being written begins
  uint64_t size_ = 0;
};

/// Reads one piece of a spool front to back (a part's rows, a list of ids).
class spool_range_reader {
public:
  /// Throws input_error naming the file when it cannot be opened or is
  /// shorter than the range.
  explicit spool_range_reader(const spool_range& r);
  ~spool_range_reader();
  spool_range_reader(const spool_range_reader&) = delete;
  spool_range_reader& operator=(const spool_range_reader&) = delete;

  /// The next byte, or EOF at the range's end.
  int next() {
    if (at_ < end_) return static_cast<unsigned char>(buffer_[at_++]);
    return refill() ? static_cast<unsigned char>(buffer_[at_++]) : EOF;
  }
  /// The next line (without its '\n') into `line`; false at the range's end.
  bool line(std::string& line);
  /// The rest of the range appended to `out`, a buffer at a time.
  void append_rest(std::string& out);
  /// Where the range is (errors name it: range_name).
  const spool_range& range() const { return range_; }

private:
  bool refill();
  spool_range range_;
  int fd_ = -1;
  uint64_t left_ = 0; ///< bytes of the range not yet read into the buffer
  uint64_t file_at_ = 0;
  std::unique_ptr<char[]> buffer_;
  size_t at_ = 0, end_ = 0;
};

} // namespace gaia
