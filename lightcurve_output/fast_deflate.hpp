// The answer's entries compressed fast: raw deflate (no zlib or gzip
// header, as a zip entry holds it) with ISA-L at level 1 and its CRC-32.
// zlib at level 6 took half the assemble step's CPU (README, Benchmark);
// ISA-L level 1 costs a fraction of that for a slightly larger zip, and
// every zip reader inflates it the same.
#pragma once

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace gaia {

/// The CRC-32 (IEEE, as zip and gzip use) of `n` bytes, continuing `crc`.
uint32_t crc32_of(const char* data, size_t n, uint32_t crc = 0);

/// One deflate stream at a time, its buffers kept from one to the next (a
/// worker compresses thousands of small tables).
class fast_deflater {
public:
  fast_deflater();
  ~fast_deflater();
  fast_deflater(const fast_deflater&) = delete;
  fast_deflater& operator=(const fast_deflater&) = delete;

  /// `data` whole as one raw deflate stream, appended to `out`.
  void compress(const char* data, size_t n, std::string& out);

  /// A stream in pieces: begin(), then feed() each piece (last = true for
  /// the final one, possibly empty); the compressed bytes are appended to
  /// `out` as they come (the caller drains it between pieces).
  void begin();
  void feed(const char* data, size_t n, bool last, std::string& out);

private:
  struct state;
  std::unique_ptr<state> st_;
};

} // namespace gaia
