// A select worker's spool and its pieces read back (spool_file.hpp).
#include "lightcurve_output/spool_file.hpp"

#include "core/errors.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

namespace gaia {

namespace {

constexpr size_t spool_buffer_bytes = size_t{1} << 20;
constexpr size_t spool_read_bytes = size_t{1} << 16;

std::string spool_errno() { return std::strerror(errno); }

} // namespace

void discard_temporary(const std::string& tmp, const std::string& why) {
  std::error_code ignored;
  std::filesystem::remove(tmp, ignored);
  throw output_error("cannot write " + tmp + ": " + why);
}

void rename_into_place(const std::string& tmp, const std::string& path) {
  std::error_code ec;
  std::filesystem::rename(tmp, path, ec);
  if (ec) throw output_error("cannot rename " + tmp + " to " + path + ": " + ec.message());
}

spool_file::spool_file() : buffer_(new char[spool_buffer_bytes]) {}

spool_file::~spool_file() { discard(); }

void spool_file::open(const std::string& path) {
  discard();
  path_ = path;
  // Append mode: every write lands at the end, also after a truncate().
  // O_CREAT only when it is not there yet: the point is one creation.
  int fd = ::open(path_.c_str(), O_WRONLY | O_APPEND | O_CLOEXEC);
  if (fd < 0 && errno == ENOENT)
    fd = ::open(path_.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644);
  if (fd >= 0) f_ = ::fdopen(fd, "ab");
  if (f_ == nullptr) {
    const auto why = spool_errno();
    if (fd >= 0) ::close(fd);
    throw output_error("cannot open " + path_ + ": " + why);
  }
  std::setvbuf(f_, buffer_.get(), _IOFBF, spool_buffer_bytes);
  struct stat st {};
  if (::fstat(fileno(f_), &st) != 0) {
    const auto why = spool_errno();
    std::fclose(f_);
    f_ = nullptr;
    throw output_error("cannot open " + path_ + ": " + why);
  }
  opened_at_ = piece_at_ = static_cast<uint64_t>(st.st_size);
  size_ = 0;
}

void spool_file::write(const char* data, size_t n) {
  if (n > 0 && std::fwrite(data, 1, n, f_) != n)
    throw output_error("cannot write " + path_ + ": " + spool_errno());
  size_ += n;
}

void spool_file::truncate() {
  if (std::fflush(f_) != 0 || ::ftruncate(fileno(f_), static_cast<off_t>(piece_at_)) != 0)
    throw output_error("cannot truncate " + path_ + ": " + spool_errno());
  size_ = 0;
}

spool_range spool_file::end_piece() {
  // Flushed: the assemble step reads it by its range once the reply is out.
  if (std::fflush(f_) != 0) throw output_error("cannot write " + path_ + ": " + spool_errno());
  spool_range r{path_, piece_at_, size_};
  piece_at_ += size_;
  size_ = 0;
  return r;
}

void spool_file::close() {
  if (f_ == nullptr) return;
  const bool closed = std::fclose(f_) == 0;
  f_ = nullptr;
  if (!closed) throw output_error("cannot write " + path_ + ": " + spool_errno());
}

void spool_file::discard() {
  if (f_ == nullptr) return;
  std::fflush(f_);
  // Best effort: a spool that cannot be cut keeps bytes no range points at.
  [[maybe_unused]] const int cut = ::ftruncate(fileno(f_), static_cast<off_t>(opened_at_));
  std::fclose(f_);
  f_ = nullptr;
}

spool_range_reader::spool_range_reader(const spool_range& r)
  : range_(r), left_(r.size), file_at_(r.offset), buffer_(new char[spool_read_bytes]) {
  fd_ = ::open(r.path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd_ < 0) throw input_error("cannot open " + r.path + ": " + spool_errno());
  struct stat st {};
  if (::fstat(fd_, &st) != 0) throw input_error("cannot read " + r.path + ": " + spool_errno());
  if (r.offset > static_cast<uint64_t>(st.st_size)
      || r.size > static_cast<uint64_t>(st.st_size) - r.offset) {
    ::close(fd_);
    fd_ = -1;
    throw input_error(range_name(r) + ": past the end of the file ("
                      + std::to_string(st.st_size) + " bytes)");
  }
}

spool_range_reader::~spool_range_reader() {
  if (fd_ >= 0) ::close(fd_);
}

std::string range_name(const spool_range& r) {
  return r.path + " (bytes " + std::to_string(r.offset) + "-" + std::to_string(r.offset + r.size)
         + ")";
}

bool spool_range_reader::refill() {
  if (left_ == 0) return false;
  const size_t want = left_ < spool_read_bytes ? static_cast<size_t>(left_) : spool_read_bytes;
  ssize_t got;
  do {
    got = ::pread(fd_, buffer_.get(), want, static_cast<off_t>(file_at_));
  } while (got < 0 && errno == EINTR);
  if (got < 0) throw input_error("cannot read " + range_name(range_) + ": " + spool_errno());
  if (got == 0) throw input_error("cannot read " + range_name(range_) + ": the file ends early");
  at_ = 0;
  end_ = static_cast<size_t>(got);
  left_ -= end_;
  file_at_ += end_;
  return true;
}

void spool_range_reader::append_rest(std::string& out) {
  do {
    out.append(buffer_.get() + at_, end_ - at_);
    at_ = end_;
  } while (refill());
}

bool spool_range_reader::line(std::string& line) {
  line.clear();
  int c = next();
  if (c == EOF) return false;
  for (; c != EOF && c != '\n'; c = next()) line += static_cast<char>(c);
  return true;
}

} // namespace gaia
