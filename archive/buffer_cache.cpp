#include "archive/buffer_cache.hpp"

#include <utility>

namespace gaia {

namespace {

/// At most this many spares per thread: one import at a time per worker
/// needs two (text and input), growth aside.
constexpr size_t max_spares = 4;

struct spare {
  std::unique_ptr<char[]> data;
  size_t capacity;
};

thread_local std::vector<spare> spares;

} // namespace

std::unique_ptr<char[]> take_buffer(size_t capacity) {
  for (auto i = spares.begin(); i != spares.end(); ++i)
    if (i->capacity == capacity) {
      auto out = std::move(i->data);
      spares.erase(i);
      return out;
    }
  return std::unique_ptr<char[]>(new char[capacity]);
}

void give_back(std::unique_ptr<char[]> buffer, size_t capacity) {
  if (spares.size() < max_spares) spares.push_back({std::move(buffer), capacity});
}

} // namespace gaia
