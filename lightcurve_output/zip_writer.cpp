// The answer's zip (zip_writer.hpp) on minizip's zip.h, raw mode.
#include "lightcurve_output/zip_writer.hpp"

#include "core/errors.hpp"
#include "engine/state/atomic_file.hpp"
#include "lightcurve_output/fast_deflate.hpp"
#include "lightcurve_output/spool_file.hpp"
#include "lightcurve_output/zip_file_io.hpp"

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

namespace {

/// ISA-L level 1 in the header's flags (bits 1-2 = 11: "super fast").
constexpr int zip_level = 1;

} // namespace

zip_writer::zip_writer(std::string path)
  : path_(std::move(path)), tmp_(path_ + ".tmp"), io_(std::make_unique<zip_file_io>()),
    deflater_(std::make_unique<fast_deflater>()) {
  zip_ = zipOpen2_64(tmp_.c_str(), APPEND_STATUS_CREATE, nullptr, io_->funcs());
  if (zip_ == nullptr) throw output_error("cannot create " + tmp_ + ": " + io_->error());
}

zip_writer::~zip_writer() {
  if (zip_ != nullptr) {
    zipClose(static_cast<zipFile>(zip_), nullptr);
    std::error_code ignored;
    std::filesystem::remove(tmp_, ignored);
  }
}

std::string zip_writer::error_text() const {
  return io_->error().empty() ? "minizip failed" : io_->error();
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
  // raw = 1: we hand minizip deflated bytes and give the CRC and size at
  // the close.
  if (zipOpenNewFileInZip4_64(static_cast<zipFile>(zip_), name.c_str(), &info, nullptr, 0,
                              nullptr, 0, nullptr, Z_DEFLATED, zip_level, 1, -MAX_WBITS,
                              DEF_MEM_LEVEL, Z_DEFAULT_STRATEGY, nullptr, 0, 0, 0, 1)
      != ZIP_OK)
    throw output_error("cannot add " + name + " to " + tmp_ + ": " + error_text());
}

void zip_writer::write(const char* data, size_t n) {
  // zipWriteInFileInZip takes an unsigned length: large buffers in steps.
  while (n > 0) {
    const unsigned step = static_cast<unsigned>(std::min<size_t>(n, 1u << 30));
    if (zipWriteInFileInZip(static_cast<zipFile>(zip_), data, step) != ZIP_OK)
      throw output_error("cannot write " + tmp_ + ": " + error_text());
    data += step;
    n -= step;
  }
}

void zip_writer::deflate_piece(const char* data, size_t n, bool last) {
  deflated_.clear();
  deflater_->feed(data, n, last, deflated_);
  write(deflated_.data(), deflated_.size());
}

void zip_writer::close_entry(uint64_t uncompressed, uint32_t crc) {
  if (zipCloseFileInZipRaw64(static_cast<zipFile>(zip_), uncompressed, crc) != ZIP_OK)
    throw output_error("cannot write " + tmp_ + ": " + error_text());
}

void zip_writer::add(const std::string& name, const std::string& data) {
  open_entry(name);
  deflater_->begin();
  deflate_piece(data.data(), data.size(), true);
  close_entry(data.size(), crc32_of(data.data(), data.size()));
}

void zip_writer::add_deflated(const std::string& name, const char* data, size_t size,
                              uint64_t uncompressed, uint32_t crc) {
  open_entry(name);
  write(data, size);
  close_entry(uncompressed, crc);
}

void zip_writer::add_file(const std::string& name, const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) throw output_error("cannot open " + path + ": " + std::strerror(errno));
  open_entry(name);
  deflater_->begin();
  std::vector<char> buf(1 << 20);
  uint64_t total = 0;
  uint32_t crc = 0;
  try {
    for (;;) {
      const size_t n = std::fread(buf.data(), 1, buf.size(), f);
      if (n == 0) break;
      total += n;
      crc = crc32_of(buf.data(), n, crc);
      deflate_piece(buf.data(), n, false);
    }
    deflate_piece(nullptr, 0, true);
  } catch (...) {
    std::fclose(f);
    throw;
  }
  const bool failed = std::ferror(f) != 0;
  std::fclose(f);
  if (failed) throw output_error("cannot read " + path);
  close_entry(total, crc);
}

uint64_t zip_writer::commit() {
  const int closed = zipClose(static_cast<zipFile>(zip_), nullptr);
  zip_ = nullptr;
  if (closed != ZIP_OK) discard_temporary(tmp_, error_text());
  // The answer people act on: on disk before it has its name.
  const int fd = ::open(tmp_.c_str(), O_RDONLY);
  const bool synced = fd >= 0 && ::fsync(fd) == 0;
  if (fd >= 0) ::close(fd);
  if (!synced) discard_temporary(tmp_, std::strerror(errno));
  rename_into_place(tmp_, path_);
  engine::fsync_directory(std::filesystem::path(path_).parent_path().string());
  return std::filesystem::file_size(path_);
}

} // namespace gaia
