// gzip_stream: ISA-L or zlib behind one push interface.
//
// Compressed bytes are buffered (at most one read's worth beyond what the
// inflater has taken) and inflated straight into the sink's room, so no
// whole-file or intermediate text buffer exists. Between members the
// decoder looks at the next two bytes: gzip's magic starts another member,
// a zero starts the padding (zeros only, to the end), anything else is
// trailing garbage.
#include "archive/gzip_stream.hpp"

#include "archive/buffer_cache.hpp"
#include "core/errors.hpp"

#include <isa-l.h>
#include <zlib.h>

#include <algorithm>
#include <cstring>
#include <exception>
#include <vector>

namespace gaia {

namespace {

/// The input buffer: large enough that reads are rare, small enough to
/// stay in L2.
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

struct gzip_stream::impl {
  std::string name;
  inflate_backend backend;
  cached_buffer in_buf;      ///< from this thread's spares (buffer_cache.hpp)
  uint8_t* in;               ///< in_buf's bytes: [pos, len) not inflated yet
  size_t in_size;
  size_t pos = 0;
  size_t len = 0;
  bool in_member = false;    ///< an inflater is inside a member
  bool padding = false;      ///< past the last member: only zeros may come
  bool finished = false;
  uint64_t members = 0;      ///< members completed
  uint64_t fed = 0;          ///< compressed bytes fed
  uint64_t produced = 0;     ///< text bytes written

  std::unique_ptr<inflate_state> isal; // ~50 KB, so on the heap
  z_stream zs{};
  bool zlib_ready = false;

  impl(std::string n, inflate_backend b)
    : name(std::move(n)), backend(b), in_buf(input_buffer_size),
      in(reinterpret_cast<uint8_t*>(in_buf.get())), in_size(input_buffer_size) {
    // isal_inflate_init sets what a member needs: no zeroing of ~50 KB.
    if (backend == inflate_backend::isal)
      isal.reset(new inflate_state);
  }

  ~impl() {
    if (zlib_ready) inflateEnd(&zs);
  }

  [[noreturn]] void corrupt(const std::string& what) const {
    throw corrupt_gzip_error(name + ": " + what);
  }

  size_t avail() const { return len - pos; }

  /// Room for `n` more input bytes at in[len].
  void make_room(size_t n) {
    if (pos > 0 && (pos == len || len + n > in_size)) {
      std::memmove(in, in + pos, len - pos);
      len -= pos;
      pos = 0;
    }
    if (len + n > in_size) {
      cached_buffer bigger(std::max(in_size * 2, len + n));
      std::memcpy(bigger.get(), in, len);
      in_buf = std::move(bigger);
      in = reinterpret_cast<uint8_t*>(in_buf.get());
      in_size = in_buf.capacity();
    }
  }

  void start_member() {
    if (backend == inflate_backend::isal) {
      // A fresh state per member; crc_flag makes ISA-L parse the header
      // and verify CRC32 and ISIZE from the trailer.
      isal_inflate_init(isal.get());
      isal->crc_flag = ISAL_GZIP;
    } else if (!zlib_ready) {
      // 15 + 16: gzip wrapper only, so zlib checks CRC32 and ISIZE.
      if (inflateInit2(&zs, 15 + 16) != Z_OK)
        throw input_error(name + ": zlib inflateInit2 failed");
      zlib_ready = true;
    } else {
      inflateReset(&zs);
    }
    in_member = true;
  }

  /// Inflates into [out, out + n); returns bytes written. Sets in_member
  /// to false when the member's trailer has been read and verified.
  size_t inflate_some(char* out, size_t n) {
    n = std::min(n, max_inflate_chunk);
    const size_t have = std::min(avail(), max_inflate_chunk);
    if (backend == inflate_backend::isal) {
      inflate_state& s = *isal;
      s.next_in = in + pos;
      s.avail_in = static_cast<uint32_t>(have);
      s.next_out = reinterpret_cast<uint8_t*>(out);
      s.avail_out = static_cast<uint32_t>(n);
      int ret = isal_inflate(&s);
      pos += have - s.avail_in;
      if (ret < 0 || ret == ISAL_NEED_DICT)
        corrupt(std::string("corrupt gzip data: ") + isal_error_text(ret) + " (ISA-L)");
      if (s.block_state == ISAL_BLOCK_FINISH) in_member = false;
      return n - s.avail_out;
    }
    zs.next_in = in + pos;
    zs.avail_in = static_cast<uInt>(have);
    zs.next_out = reinterpret_cast<Bytef*>(out);
    zs.avail_out = static_cast<uInt>(n);
    int ret = inflate(&zs, Z_NO_FLUSH);
    pos += have - zs.avail_in;
    if (ret == Z_STREAM_END) {
      in_member = false;
    } else if (ret == Z_DATA_ERROR || ret == Z_NEED_DICT) {
      corrupt(std::string("corrupt gzip data: ") + (zs.msg ? zs.msg : "invalid data") + " (zlib)");
    } else if (ret == Z_MEM_ERROR) {
      throw input_error(name + ": zlib out of memory");
    }
    // Z_OK and Z_BUF_ERROR (no progress possible) just need more input.
    return n - zs.avail_out;
  }

  /// At a member boundary: starts the next member, enters the padding, or
  /// waits for input. False when it needs more input to decide.
  bool between_members() {
    if (padding) {
      for (size_t i = pos; i < len; ++i)
        if (in[i] != 0)
          corrupt("trailing garbage after gzip member " + std::to_string(members)
                  + " (a non-zero byte in the padding)");
      pos = len;
      return false;
    }
    if (avail() == 0) return false;
    // Zero bytes after the last member (tape or block padding) are not
    // data: gzip -d accepts them, and so do we.
    if (members > 0 && in[pos] == 0) {
      padding = true;
      return true;
    }
    if (avail() < 2) return false;
    if (!gzip_magic(in + pos)) {
      if (members == 0) corrupt("not a gzip file");
      corrupt("trailing garbage after gzip member " + std::to_string(members) + " ("
              + std::to_string(avail()) + "+ bytes)");
    }
    start_member();
    return true;
  }

  bool pump(text_sink& out) {
    for (;;) {
      if (finished) return true;
      if (!in_member) {
        if (!between_members()) return true;
        if (!in_member) continue; // entered the padding
      }
      auto [room, cap] = out.room();
      if (cap == 0) return false;
      if (avail() == 0) return true;
      const size_t before = avail();
      const size_t got = inflate_some(room, cap);
      produced += got;
      if (got > 0) out.wrote(got);
      if (!in_member) {
        ++members;
        continue;
      }
      if (got == 0 && avail() == before)
        corrupt("corrupt gzip data: inflater made no progress");
    }
  }

  void finish(text_sink& out) {
    if (finished) return;
    // The last bytes may only now be decidable (a lone byte at the end).
    if (!pump(out))
      throw std::logic_error(name + ": gzip_stream::finish with a full sink");
    if (in_member)
      corrupt("truncated gzip stream (" + std::to_string(fed) + " bytes)");
    if (members == 0) corrupt("not a gzip file");
    if (avail() > 0) // one byte after the last member, not zero
      corrupt("trailing garbage after gzip member " + std::to_string(members) + " ("
              + std::to_string(avail()) + "+ bytes)");
    finished = true;
  }
};

gzip_stream::gzip_stream(std::string name, inflate_backend backend)
  : impl_(std::make_unique<impl>(std::move(name), backend)) {}

gzip_stream::~gzip_stream() = default;

void gzip_stream::feed(const void* data, size_t n, text_sink& out) {
  auto& m = *impl_;
  auto* p = static_cast<const uint8_t*>(data);
  m.fed += n;
  if (m.avail() == 0 && n > 0) {
    // Nothing buffered: inflate straight from the caller's bytes (a
    // download's receive buffer) and keep only what the sink had no room
    // for. Saves copying every compressed byte once.
    uint8_t* const own = m.in;
    const size_t own_size = m.in_size;
    m.in = const_cast<uint8_t*>(p);
    m.pos = 0;
    m.len = n;
    m.in_size = n;
    struct restore {
      impl& m;
      uint8_t* own;
      size_t own_size;
      int unwinding = std::uncaught_exceptions();
      ~restore() {
        const uint8_t* left = m.in + m.pos;
        const size_t k = m.len - m.pos;
        m.in = own;
        m.in_size = own_size;
        m.pos = 0;
        m.len = 0;
        // After a throw the stream is void: nothing to keep.
        if (k > 0 && std::uncaught_exceptions() == unwinding) {
          m.make_room(k);
          std::memcpy(m.in, left, k);
          m.len = k;
        }
      }
    } guard{m, own, own_size};
    m.pump(out);
    return;
  }
  while (n > 0) {
    // In slices, so the buffer stays one slice beyond what the inflater
    // holds when the sink keeps up.
    const size_t k = std::min(n, input_buffer_size);
    m.make_room(k);
    std::memcpy(m.in + m.len, p, k);
    m.len += k;
    m.pump(out);
    p += k;
    n -= k;
  }
}

std::pair<uint8_t*, size_t> gzip_stream::input_room() {
  impl_->make_room(input_buffer_size / 2);
  return {impl_->in + impl_->len, impl_->in_size - impl_->len};
}

void gzip_stream::input_added(size_t n) {
  impl_->len += n;
  impl_->fed += n;
}

bool gzip_stream::pump(text_sink& out) { return impl_->pump(out); }

void gzip_stream::finish(text_sink& out) { impl_->finish(out); }

bool gzip_stream::finished() const { return impl_->finished; }

uint64_t gzip_stream::compressed_bytes() const { return impl_->fed; }

uint64_t gzip_stream::uncompressed_bytes() const { return impl_->produced; }

const std::string& gzip_stream::name() const { return impl_->name; }

void gzip_stream::restart() {
  auto name = std::move(impl_->name);
  auto backend = impl_->backend;
  impl_ = std::make_unique<impl>(std::move(name), backend);
}

} // namespace gaia
