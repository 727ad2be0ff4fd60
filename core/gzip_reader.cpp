// Streaming gzip decompression with ISA-L or zlib behind one byte_source.
//
// The file is read with plain read() into one reusable input buffer; the
// inflater writes straight into the caller's buffer, so no whole-file or
// intermediate output buffer exists. Both backends check every member's
// CRC32 and ISIZE, continue over concatenated members, accept zero padding
// after the last one (as gzip -d does) and reject other trailing bytes.
#include "core/gzip_reader.hpp"

#include "core/errors.hpp"

#include <isa-l.h>
#include <zlib.h>

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <limits>
#include <vector>

namespace gaia {

namespace {

/// Large enough that read() calls are rare, small enough to stay in L2.
constexpr size_t input_buffer_size = 512 * 1024;

/// Output handed to the inflater in one call (its counters are 32-bit).
constexpr size_t max_inflate_chunk = size_t{1} << 30;

const char* isal_error_text(int ret) {
  switch (ret) {
    case ISAL_INVALID_BLOCK: return "invalid deflate block";
    case ISAL_INVALID_SYMBOL: return "invalid deflate symbol";
    case ISAL_INVALID_LOOKBACK: return "invalid deflate lookback distance";
    case ISAL_INVALID_WRAPPER: return "invalid gzip header";
    case ISAL_UNSUPPORTED_METHOD: return "unsupported compression method";
    case ISAL_INCORRECT_CHECKSUM: return "CRC32 or ISIZE mismatch";
    case ISAL_NEED_DICT: return "stream needs a preset dictionary";
    default: return "unknown ISA-L inflate error";
  }
}

} // namespace

const char* to_string(inflate_backend b) {
  return b == inflate_backend::isal ? "isal" : "zlib";
}

struct gzip_reader::impl {
  const std::string& path;
  inflate_backend backend;
  int fd = -1;
  bool eof = false;           // read() returned 0
  bool done = false;          // every member inflated, nothing follows
  bool in_member = false;     // an inflater is inside a member
  uint64_t members = 0;       // members completed
  uint64_t file_bytes = 0;    // bytes read from the file
  uint64_t produced = 0;      // uncompressed bytes handed out
  std::vector<uint8_t> in;
  // The unconsumed input, shared by both backends.
  uint8_t* next_in = nullptr;
  size_t avail_in = 0;

  std::unique_ptr<inflate_state> isal; // ~50 KB, so on the heap
  z_stream zs{};
  bool zlib_ready = false;

  impl(const std::string& p, inflate_backend b)
    : path(p), backend(b), in(input_buffer_size) {
    fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
      throw input_error(path + ": cannot open: " + std::strerror(errno));
    ::posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
    if (backend == inflate_backend::isal)
      isal = std::make_unique<inflate_state>();
  }

  ~impl() {
    if (zlib_ready) inflateEnd(&zs);
    if (fd >= 0) ::close(fd);
  }

  [[noreturn]] void corrupt(const std::string& what) const {
    throw corrupt_gzip_error(path + ": " + what);
  }

  /// Moves the unconsumed bytes to the front and reads more after them.
  void refill() {
    if (eof) return;
    if (avail_in > 0 && next_in != in.data())
      std::memmove(in.data(), next_in, avail_in);
    next_in = in.data();
    for (;;) {
      ssize_t got = ::read(fd, in.data() + avail_in, in.size() - avail_in);
      if (got < 0 && errno == EINTR) continue;
      if (got < 0)
        throw input_error(path + ": read failed: " + std::strerror(errno));
      if (got == 0) eof = true;
      avail_in += static_cast<size_t>(got);
      file_bytes += static_cast<uint64_t>(got);
      return;
    }
  }

  /// True when the unconsumed input and the rest of the file are all zero
  /// bytes. Reads to the end of the file to find out.
  bool only_zeros_follow() {
    for (;;) {
      for (size_t i = 0; i < avail_in; ++i)
        if (next_in[i] != 0) return false;
      avail_in = 0;
      if (eof) return true;
      refill();
    }
  }

  /// At a member boundary: starts the next member, or finds the end.
  /// Returns false at a clean end of the file.
  bool start_member() {
    while (avail_in < 2 && !eof) refill();
    if (avail_in == 0 && members > 0) return false;
    if (avail_in < 2 || !gzip_magic(next_in)) {
      if (members == 0) corrupt("not a gzip file");
      // Zero bytes after the last member (tape or block padding) are not
      // data: gzip -d accepts them, and so do we.
      if (only_zeros_follow()) return false;
      corrupt("trailing garbage after gzip member " +
              std::to_string(members) + " (" + std::to_string(avail_in) +
              "+ bytes)");
    }
    if (backend == inflate_backend::isal) {
      // A fresh state per member; crc_flag makes ISA-L parse the header
      // and verify CRC32 and ISIZE from the trailer.
      isal_inflate_init(isal.get());
      isal->crc_flag = ISAL_GZIP;
    } else if (!zlib_ready) {
      // 15 + 16: gzip wrapper only, so zlib checks CRC32 and ISIZE.
      if (inflateInit2(&zs, 15 + 16) != Z_OK)
        throw input_error(path + ": zlib inflateInit2 failed");
      zlib_ready = true;
    } else {
      inflateReset(&zs);
    }
    in_member = true;
    return true;
  }

  /// Inflates into [out, out + n); returns bytes written. Sets in_member to
  /// false when the member's trailer has been read and verified.
  size_t inflate_some(char* out, size_t n) {
    n = std::min(n, max_inflate_chunk);
    if (backend == inflate_backend::isal) {
      inflate_state& s = *isal;
      s.next_in = next_in;
      s.avail_in = static_cast<uint32_t>(avail_in);
      s.next_out = reinterpret_cast<uint8_t*>(out);
      s.avail_out = static_cast<uint32_t>(n);
      int ret = isal_inflate(&s);
      next_in = s.next_in;
      avail_in = s.avail_in;
      if (ret < 0 || ret == ISAL_NEED_DICT)
        corrupt(std::string("corrupt gzip data: ") + isal_error_text(ret) +
                " (ISA-L)");
      if (s.block_state == ISAL_BLOCK_FINISH) in_member = false;
      return n - s.avail_out;
    }
    zs.next_in = next_in;
    zs.avail_in = static_cast<uInt>(avail_in);
    zs.next_out = reinterpret_cast<Bytef*>(out);
    zs.avail_out = static_cast<uInt>(n);
    int ret = inflate(&zs, Z_NO_FLUSH);
    next_in = zs.next_in;
    avail_in = zs.avail_in;
    if (ret == Z_STREAM_END) {
      in_member = false;
    } else if (ret == Z_DATA_ERROR || ret == Z_NEED_DICT) {
      corrupt(std::string("corrupt gzip data: ") +
              (zs.msg ? zs.msg : "invalid data") + " (zlib)");
    } else if (ret == Z_MEM_ERROR) {
      throw input_error(path + ": zlib out of memory");
    }
    // Z_OK and Z_BUF_ERROR (no progress possible) just need more input.
    return n - zs.avail_out;
  }

  size_t read(char* out, size_t n) {
    size_t total = 0;
    while (total < n && !done) {
      if (!in_member) {
        if (!start_member()) {
          done = true;
          break;
        }
      }
      if (avail_in == 0) refill();
      size_t before_in = avail_in;
      size_t got = inflate_some(out + total, n - total);
      total += got;
      if (!in_member) {
        ++members;
        continue;
      }
      // Inside a member, no output and all input taken: at EOF the member
      // can never finish.
      if (got == 0 && avail_in == 0 && eof)
        corrupt("truncated gzip stream (" + std::to_string(file_bytes) +
                " bytes)");
      if (got == 0 && avail_in == before_in && avail_in > 0)
        corrupt("corrupt gzip data: inflater made no progress");
    }
    produced += total;
    return total;
  }
};

gzip_reader::gzip_reader(std::string path, inflate_backend backend)
  : path_(std::move(path)), impl_(std::make_unique<impl>(path_, backend)) {}

gzip_reader::~gzip_reader() = default;

size_t gzip_reader::read(char* out, size_t n) { return impl_->read(out, n); }

uint64_t gzip_reader::compressed_bytes() const {
  return impl_->file_bytes - impl_->avail_in;
}

uint64_t gzip_reader::uncompressed_bytes() const { return impl_->produced; }

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
