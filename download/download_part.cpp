#include "download/download_part.hpp"

#include "engine/state/atomic_file.hpp"

#include <cctype>
#include <cerrno>
#include <fstream>
#include <sys/stat.h>

namespace gaia {

part_file::part_file(const std::string& dest)
  : path(dest + ".part"), info_path(dest + ".part.info") {}

uint64_t part_file::size() const {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return 0;
  return static_cast<uint64_t>(st.st_size);
}

void part_file::load_info() {
  has_info = false;
  total = 0;
  etag.clear();
  last_modified.clear();
  std::ifstream in(info_path);
  std::string line;
  if (!in || !std::getline(in, line)) return;
  try {
    total = std::stoull(line);
  } catch (const std::exception&) {
    return;
  }
  std::getline(in, etag);
  std::getline(in, last_modified);
  has_info = true;
}

void part_file::save_info() {
  engine::write_file_atomic(info_path,
                    std::to_string(total) + "\n" + etag + "\n" + last_modified + "\n",
                    engine::durability::cache);
  has_info = true;
}

void part_file::discard() {
  engine::remove_if_exists(path);
  engine::remove_if_exists(info_path);
  has_info = false;
  total = 0;
  etag.clear();
  last_modified.clear();
}

std::string part_file::validator() const {
  // A weak ETag ("W/...") may not be used in If-Range (RFC 9110 13.1.5).
  if (!etag.empty() && etag.rfind("W/", 0) != 0) return etag;
  return last_modified;
}

file_sink::file_sink(part_file& part, uint64_t offset, md5* hash,
                     const unsigned char* head, uint64_t max_bytes)
  : part_(part), offset_(offset), hash_(hash), max_bytes_(max_bytes) {
  if (offset >= 2 && head != nullptr) {
    head_[0] = head[0];
    head_[1] = head[1];
    head_len_ = 2;
  }
}

file_sink::~file_sink() {
  if (file_ != nullptr) std::fclose(file_);
}

bool file_sink::open(const char* mode) {
  file_ = std::fopen(part_.path.c_str(), mode);
  if (file_ == nullptr) {
    write_failed = true;
    write_errno = errno;
    return false;
  }
  std::setvbuf(file_, nullptr, _IOFBF, 1 << 20);
  return true;
}

bool file_sink::begin(const response_head& h) {
  began_ = true;
  // A 206 whose range starts at 0 is the file from its start, whatever was
  // asked: some servers answer a plain GET that way.
  if (h.status == 206 && !(h.has_content_range && h.range_first == 0)) {
    // Otherwise only the exact continuation of the bytes we have, of the
    // same file.
    if (offset_ == 0 || !h.has_content_range || h.range_first != offset_ ||
        h.range_total == 0 || (part_.total != 0 && h.range_total != part_.total)) {
      bad_range = true;
      return false;
    }
    part_.total = h.range_total;
    resumed = true;
    size_ = offset_;
    if (!set_limit(part_.total)) return false;
    return open("ab");
  }
  // 200 (or file://, or a 206 from 0): the whole file, whatever we asked
  // for. The server ignores ranges, or If-Range said the file changed:
  // start over.
  restarted = offset_ > 0;
  offset_ = 0;
  size_ = 0;
  if (hash_ != nullptr)
    hash_->reset();
  head_len_ = 0;
  if (h.status == 206)
    part_.total = h.range_total;
  else
    part_.total = h.content_length > 0 ? static_cast<uint64_t>(h.content_length) : 0;
  part_.etag = h.etag;
  part_.last_modified = h.last_modified;
  if (!set_limit(part_.total)) return false;
  part_.save_info();
  return open("wb");
}

bool file_sink::set_limit(uint64_t announced) {
  limit_ = max_bytes_;
  if (announced > 0 && (limit_ == 0 || announced < limit_)) limit_ = announced;
  if (max_bytes_ > 0 && announced > max_bytes_) {
    too_large = max_bytes_; // announced larger than allowed: not a byte more
    return false;
  }
  return true;
}

bool file_sink::write(const char* data, size_t n) {
  for (size_t i = 0; i < n && head_len_ < 2; ++i) {
    if (head_len_ == 0)
      starts_like_html = data[i] == '<' || std::isspace(static_cast<unsigned char>(data[i]));
    head_[head_len_++] = static_cast<unsigned char>(data[i]);
  }
  // Stop at once on a body that is not gzip (a proxy's HTML page): no
  // need to fetch all of it to know.
  if (head_len_ == 2 && !gzip_magic(head_)) {
    not_gzip = true;
    return false;
  }
  // A body beyond its announced size or max_file_bytes (an endless chunked
  // stream, say) must not fill the disk.
  if (limit_ > 0 && size_ + n > limit_) {
    too_large = limit_;
    return false;
  }
  size_ += n;
  if (std::fwrite(data, 1, n, file_) != n) {
    write_failed = true;
    write_errno = errno;
    return false;
  }
  if (hash_ != nullptr)
    hash_->update(data, n);
  return true;
}

bool file_sink::close() {
  if (file_ == nullptr) return true;
  int rc = std::fclose(file_);
  file_ = nullptr;
  if (rc != 0 && !write_failed) {
    write_failed = true;
    write_errno = errno;
  }
  return rc == 0;
}

} // namespace gaia
