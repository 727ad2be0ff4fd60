// A streaming gzip file writer that can end one gzip member and start the
// next, for archives split over several members.
#pragma once

#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

#include <zlib.h>

namespace gaia::synth {

class gzip_writer {
public:
  /// Opens `path` for writing (truncates). Throws std::runtime_error.
  gzip_writer(const std::string& path, int level);
  ~gzip_writer();
  gzip_writer(const gzip_writer&) = delete;
  gzip_writer& operator=(const gzip_writer&) = delete;

  /// Compresses n bytes into the current member.
  void write(const char* data, size_t n);
  /// Finishes the current member; later writes go to a new one.
  void end_member();
  /// Finishes the last member and closes the file; returns its size.
  uint64_t close();
  /// Uncompressed bytes written so far.
  uint64_t text_bytes() const { return text_bytes_; }

private:
  void pump(int flush);
  void put(const unsigned char* p, size_t n);

  std::string path_;
  std::FILE* file_ = nullptr;
  z_stream zs_{};
  bool zs_ready_ = false;
  std::vector<unsigned char> out_;
  uint64_t written_ = 0;
  uint64_t text_bytes_ = 0;
};

} // namespace gaia::synth
