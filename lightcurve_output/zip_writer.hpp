// The answer's zip, written as a stream with zlib's minizip (Debian
// libminizip-dev) in raw mode: the entries are deflated by ISA-L at level 1
// (fast_deflate.hpp), or arrive deflated already (a select worker's
// fragment, fragment_file.hpp), and minizip writes the headers and the
// central directory, zip64 so neither an entry nor the archive is limited
// to 4 GiB, through one large buffer (zip_file_io.hpp). Written to
// "<path>.tmp" and renamed by commit(): a failed request leaves no zip.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

namespace gaia {

class fast_deflater;
class zip_file_io;

class zip_writer {
public:
  /// Throws output_error naming the file when it cannot be created.
  explicit zip_writer(std::string path);
  ~zip_writer(); ///< without commit(): the temporary is removed
  zip_writer(const zip_writer&) = delete;
  zip_writer& operator=(const zip_writer&) = delete;

  /// One entry whose bytes are `data`.
  void add(const std::string& name, const std::string& data);
  /// One entry whose bytes are the file at `path`, streamed.
  void add_file(const std::string& name, const std::string& path);
  /// One entry already deflated (raw deflate): `size` compressed bytes at
  /// `data`, of `uncompressed` bytes whose CRC-32 is `crc`.
  void add_deflated(const std::string& name, const char* data, size_t size,
                    uint64_t uncompressed, uint32_t crc);
  /// Closes the archive and renames it into place; returns its size.
  uint64_t commit();

private:
  void open_entry(const std::string& name);
  void write(const char* data, size_t n);
  /// Deflates a piece of the entry and writes what came out.
  void deflate_piece(const char* data, size_t n, bool last);
  void close_entry(uint64_t uncompressed, uint32_t crc);
  std::string error_text() const;
  std::string path_, tmp_;
  std::unique_ptr<zip_file_io> io_;
  std::unique_ptr<fast_deflater> deflater_;
  std::string deflated_; ///< a piece's compressed bytes, reused
  void* zip_ = nullptr;
};

} // namespace gaia
