// gzip_reader: a file read with plain read() straight into gzip_stream's
// input buffer, inflated into the caller's buffer on demand.
#include "archive/gzip_reader.hpp"

#include "core/errors.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace gaia {

namespace {

/// The caller's buffer as a text_sink.
struct span_sink final : text_sink {
  char* out;
  size_t cap;
  size_t used = 0;
  span_sink(char* o, size_t c) : out(o), cap(c) {}
  std::pair<char*, size_t> room() override { return {out + used, cap - used}; }
  void wrote(size_t n) override { used += n; }
};

} // namespace

struct gzip_reader::impl {
  gzip_stream stream;
  int fd = -1;
  bool eof = false;

  impl(const std::string& path, inflate_backend b) : stream(path, b) {
    fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
      throw input_error(path + ": cannot open: " + std::strerror(errno));
    ::posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
  }

  ~impl() {
    if (fd >= 0) ::close(fd);
  }

  void read_more() {
    auto [room, cap] = stream.input_room();
    for (;;) {
      ssize_t got = ::read(fd, room, cap);
      if (got < 0 && errno == EINTR) continue;
      if (got < 0)
        throw input_error(stream.name() + ": read failed: " + std::strerror(errno));
      if (got == 0) eof = true;
      stream.input_added(static_cast<size_t>(got));
      return;
    }
  }

  size_t read(char* out, size_t n) {
    span_sink sink(out, n);
    while (sink.used < n && !stream.finished()) {
      if (!stream.pump(sink)) break; // the caller's buffer is full
      if (eof)
        stream.finish(sink);
      else
        read_more();
    }
    return sink.used;
  }
};

gzip_reader::gzip_reader(std::string path, inflate_backend backend)
  : path_(std::move(path)), impl_(std::make_unique<impl>(path_, backend)) {}

gzip_reader::~gzip_reader() = default;

size_t gzip_reader::read(char* out, size_t n) { return impl_->read(out, n); }

uint64_t gzip_reader::compressed_bytes() const { return impl_->stream.compressed_bytes(); }

uint64_t gzip_reader::uncompressed_bytes() const {
  return impl_->stream.uncompressed_bytes();
}

bool has_gzip_magic(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  unsigned char magic[2] = {0, 0};
  ssize_t got;
  do {
    got = ::pread(fd, magic, 2, 0);
  } while (got < 0 && errno == EINTR);
  ::close(fd);
  return got == 2 && gzip_magic(magic);
}

uint64_t verify_gzip_file(const std::string& path, inflate_backend backend) {
  // Same output size as the ECSV reader's text buffer, so the benchmark's
  // inflate floor measures the same inflater work.
  constexpr size_t chunk = 1024 * 1024;
  std::unique_ptr<char[]> buf(new char[chunk]);
  gzip_reader reader(path, backend);
  while (reader.read(buf.get(), chunk) > 0) {
  }
  return reader.uncompressed_bytes();
}

} // namespace gaia
