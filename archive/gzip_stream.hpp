// Push-style gzip decompression: compressed bytes go in as they arrive (from
// a file, or straight from a download), text comes out into a text_sink.
// One decoder for both, so a streamed import and a file import check the
// very same things: every member's CRC32 and ISIZE, concatenated members,
// zero padding after the last one (as gzip -d accepts), nothing else after.
#pragma once

#include "archive/gzip_magic.hpp"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>

namespace gaia {

/// Which inflater decompresses. ISA-L is ~4x faster than zlib on these
/// machines; zlib stays as the fallback and the benchmark's reference.
enum class inflate_backend { isal, zlib };

/// "isal" / "zlib".
const char* to_string(inflate_backend b);

/// Where decompressed text goes: the decoder asks for room, writes into
/// it, and says how much it wrote.
class text_sink {
public:
  virtual ~text_sink() = default;
  /// Writable room for more text; an empty span stops the decoder (the
  /// input not decompressed yet stays buffered).
  virtual std::pair<char*, size_t> room() = 0;
  /// `n` bytes were written at the start of the last room().
  virtual void wrote(size_t n) = 0;
};

class gzip_stream {
public:
  /// `name` (the file or URL) is named in every error.
  explicit gzip_stream(std::string name,
                       inflate_backend backend = inflate_backend::isal);
  ~gzip_stream();
  gzip_stream(const gzip_stream&) = delete;
  gzip_stream& operator=(const gzip_stream&) = delete;

  /// Decompresses `n` more bytes of the stream into `out`. Throws
  /// corrupt_gzip_error naming the stream for data that is not gzip, a
  /// corrupt member or trailing garbage.
  void feed(const void* data, size_t n, text_sink& out);
  /// For a reader that reads straight into the input buffer: room for at
  /// least 256 KiB more input, then input_added(n) for what it read. No
  /// decompression happens until pump().
  std::pair<uint8_t*, size_t> input_room();
  void input_added(size_t n);
  /// Decompresses what is buffered, as far as `out` has room. True when
  /// nothing is left to do without more input.
  bool pump(text_sink& out);
  /// The stream ended: throws corrupt_gzip_error when it ends inside a
  /// member (truncated) or held no member at all. Decompresses whatever
  /// is still buffered first.
  void finish(text_sink& out);

  /// True after finish().
  bool finished() const;
  /// Compressed bytes fed so far.
  uint64_t compressed_bytes() const;
  /// Text bytes written to sinks so far.
  uint64_t uncompressed_bytes() const;
  const std::string& name() const;

  /// Discards everything fed so far: a new stream of the same name (a
  /// download that starts over).
  void restart();

private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

} // namespace gaia
