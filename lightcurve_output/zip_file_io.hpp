// minizip's file layer over one large buffer of our own. minizip writes
// each entry's local header, then the data, then seeks back to patch the
// header's CRC and sizes; over stdio every such seek flushed the buffer
// (61,000 write() calls for 13,000 entries). Here a write at a position
// still in the buffer is a memcpy, so the patch costs no system call and
// the file is written in buffer-sized pieces.
#pragma once

#include <zip.h>

#include <cstdint>
#include <string>
#include <vector>

namespace gaia {

/// The buffered file behind one zip_writer. Not thread-safe (one zip, one
/// thread, as minizip itself).
class zip_file_io {
public:
  explicit zip_file_io(size_t buffer_bytes = size_t{8} << 20);
  /// The function table for zipOpen2_64, bound to this object.
  zlib_filefunc64_def* funcs() { return &funcs_; }
  /// The first system error met ("" when none): minizip reports only that
  /// a write failed.
  const std::string& error() const { return error_; }

private:
  static voidpf open(voidpf opaque, const void* name, int mode);
  static uLong read(voidpf opaque, voidpf stream, void* buf, uLong size);
  static uLong write(voidpf opaque, voidpf stream, const void* buf, uLong size);
  static ZPOS64_T tell(voidpf opaque, voidpf stream);
  static long seek(voidpf opaque, voidpf stream, ZPOS64_T offset, int origin);
  static int close(voidpf opaque, voidpf stream);
  static int test_error(voidpf opaque, voidpf stream);

  bool flush();
  bool put_at(uint64_t at, const char* data, size_t n);
  void failed(const char* what);

  zlib_filefunc64_def funcs_{};
  int fd_ = -1;
  std::vector<char> buf_;
  uint64_t buf_start_ = 0; ///< the file offset of buf_[0]
  size_t buf_len_ = 0;     ///< bytes of buf_ holding data
  uint64_t pos_ = 0;       ///< where the next write goes
  uint64_t size_ = 0;      ///< the file's size, buffered bytes included
  std::string error_;
};

} // namespace gaia
