#include "core/md5.hpp"

#include "core/errors.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <vector>

namespace gaia {

namespace {

// Per-round shift amounts and the sine-derived constants of RFC 1321.
constexpr uint32_t shifts[64] = {
  7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22, 7, 12, 17, 22,
  5, 9,  14, 20, 5, 9,  14, 20, 5, 9,  14, 20, 5, 9,  14, 20,
  4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23, 4, 11, 16, 23,
  6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21, 6, 10, 15, 21};

constexpr uint32_t sines[64] = {
  0xd76aa478, 0xe8c7b756, 0x242070db, 0xc1bdceee, 0xf57c0faf, 0x4787c62a,
  0xa8304613, 0xfd469501, 0x698098d8, 0x8b44f7af, 0xffff5bb1, 0x895cd7be,
  0x6b901122, 0xfd987193, 0xa679438e, 0x49b40821, 0xf61e2562, 0xc040b340,
  0x265e5a51, 0xe9b6c7aa, 0xd62f105d, 0x02441453, 0xd8a1e681, 0xe7d3fbc8,
  0x21e1cde6, 0xc33707d6, 0xf4d50d87, 0x455a14ed, 0xa9e3e905, 0xfcefa3f8,
  0x676f02d9, 0x8d2a4c8a, 0xfffa3942, 0x8771f681, 0x6d9d6122, 0xfde5380c,
  0xa4beea44, 0x4bdecfa9, 0xf6bb4b60, 0xbebfbc70, 0x289b7ec6, 0xeaa127fa,
  0xd4ef3085, 0x04881d05, 0xd9d4d039, 0xe6db99e5, 0x1fa27cf8, 0xc4ac5665,
  0xf4292244, 0x432aff97, 0xab9423a7, 0xfc93a039, 0x655b59c3, 0x8f0ccc92,
  0xffeff47d, 0x85845dd1, 0x6fa87e4f, 0xfe2ce6e0, 0xa3014314, 0x4e0811a1,
  0xf7537e82, 0xbd3af235, 0x2ad7d2bb, 0xeb86d391};

uint32_t rotl(uint32_t x, uint32_t n) { return (x << n) | (x >> (32 - n)); }

constexpr size_t read_chunk = 1 << 20;

} // namespace

void md5::reset() {
  state_[0] = 0x67452301;
  state_[1] = 0xefcdab89;
  state_[2] = 0x98badcfe;
  state_[3] = 0x10325476;
  length_ = 0;
  buffered_ = 0;
}

void md5::block(const unsigned char* p) {
  uint32_t m[16];
  for (int i = 0; i < 16; ++i)
    m[i] = uint32_t(p[4 * i]) | uint32_t(p[4 * i + 1]) << 8
           | uint32_t(p[4 * i + 2]) << 16 | uint32_t(p[4 * i + 3]) << 24;
  uint32_t a = state_[0], b = state_[1], c = state_[2], d = state_[3];
  for (int i = 0; i < 64; ++i) {
    uint32_t f;
    int g;
    if (i < 16) {
      f = (b & c) | (~b & d);
      g = i;
    } else if (i < 32) {
      f = (d & b) | (~d & c);
      g = (5 * i + 1) % 16;
    } else if (i < 48) {
      f = b ^ c ^ d;
      g = (3 * i + 5) % 16;
    } else {
      f = c ^ (b | ~d);
      g = (7 * i) % 16;
    }
    uint32_t next = b + rotl(a + f + sines[i] + m[g], shifts[i]);
    a = d;
    d = c;
    c = b;
    b = next;
  }
  state_[0] += a;
  state_[1] += b;
  state_[2] += c;
  state_[3] += d;
}

void md5::update(const void* data, size_t n) {
  auto* p = static_cast<const unsigned char*>(data);
  length_ += n;
  if (buffered_ > 0) {
    size_t take = std::min(n, sizeof buffer_ - buffered_);
    std::memcpy(buffer_ + buffered_, p, take);
    buffered_ += take;
    p += take;
    n -= take;
    if (buffered_ < sizeof buffer_)
      return;
    block(buffer_);
    buffered_ = 0;
  }
  for (; n >= 64; p += 64, n -= 64)
    block(p);
  std::memcpy(buffer_, p, n);
  buffered_ = n;
}

std::string md5::hex() const {
  md5 tail = *this; // padding goes into a copy
  const uint64_t bits = length_ * 8;
  const unsigned char pad = 0x80;
  tail.update(&pad, 1);
  const unsigned char zero[64] = {0};
  tail.update(zero, (tail.buffered_ <= 56 ? 56 : 120) - tail.buffered_);
  unsigned char len[8];
  for (int i = 0; i < 8; ++i)
    len[i] = static_cast<unsigned char>(bits >> (8 * i));
  tail.update(len, 8);
  static const char digits[] = "0123456789abcdef";
  std::string out;
  for (uint32_t word : tail.state_)
    for (int i = 0; i < 4; ++i) {
      auto byte = static_cast<unsigned char>(word >> (8 * i));
      out += digits[byte >> 4];
      out += digits[byte & 15];
    }
  return out;
}

std::string md5_hex(const std::string& data) {
  md5 h;
  h.update(data);
  return h.hex();
}

void md5_file_prefix(const std::string& path, uint64_t bytes, md5& into) {
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> f(
    std::fopen(path.c_str(), "rb"), &std::fclose);
  if (!f)
    throw input_error(path + ": cannot read: " + std::strerror(errno));
  std::vector<char> buf(read_chunk);
  while (bytes > 0) {
    size_t want = bytes < buf.size() ? static_cast<size_t>(bytes) : buf.size();
    size_t got = std::fread(buf.data(), 1, want, f.get());
    if (got == 0)
      throw input_error(path + (std::ferror(f.get()) ? ": read error"
                                                     : ": shorter than expected"));
    into.update(buf.data(), got);
    bytes -= got;
  }
}

std::string md5_file(const std::string& path) {
  std::unique_ptr<std::FILE, int (*)(std::FILE*)> f(
    std::fopen(path.c_str(), "rb"), &std::fclose);
  if (!f)
    throw input_error(path + ": cannot read: " + std::strerror(errno));
  md5 h;
  std::vector<char> buf(read_chunk);
  size_t got;
  while ((got = std::fread(buf.data(), 1, buf.size(), f.get())) > 0)
    h.update(buf.data(), got);
  if (std::ferror(f.get()))
    throw input_error(path + ": read error");
  return h.hex();
}

} // namespace gaia
