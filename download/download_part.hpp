// The ".part" file of a download in progress, and the sink that streams a
// response body into it. What is known of the version the bytes came from
// (total size, ETag, Last-Modified) lives in "<dest>.part.info", so a later
// attempt, or a later run, can resume with a Range request without ever
// splicing bytes of two versions.
#pragma once

#include "archive/gzip_reader.hpp"

#include "download/http_transfer.hpp"
#include "download/md5.hpp"

#include <cstdint>
#include <cstdio>
#include <string>

namespace gaia {

/// "<dest>.part" and "<dest>.part.info".
struct part_file {
  explicit part_file(const std::string& dest);

  std::string path;
  std::string info_path;
  bool has_info = false;     ///< the info file was read (or written)
  uint64_t total = 0;        ///< the whole file's size; 0 = unknown
  std::string etag;
  std::string last_modified;

  /// Bytes in the ".part" now (0 when there is none).
  uint64_t size() const;
  /// Reads the info file; has_info says whether there was a usable one.
  void load_info();
  /// Writes the info file (atomically).
  void save_info();
  /// Removes both files and forgets the info.
  void discard();
  /// What If-Range should carry: a strong ETag, else Last-Modified, else
  /// nothing (then only the total size guards a resume).
  std::string validator() const;
};

/// Streams a 200/206 body into a part_file, hashing it (when `hash` is
/// set: only a published MD5 needs it) and watching the gzip magic and the
/// size. A 206 that continues at `offset` appends after the bytes already
/// in the file (whose MD5 `hash` already holds); a 200, or a 206 whose
/// Content-Range starts at 0, starts the file over.
class file_sink : public body_sink {
public:
  /// `head` holds the file's first two bytes when `offset` >= 2. The file
  /// may not grow beyond `max_bytes` (0: no limit) nor beyond the size the
  /// server announced.
  file_sink(part_file& part, uint64_t offset, md5* hash,
            const unsigned char* head, uint64_t max_bytes = 0);
  ~file_sink() override;

  bool begin(const response_head& h) override;
  bool write(const char* data, size_t n) override;
  /// Flushes and closes the file; false (with errno) when that failed.
  bool close();

  bool began() const { return began_; }
  /// The size limit the file ran into (0: none): max_bytes, or the size
  /// the server announced when smaller.
  uint64_t too_large = 0;
  bool bad_range = false;   ///< a 206 that is not the continuation asked for
  bool not_gzip = false;    ///< the body does not start with gzip's magic
  bool restarted = false;   ///< a resume was answered with the whole file
  bool resumed = false;     ///< a resume was answered with the rest
  bool starts_like_html = false;
  bool write_failed = false;
  int write_errno = 0;

private:
  bool open(const char* mode);
  /// The size limit for a file announced as `announced` bytes (0:
  /// unknown); false when the announcement itself is too large.
  bool set_limit(uint64_t announced);
  part_file& part_;
  uint64_t offset_;
  md5* hash_;
  uint64_t max_bytes_;
  uint64_t limit_ = 0;      ///< the size the file may reach (0: none)
  uint64_t size_ = 0;       ///< bytes in the file so far
  unsigned char head_[2] = {0, 0};
  size_t head_len_ = 0;
  std::FILE* file_ = nullptr;
  bool began_ = false;
};

} // namespace gaia
