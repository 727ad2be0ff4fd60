#include "download/download_part.hpp"

#include "engine/state/atomic_file.hpp"

#include <cctype>
#include <cerrno>
#include <fstream>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

namespace gaia {

namespace {

/// A kept transfer running this long gets its ".part.info", so that a
/// crash does not cost the bytes already here.
constexpr auto info_after = std::chrono::seconds(5);

} // namespace

std::string part_version::validator() const {
  // A weak ETag ("W/...") may not be used in If-Range (RFC 9110 13.1.5).
  if (!etag.empty() && etag.rfind("W/", 0) != 0) return etag;
  return last_modified;
}

part_file::part_file(const std::string& dest)
  : path(dest + ".part"), info_path(dest + ".part.info") {}

uint64_t part_file::size() const {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return 0;
  return static_cast<uint64_t>(st.st_size);
}

bool part_file::load_info(part_version& v) const {
  std::ifstream in(info_path);
  std::string line;
  if (!in || !std::getline(in, line)) return false;
  try {
    v.total = std::stoull(line);
  } catch (const std::exception&) {
    return false;
  }
  std::getline(in, v.etag);
  std::getline(in, v.last_modified);
  return true;
}

void part_file::save_info(const part_version& v) const {
  engine::write_file_atomic(info_path,
                            std::to_string(v.total) + "\n" + v.etag + "\n" + v.last_modified + "\n",
                            engine::durability::cache);
}

void part_file::discard() const {
  engine::remove_if_exists(path);
  engine::remove_if_exists(info_path);
}

stream_sink::stream_sink(stream_state& st, const part_file* part, stream_consumer* consumer,
                         uint64_t max_bytes, const body_check& check)
  : st_(st), part_(part), consumer_(consumer), max_bytes_(max_bytes), check_(check) {}

stream_sink::~stream_sink() {
  if (fd_ >= 0) ::close(fd_);
}

bool stream_sink::open(bool append) {
  if (part_ == nullptr) return true;
  // Plain write(2) from curl's buffer: no stdio buffer to copy through.
  fd_ = ::open(part_->path.c_str(),
               O_WRONLY | O_CREAT | O_CLOEXEC | (append ? O_APPEND : O_TRUNC), 0644);
  if (fd_ < 0) {
    write_failed = true;
    write_errno = errno;
    return false;
  }
  return true;
}

bool stream_sink::write_all(const char* data, size_t n) {
  if (engine::write_all(fd_, data, n)) return true;
  write_failed = true;
  write_errno = errno;
  return false;
}

bool stream_sink::set_limit(uint64_t announced) {
  limit_ = max_bytes_;
  if (announced > 0 && (limit_ == 0 || announced < limit_)) limit_ = announced;
  if (max_bytes_ > 0 && announced > max_bytes_) {
    too_large = max_bytes_; // announced larger than allowed: not a byte more
    return false;
  }
  return true;
}

void stream_sink::restart_stream() {
  st_.fed = 0;
  if (st_.hashing) st_.hash.reset();
  if (consumer_ != nullptr) consumer_->restart();
}

bool stream_sink::begin(const response_head& h) {
  began_ = true;
  started_ = std::chrono::steady_clock::now();
  // A 206 whose range starts at 0 is the file from its start, whatever was
  // asked: some servers answer a plain GET that way.
  if (h.status == 206 && !(h.has_content_range && h.range_first == 0)) {
    // Otherwise only the exact continuation of the bytes we have, of the
    // same file.
    if (st_.fed == 0 || !h.has_content_range || h.range_first != st_.fed ||
        h.range_total == 0 || (st_.version.total != 0 && h.range_total != st_.version.total)) {
      bad_range = true;
      return false;
    }
    st_.version.total = h.range_total;
    resumed = true;
    if (!set_limit(st_.version.total)) return false;
    return open(true);
  }
  // 200 (or file://, or a 206 from 0): the whole file, whatever we asked
  // for. The server ignores ranges, or If-Range said the file changed:
  // start over.
  restarted = st_.fed > 0;
  restart_stream();
  st_.version.total = h.status == 206 ? h.range_total
                      : h.content_length > 0 ? static_cast<uint64_t>(h.content_length)
                                             : 0;
  st_.version.etag = h.etag;
  st_.version.last_modified = h.last_modified;
  if (!set_limit(st_.version.total)) return false;
  return open(false);
}

bool stream_sink::write(const char* data, size_t n) {
  // Stop at once on a body that cannot be of the format (a proxy's HTML
  // page): no need to fetch all of it to know.
  constexpr size_t start = body_check::start_bytes;
  for (size_t i = 0; check_.checks() && i < n && st_.fed + i < start; ++i) {
    if (st_.fed + i == 0)
      starts_like_html = data[i] == '<' || std::isspace(static_cast<unsigned char>(data[i]));
    head_[st_.fed + i] = static_cast<unsigned char>(data[i]);
    if (st_.fed + i == start - 1 && !check_.starts_right(head_)) {
      bad_start = true;
      return false;
    }
  }
  // A body beyond its announced size or max_file_bytes (an endless chunked
  // stream, say) must not fill the disk nor the memory.
  if (limit_ > 0 && st_.fed + n > limit_) {
    too_large = limit_;
    return false;
  }
  if (fd_ >= 0 && !write_all(data, n)) return false;
  if (st_.hashing) st_.hash.update(data, n);
  if (consumer_ != nullptr) {
    try {
      consumer_->feed(data, n);
    } catch (...) {
      consumer_error = std::current_exception();
      return false;
    }
  }
  st_.fed += n;
  if (part_ != nullptr && !info_saved && std::chrono::steady_clock::now() - started_ >= info_after) {
    info_saved = true;
    try {
      part_->save_info(st_.version);
    } catch (const std::exception&) {
      // Only a later run's resume is lost; the disk's state shows soon.
    }
  }
  return true;
}

bool stream_sink::close() {
  if (fd_ < 0) return true;
  int rc = ::close(fd_);
  fd_ = -1;
  if (rc != 0 && !write_failed) {
    write_failed = true;
    write_errno = errno;
  }
  return rc == 0;
}

} // namespace gaia
