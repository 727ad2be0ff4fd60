#include "engine/state/atomic_file.hpp"

#include "engine/errors.hpp"

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <unistd.h>
#include <vector>

namespace engine {

namespace {

std::string errno_text() { return std::strerror(errno); }

/// Renames a closed, flushed temporary over `path` (the temporary removed
/// on failure), then fsyncs the directory if durable.
void rename_into_place(const std::string& tmp, const std::string& path, durability d) {
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    auto err = errno_text();
    ::unlink(tmp.c_str());
    throw output_error(path + ": rename failed: " + err);
  }
  if (d == durability::durable) {
    auto dir = std::filesystem::path(path).parent_path().string();
    fsync_directory(dir.empty() ? "." : dir);
  }
}

} // namespace

std::string temporary_path(const std::string& path) {
  return path + ".tmp." + std::to_string(::getpid());
}

atomic_file::atomic_file(std::string path, durability d)
  : path_(std::move(path)),
    tmp_path_(temporary_path(path_)), durability_(d) {
  file_ = std::fopen(tmp_path_.c_str(), "wb");
  if (file_ == nullptr)
    throw output_error(tmp_path_ + ": cannot create: " + errno_text());
  // Large sequential writes: a bigger stdio buffer means fewer syscalls.
  std::setvbuf(file_, nullptr, _IOFBF, 1 << 20);
}

atomic_file::~atomic_file() {
  if (file_ != nullptr) {
    std::fclose(file_);
    ::unlink(tmp_path_.c_str());
  }
}

void atomic_file::write(const void* data, size_t n) {
  if (n > 0 && std::fwrite(data, 1, n, file_) != n)
    throw output_error(path_ + ": write failed: " + errno_text());
}

void atomic_file::rewrite_start(const void* data, size_t n) {
  if (std::fseek(file_, 0, SEEK_SET) != 0)
    throw output_error(path_ + ": seek failed: " + errno_text());
  write(data, n);
  if (std::fseek(file_, 0, SEEK_END) != 0)
    throw output_error(path_ + ": seek failed: " + errno_text());
}

void atomic_file::commit() {
  if (std::fflush(file_) != 0)
    throw output_error(path_ + ": write failed: " + errno_text());
  if (durability_ == durability::durable && ::fsync(::fileno(file_)) != 0)
    throw output_error(path_ + ": fsync failed: " + errno_text());
  std::FILE* f = file_;
  file_ = nullptr;
  if (std::fclose(f) != 0) {
    ::unlink(tmp_path_.c_str());
    throw output_error(path_ + ": close failed: " + errno_text());
  }
  rename_into_place(tmp_path_, path_, durability_);
}

void commit_written_file(const std::string& tmp, const std::string& path, durability d) {
  if (d == durability::durable) {
    const int fd = ::open(tmp.c_str(), O_RDONLY | O_CLOEXEC);
    const bool synced = fd >= 0 && ::fsync(fd) == 0;
    const auto err = errno_text();
    if (fd >= 0) ::close(fd);
    if (!synced) {
      ::unlink(tmp.c_str());
      throw output_error(path + ": fsync failed: " + err);
    }
  }
  rename_into_place(tmp, path, d);
}

void write_file_atomic(const std::string& path, const std::string& content,
                       durability d) {
  atomic_file f(path, d);
  f.write(content);
  f.commit();
}

void fsync_directory(const std::string& dir) {
  int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return; // best effort: the rename itself already happened
  ::fsync(fd);
  ::close(fd);
}

void remove_if_exists(const std::string& path) {
  if (::unlink(path.c_str()) != 0 && errno != ENOENT)
    throw output_error(path + ": cannot remove: " + errno_text());
}

bool reserve_space(const std::string& path, uint64_t bytes) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0) return false;
  int rc = ::posix_fallocate(fd, 0, static_cast<off_t>(bytes));
  if (rc == EOPNOTSUPP || rc == EINVAL) {
    // No fallocate here: write the bytes.
    std::vector<char> zeros(64 * 1024, 0);
    rc = 0;
    for (uint64_t done = 0; done < bytes && rc == 0; done += zeros.size())
      if (::pwrite(fd, zeros.data(), zeros.size(), static_cast<off_t>(done)) < 0)
        rc = errno;
  }
  ::close(fd);
  if (rc != 0) ::unlink(path.c_str());
  return rc == 0;
}

void release_space(const std::string& path) { ::unlink(path.c_str()); }

bool write_all(int fd, const void* data, size_t n) {
  const char* p = static_cast<const char*>(data);
  while (n > 0) {
    const ssize_t w = ::write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) {
      if (w == 0) errno = ENOSPC;
      return false;
    }
    p += w;
    n -= static_cast<size_t>(w);
  }
  return true;
}

std::optional<std::string> read_whole_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

} // namespace engine
