// The answer's zip, written as a stream with zlib's minizip (Debian
// libminizip-dev): entries deflated one after another, zip64 so neither an
// entry nor the archive is limited to 4 GiB. Written to "<path>.tmp" and
// renamed by commit(): a failed request leaves no zip.
#pragma once

#include <cstdint>
#include <string>

namespace gaia {

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
  /// Closes the archive and renames it into place; returns its size.
  uint64_t commit();

private:
  void open_entry(const std::string& name);
  void write(const char* data, size_t n);
  void close_entry();
  std::string path_, tmp_;
  void* zip_ = nullptr;
};

} // namespace gaia
