#include "tools/synth/synth_gzip.hpp"

#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace gaia::synth {

namespace {

[[noreturn]] void fail(const std::string& what, const std::string& path) {
  throw std::runtime_error(what + " " + path + ": " + std::strerror(errno));
}

} // namespace

gzip_writer::gzip_writer(const std::string& path, int level)
  : path_(path), out_(256 * 1024) {
  file_ = std::fopen(path.c_str(), "wb");
  if (file_ == nullptr) fail("cannot create", path);
  // windowBits 31 = 15 + 16: a gzip wrapper (header with mtime 0, so equal
  // input gives equal bytes).
  if (deflateInit2(&zs_, level, Z_DEFLATED, 31, 9, Z_DEFAULT_STRATEGY) != Z_OK) {
    std::fclose(file_);
    throw std::runtime_error("deflateInit2 failed for " + path);
  }
  zs_ready_ = true;
}

gzip_writer::~gzip_writer() {
  if (zs_ready_) deflateEnd(&zs_);
  if (file_ != nullptr) std::fclose(file_);
}

void gzip_writer::put(const unsigned char* p, size_t n) {
  if (n == 0) return;
  if (std::fwrite(p, 1, n, file_) != n) fail("cannot write", path_);
  written_ += n;
}

void gzip_writer::pump(int flush) {
  int rc;
  do {
    zs_.next_out = out_.data();
    zs_.avail_out = static_cast<uInt>(out_.size());
    rc = deflate(&zs_, flush);
    if (rc == Z_STREAM_ERROR) throw std::runtime_error("deflate failed for " + path_);
    put(out_.data(), out_.size() - zs_.avail_out);
  } while (zs_.avail_out == 0 || (flush == Z_FINISH && rc != Z_STREAM_END));
}

void gzip_writer::write(const char* data, size_t n) {
  text_bytes_ += n;
  // zlib's avail_in is 32-bit: feed very large buffers in slices.
  while (n > 0) {
    const size_t slice = n < (1u << 30) ? n : (1u << 30);
    zs_.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(data));
    zs_.avail_in = static_cast<uInt>(slice);
    pump(Z_NO_FLUSH);
    data += slice;
    n -= slice;
  }
}

void gzip_writer::end_member() {
  zs_.next_in = nullptr;
  zs_.avail_in = 0;
  pump(Z_FINISH);
  deflateReset(&zs_); // writes a fresh gzip header with the next byte
}

uint64_t gzip_writer::close() {
  end_member();
  deflateEnd(&zs_);
  zs_ready_ = false;
  if (std::fflush(file_) != 0) fail("cannot write", path_);
  std::FILE* f = file_;
  file_ = nullptr;
  if (std::fclose(f) != 0) fail("cannot close", path_);
  return written_;
}

} // namespace gaia::synth
