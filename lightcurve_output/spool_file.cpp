// A select worker's output file (spool_file.hpp).
#include "lightcurve_output/spool_file.hpp"

#include "core/errors.hpp"

#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

namespace gaia {

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

spool_file::spool_file(std::string path)
  : path_(std::move(path)), tmp_(path_ + ".tmp"), buffer_(1 << 20) {
  f_ = std::fopen(tmp_.c_str(), "wb");
  if (f_ == nullptr) throw output_error("cannot create " + tmp_ + ": " + std::strerror(errno));
  std::setvbuf(f_, buffer_.data(), _IOFBF, buffer_.size());
}

spool_file::~spool_file() {
  if (f_ != nullptr) {
    std::fclose(f_);
    std::error_code ignored;
    std::filesystem::remove(tmp_, ignored);
  }
}

void spool_file::write(const char* data, size_t n) {
  if (n > 0 && std::fwrite(data, 1, n, f_) != n)
    throw output_error("cannot write " + tmp_ + ": " + std::strerror(errno));
  size_ += n;
}

void spool_file::truncate() {
  if (std::fflush(f_) != 0 || ::ftruncate(fileno(f_), 0) != 0 || std::fseek(f_, 0, SEEK_SET) != 0)
    throw output_error("cannot truncate " + tmp_ + ": " + std::strerror(errno));
  size_ = 0;
}

void spool_file::commit() {
  const bool closed = std::fclose(f_) == 0;
  f_ = nullptr;
  if (!closed) discard_temporary(tmp_, std::strerror(errno));
  rename_into_place(tmp_, path_);
}

} // namespace gaia
