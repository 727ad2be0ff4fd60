// The answer's zip (zip_writer.hpp) on minizip's zip.h.
#include "lightcurve_production/zip_writer.hpp"

#include "core/errors.hpp"
#include "engine/state/atomic_file.hpp"

#include <zip.h>

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <vector>

namespace gaia {

zip_writer::zip_writer(std::string path) : path_(std::move(path)), tmp_(path_ + ".tmp") {
  zip_ = zipOpen64(tmp_.c_str(), APPEND_STATUS_CREATE);
  if (zip_ == nullptr) throw output_error("cannot create " + tmp_ + ": " + std::strerror(errno));
}

zip_writer::~zip_writer() {
  if (zip_ != nullptr) {
    zipClose(static_cast<zipFile>(zip_), nullptr);
    std::error_code ignored;
    std::filesystem::remove(tmp_, ignored);
  }
}

void zip_writer::open_entry(const std::string& name) {
  zip_fileinfo info{};
  // The entry's time: now, in the local time zone as zip stores it.
  const std::time_t now = std::time(nullptr);
  std::tm tm{};
  localtime_r(&now, &tm);
  info.tmz_date.tm_sec = static_cast<uInt>(tm.tm_sec);
  info.tmz_date.tm_min = static_cast<uInt>(tm.tm_min);
  info.tmz_date.tm_hour = static_cast<uInt>(tm.tm_hour);
  info.tmz_date.tm_mday = static_cast<uInt>(tm.tm_mday);
  info.tmz_date.tm_mon = static_cast<uInt>(tm.tm_mon);
  info.tmz_date.tm_year = static_cast<uInt>(tm.tm_year + 1900);
  if (zipOpenNewFileInZip64(static_cast<zipFile>(zip_), name.c_str(), &info, nullptr, 0,
                            nullptr, 0, nullptr, Z_DEFLATED, Z_DEFAULT_COMPRESSION, 1)
      != ZIP_OK)
    throw output_error("cannot add " + name + " to " + tmp_);
}

void zip_writer::write(const char* data, size_t n) {
  // zipWriteInFileInZip takes an unsigned length: large buffers in steps.
  while (n > 0) {
    const unsigned step = static_cast<unsigned>(std::min<size_t>(n, 1u << 30));
    if (zipWriteInFileInZip(static_cast<zipFile>(zip_), data, step) != ZIP_OK)
      throw output_error("cannot write " + tmp_ + ": " + std::strerror(errno));
    data += step;
    n -= step;
  }
}

void zip_writer::close_entry() {
  if (zipCloseFileInZip(static_cast<zipFile>(zip_)) != ZIP_OK)
    throw output_error("cannot write " + tmp_ + ": " + std::strerror(errno));
}

void zip_writer::add(const std::string& name, const std::string& data) {
  open_entry(name);
  write(data.data(), data.size());
  close_entry();
}

void zip_writer::add_file(const std::string& name, const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) throw output_error("cannot open " + path + ": " + std::strerror(errno));
  open_entry(name);
  std::vector<char> buf(1 << 16);
  size_t n;
  try {
    while ((n = std::fread(buf.data(), 1, buf.size(), f)) > 0) write(buf.data(), n);
  } catch (...) {
    std::fclose(f);
    throw;
  }
  const bool failed = std::ferror(f) != 0;
  std::fclose(f);
  if (failed) throw output_error("cannot read " + path);
  close_entry();
}

uint64_t zip_writer::commit() {
  const int closed = zipClose(static_cast<zipFile>(zip_), nullptr);
  zip_ = nullptr;
  if (closed != ZIP_OK) {
    std::error_code ignored;
    std::filesystem::remove(tmp_, ignored);
    throw output_error("cannot write " + tmp_);
  }
  // The answer people act on: on disk before it has its name.
  const int fd = ::open(tmp_.c_str(), O_RDONLY);
  const bool synced = fd >= 0 && ::fsync(fd) == 0;
  if (fd >= 0) ::close(fd);
  if (!synced) {
    std::error_code ignored;
    std::filesystem::remove(tmp_, ignored);
    throw output_error("cannot write " + tmp_ + ": " + std::strerror(errno));
  }
  std::error_code ec;
  std::filesystem::rename(tmp_, path_, ec);
  if (ec) throw output_error("cannot rename " + tmp_ + " to " + path_ + ": " + ec.message());
  engine::fsync_directory(std::filesystem::path(path_).parent_path().string());
  return std::filesystem::file_size(path_);
}

} // namespace gaia
