// minizip's file layer over our own buffer (zip_file_io.hpp).
#include "lightcurve_output/zip_file_io.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

namespace gaia {

namespace {

/// pwrite all of `n` bytes at `at`.
bool write_all_at(int fd, const char* data, size_t n, uint64_t at) {
  while (n > 0) {
    const ssize_t w = ::pwrite(fd, data, n, static_cast<off_t>(at));
    if (w < 0) {
      if (errno == EINTR) continue;
      return false;
    }
    data += w;
    n -= static_cast<size_t>(w);
    at += static_cast<uint64_t>(w);
  }
  return true;
}

} // namespace

zip_file_io::zip_file_io(size_t buffer_bytes) : buf_(buffer_bytes) {
  funcs_.zopen64_file = &zip_file_io::open;
  funcs_.zread_file = &zip_file_io::read;
  funcs_.zwrite_file = &zip_file_io::write;
  funcs_.ztell64_file = &zip_file_io::tell;
  funcs_.zseek64_file = &zip_file_io::seek;
  funcs_.zclose_file = &zip_file_io::close;
  funcs_.zerror_file = &zip_file_io::test_error;
  funcs_.opaque = this;
}

void zip_file_io::failed(const char* what) {
  if (error_.empty()) error_ = std::string(what) + ": " + std::strerror(errno);
}

voidpf zip_file_io::open(voidpf opaque, const void* name, int mode) {
  auto* self = static_cast<zip_file_io*>(opaque);
  // Only what zip_writer asks: a new file, written (APPEND_STATUS_CREATE).
  if ((mode & ZLIB_FILEFUNC_MODE_CREATE) == 0) return nullptr;
  self->fd_ = ::open(static_cast<const char*>(name), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (self->fd_ < 0) {
    self->failed("open");
    return nullptr;
  }
  self->buf_start_ = self->buf_len_ = 0;
  self->pos_ = self->size_ = 0;
  return self;
}

bool zip_file_io::flush() {
  if (buf_len_ > 0 && !write_all_at(fd_, buf_.data(), buf_len_, buf_start_)) {
    failed("write");
    return false;
  }
  buf_start_ += buf_len_;
  buf_len_ = 0;
  return true;
}

bool zip_file_io::put_at(uint64_t at, const char* data, size_t n) {
  const bool in_buffer = at >= buf_start_ && at <= buf_start_ + buf_len_;
  if (in_buffer && at - buf_start_ + n <= buf_.size()) {
    // The common case, and the header patch: a copy.
    const size_t off = static_cast<size_t>(at - buf_start_);
    std::memcpy(buf_.data() + off, data, n);
    buf_len_ = std::max(buf_len_, off + n);
    return true;
  }
  if (!flush()) return false;
  if (at == buf_start_ && n < buf_.size()) {
    std::memcpy(buf_.data(), data, n);
    buf_len_ = n;
    return true;
  }
  // Large, or behind what the buffer holds: straight to the file; the
  // buffer starts again after it.
  if (!write_all_at(fd_, data, n, at)) {
    failed("write");
    return false;
  }
  buf_start_ = at + n;
  return true;
}

uLong zip_file_io::write(voidpf opaque, voidpf, const void* buf, uLong size) {
  auto* self = static_cast<zip_file_io*>(opaque);
  if (!self->put_at(self->pos_, static_cast<const char*>(buf), size)) return 0;
  self->pos_ += size;
  self->size_ = std::max(self->size_, self->pos_);
  return size;
}

uLong zip_file_io::read(voidpf opaque, voidpf, void* buf, uLong size) {
  // minizip reads only when adding to an existing zip, which zip_writer
  // never does; served anyway, from the file as written so far.
  auto* self = static_cast<zip_file_io*>(opaque);
  if (!self->flush()) return 0;
  const ssize_t r = ::pread(self->fd_, buf, size, static_cast<off_t>(self->pos_));
  if (r < 0) {
    self->failed("read");
    return 0;
  }
  self->pos_ += static_cast<uint64_t>(r);
  return static_cast<uLong>(r);
}

ZPOS64_T zip_file_io::tell(voidpf opaque, voidpf) {
  return static_cast<zip_file_io*>(opaque)->pos_;
}

long zip_file_io::seek(voidpf opaque, voidpf, ZPOS64_T offset, int origin) {
  auto* self = static_cast<zip_file_io*>(opaque);
  switch (origin) {
  case ZLIB_FILEFUNC_SEEK_SET: self->pos_ = offset; break;
  case ZLIB_FILEFUNC_SEEK_CUR: self->pos_ += offset; break;
  case ZLIB_FILEFUNC_SEEK_END: self->pos_ = self->size_ + offset; break;
  default: return -1;
  }
  return 0;
}

int zip_file_io::close(voidpf opaque, voidpf) {
  auto* self = static_cast<zip_file_io*>(opaque);
  const bool flushed = self->flush();
  const bool closed = ::close(self->fd_) == 0;
  if (!closed) self->failed("close");
  self->fd_ = -1;
  return flushed && closed ? 0 : -1;
}

int zip_file_io::test_error(voidpf opaque, voidpf) {
  return static_cast<zip_file_io*>(opaque)->error_.empty() ? 0 : 1;
}

} // namespace gaia
