#include "engine/host/memory.hpp"

#include <cstdlib>
#include <cstring>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

namespace engine {

bool keep_freed_memory_returnable() {
#if defined(__GLIBC__)
  for (const char* v : {"MALLOC_TRIM_THRESHOLD_", "MALLOC_MMAP_THRESHOLD_", "MALLOC_TOP_PAD_"})
    if (std::getenv(v) != nullptr) return false;
  const char* tunables = std::getenv("GLIBC_TUNABLES");
  if (tunables != nullptr && std::strstr(tunables, "glibc.malloc.") != nullptr) return false;
  // Either setting turns glibc's adaptive thresholds off; both are set so
  // that large buffers stay in the arenas as they would have.
  ::mallopt(M_MMAP_THRESHOLD, 32 * 1024 * 1024);
  ::mallopt(M_TRIM_THRESHOLD, 1024 * 1024);
  // No fastbins. A small chunk in a fastbin looks in use to its arena, so a
  // large buffer freed just below it cannot join the arena's top and be
  // trimmed by its free; malloc_trim then merges both into that top, but
  // trims the top of the main arena only. Serve kept an 8.9 MB top so (seen
  // with malloc_info) after about one request in twelve, for several
  // requests. Without fastbins a free joins its free neighbours at once and
  // a top past the threshold is trimmed by it. Small frees still go to the
  // thread's tcache first: no cost measured in a run or a request
  // (2026-12-08, bench and bench --lightcurves, paired by GLIBC_TUNABLES).
  ::mallopt(M_MXFAST, 0);
  return true;
#else
  return false;
#endif
}

void release_free_memory() {
#if defined(__GLIBC__)
  ::malloc_trim(0);
#endif
}

} // namespace engine
