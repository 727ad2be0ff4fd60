// Pull-style decompression of a gzip file as a byte_source (gzip_stream
// underneath, reading the file straight into its input buffer).
#pragma once

#include "archive/byte_source.hpp"
#include "archive/gzip_stream.hpp"

#include <cstdint>
#include <memory>
#include <string>

namespace gaia {

/// Decompresses a (possibly multi-member, possibly zero-padded) gzip file
/// as a byte_source. Verifies every member's CRC32 and ISIZE; a truncated,
/// corrupt or non-gzip file throws corrupt_gzip_error naming the file.
class gzip_reader final : public byte_source {
public:
  explicit gzip_reader(std::string path,
                       inflate_backend backend = inflate_backend::isal);
  ~gzip_reader() override;
  gzip_reader(const gzip_reader&) = delete;
  gzip_reader& operator=(const gzip_reader&) = delete;

  size_t read(char* out, size_t n) override;
  const std::string& name() const override { return path_; }

  /// Compressed bytes read from the file so far.
  uint64_t compressed_bytes() const;
  /// Uncompressed bytes produced so far.
  uint64_t uncompressed_bytes() const;

private:
  struct impl;
  std::string path_;
  std::unique_ptr<impl> impl_;
};

/// True when the file starts with the gzip magic bytes 1f 8b.
bool has_gzip_magic(const std::string& path);

/// Decompresses the whole file and discards the output; throws like
/// gzip_reader on corruption. Returns the uncompressed size. Used to verify
/// a file and by the benchmark's inflate floor.
uint64_t verify_gzip_file(const std::string& path,
                          inflate_backend backend = inflate_backend::isal);

} // namespace gaia
