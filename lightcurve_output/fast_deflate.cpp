// Raw deflate with ISA-L level 1 (fast_deflate.hpp).
#include "lightcurve_output/fast_deflate.hpp"

#include "core/errors.hpp"

#include <isa-l.h>

#include <vector>

namespace gaia {

uint32_t crc32_of(const char* data, size_t n, uint32_t crc) {
  // crc32_gzip_refl takes 64-bit lengths: one call whatever the size.
  return crc32_gzip_refl(crc, reinterpret_cast<const unsigned char*>(data), n);
}

struct fast_deflater::state {
  isal_zstream stream{};
  std::vector<uint8_t> level_buf = std::vector<uint8_t>(ISAL_DEF_LVL1_DEFAULT);
  // The output lands here first, then is appended to the caller's string:
  // growing that string by resize() would zero-fill the whole worst-case
  // room of every entry (perf: memset), this buffer is never initialised.
  std::unique_ptr<uint8_t[]> out_room;
  size_t out_room_size = 0;

  uint8_t* room_of(size_t n) {
    if (n > out_room_size) {
      out_room.reset(new uint8_t[n]); // default-initialised: no memset
      out_room_size = n;
    }
    return out_room.get();
  }
};

fast_deflater::fast_deflater() : st_(std::make_unique<state>()) { begin(); }
fast_deflater::~fast_deflater() = default;

void fast_deflater::begin() {
  auto& s = st_->stream;
  isal_deflate_init(&s);
  s.level = 1;
  s.level_buf = st_->level_buf.data();
  s.level_buf_size = static_cast<uint32_t>(st_->level_buf.size());
  s.gzip_flag = IGZIP_DEFLATE; // raw: the zip entry carries its own CRC and sizes
  s.flush = NO_FLUSH;
}

void fast_deflater::feed(const char* data, size_t n, bool last, std::string& out) {
  auto& s = st_->stream;
  // avail_in is 32 bits: large inputs in steps.
  constexpr size_t step = size_t{1} << 30;
  do {
    const size_t take = n < step ? n : step;
    s.next_in = reinterpret_cast<uint8_t*>(const_cast<char*>(data));
    s.avail_in = static_cast<uint32_t>(take);
    s.end_of_stream = (last && take == n) ? 1 : 0;
    data += take;
    n -= take;
    for (;;) {
      // Room for this piece's output at worst (stored blocks) and some.
      const size_t room = s.avail_in + s.avail_in / 8 + 1024;
      uint8_t* const buf = st_->room_of(room);
      s.next_out = buf;
      s.avail_out = static_cast<uint32_t>(room);
      if (isal_deflate(&s) != COMP_OK) throw output_error("deflate failed (ISA-L)");
      out.append(reinterpret_cast<const char*>(buf), room - s.avail_out);
      const bool drained = s.avail_in == 0;
      if (s.end_of_stream ? s.internal_state.state == ZSTATE_END : drained) break;
    }
  } while (n > 0);
}

void fast_deflater::compress(const char* data, size_t n, std::string& out) {
  begin();
  feed(data, n, true, out);
}

} // namespace gaia
