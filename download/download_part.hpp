// Where a download's bytes go as they arrive: the MD5, the streamed import
// (a stream_consumer), and, when the archive is kept, "<dest>.part". What
// is known of the version the bytes came from (total size, ETag,
// Last-Modified) is kept in memory across the attempts of one fetch, and
// in "<dest>.part.info" only when a kept transfer is interrupted or runs
// long, so a later run can resume it: the happy path creates no small file.
#pragma once

#include "core/stream_consumer.hpp"
#include "download/http_transfer.hpp"
#include "download/md5.hpp"

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <exception>
#include <string>

namespace gaia {

/// The version a download's bytes belong to.
struct part_version {
  uint64_t total = 0;        ///< the whole file's size; 0 = unknown
  std::string etag;
  std::string last_modified;

  /// What If-Range should carry: a strong ETag, else Last-Modified, else
  /// nothing (then only the total size guards a resume).
  std::string validator() const;
  bool known() const { return total > 0 || !validator().empty(); }
};

/// "<dest>.part" and "<dest>.part.info" of a kept download.
struct part_file {
  explicit part_file(const std::string& dest);

  std::string path;
  std::string info_path;

  /// Bytes in the ".part" now (0 when there is none).
  uint64_t size() const;
  /// The version the ".part" bytes are of, when an info file says so.
  bool load_info(part_version& v) const;
  /// Writes the info file (atomically).
  void save_info(const part_version& v) const;
  /// Removes both files.
  void discard() const;
};

/// What one fetch knows across its attempts.
struct stream_state {
  part_version version;
  uint64_t fed = 0;   ///< bytes given to the hash and the consumer
  md5 hash;
  bool hashing = false;
};

/// A 200/206 body into the stream's hash, its consumer and (kept) its
/// ".part", watching its first bytes (the caller's body_check) and the size. A 206 that continues at
/// the stream's position appends; a 200, or a 206 whose Content-Range starts
/// at 0, starts the file over.
class stream_sink : public body_sink {
public:
  /// `part` is null when the download is not kept. The file may not grow
  /// beyond `max_bytes` (0: no limit) nor beyond the size the server
  /// announced; its first bytes must pass `check` (when it checks).
  stream_sink(stream_state& st, const part_file* part, stream_consumer* consumer,
              uint64_t max_bytes, const body_check& check);
  ~stream_sink() override;

  bool begin(const response_head& h) override;
  bool write(const char* data, size_t n) override;
  /// Closes the ".part"; false (with errno) when that failed.
  bool close();

  bool began() const { return began_; }
  /// The size limit the file ran into (0: none).
  uint64_t too_large = 0;
  bool bad_range = false;   ///< a 206 that is not the continuation asked for
  bool bad_start = false;   ///< the body does not start as the check wants
  bool restarted = false;   ///< a resume was answered with the whole file
  bool resumed = false;     ///< a resume was answered with the rest
  bool starts_like_html = false;
  bool write_failed = false;
  int write_errno = 0;
  /// The consumer threw: why (rethrown by the downloader after the transfer).
  std::exception_ptr consumer_error;
  /// The ".part.info" was written (a long transfer): keep it in mind.
  bool info_saved = false;

private:
  bool open(bool append);
  bool write_all(const char* data, size_t n);
  bool set_limit(uint64_t announced);
  void restart_stream();

  stream_state& st_;
  const part_file* part_;
  stream_consumer* consumer_;
  uint64_t max_bytes_;
  const body_check& check_;
  uint64_t limit_ = 0;
  int fd_ = -1;
  bool began_ = false;
  std::chrono::steady_clock::time_point started_;
  unsigned char head_[body_check::start_bytes] = {0, 0};
};

} // namespace gaia
