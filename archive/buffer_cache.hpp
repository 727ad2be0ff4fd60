// Large scratch buffers (the import's text buffer, the inflater's input),
// reused by the thread that made them: a worker importing thousands of
// small files would otherwise map fresh pages (and fault them in) for every
// file, which cost more than the files themselves.
#pragma once

#include <cstddef>
#include <memory>
#include <vector>

namespace gaia {

/// A buffer of `capacity` bytes from this thread's spares, uninitialised.
std::unique_ptr<char[]> take_buffer(size_t capacity);
/// Gives a buffer of `capacity` bytes back to this thread's spares (a few
/// are kept; the rest are freed).
void give_back(std::unique_ptr<char[]> buffer, size_t capacity);

/// An owned buffer that goes back to the spares when destroyed.
class cached_buffer {
public:
  explicit cached_buffer(size_t capacity) : data_(take_buffer(capacity)), capacity_(capacity) {}
  ~cached_buffer() {
    if (data_) give_back(std::move(data_), capacity_);
  }
  cached_buffer(cached_buffer&& o) noexcept : data_(std::move(o.data_)), capacity_(o.capacity_) {}
  cached_buffer& operator=(cached_buffer&& o) noexcept {
    if (this != &o) {
      if (data_) give_back(std::move(data_), capacity_);
      data_ = std::move(o.data_);
      capacity_ = o.capacity_;
    }
    return *this;
  }
  char* get() const { return data_.get(); }
  size_t capacity() const { return capacity_; }

private:
  std::unique_ptr<char[]> data_;
  size_t capacity_;
};

} // namespace gaia
