// engine/host/memory.hpp: a buffer freed on a thread of its own goes back
// to the system, even when a small chunk freed after it is what joins it
// to its arena's top (the case serve met after about one light-curve
// request in twelve). glibc only: elsewhere the calls do nothing.
#include "engine/host/memory.hpp"

#include "tests/proc_status.hpp"

#include <doctest/doctest.h>

#include <cstdlib>
#include <cstring>
#include <thread>

using gaia::test::vm_rss_kb;

TEST_CASE("host memory: a buffer freed below a small chunk on a thread of its own is given "
          "back once the small chunk is freed, and after malloc_trim") {
#if defined(__GLIBC__)
  if (!engine::keep_freed_memory_returnable()) {
    MESSAGE("malloc is tuned by the environment here: nothing to check");
    return;
  }
  constexpr size_t big_bytes = 8u << 20;
  long before = 0, held = 0, after = 0;
  // A thread of its own: its own malloc arena (not the main one), as each
  // operation of a request has.
  std::thread t([&] {
    // Seven chunks of the small size, freed below: they fill this
    // thread's cache of that size, so the small chunk's own free reaches
    // the arena (with fastbins on: a fastbin, where it stays "in use").
    void* fill[7];
    for (auto& p : fill) {
      p = std::malloc(48);
      asm volatile("" : : "r"(p) : "memory");
    }
    before = vm_rss_kb();
    auto* big = static_cast<char*>(std::malloc(big_bytes));
    void* small = std::malloc(48); // between big and the arena's top
    std::memset(big, 1, big_bytes);
    // Kept as written: otherwise the compiler may drop the buffer whole.
    asm volatile("" : : "r"(big), "r"(small) : "memory");
    held = vm_rss_kb();
    for (auto* p : fill) std::free(p);
    std::free(big);   // not next to the top: it waits in a bin
    std::free(small); // joins big and the top: the top is trimmed now
    engine::release_free_memory();
    after = vm_rss_kb();
  });
  t.join();
  INFO("resident KiB before the buffer " << before << ", with it " << held << ", after "
                                         << after);
  CHECK(held - before >= static_cast<long>(big_bytes / 1024) - 64);
  // With fastbins (glibc's default) about the whole 8 MiB stays: malloc_trim
  // merges it into the top of a thread's arena, which it does not trim.
  CHECK(after - before < 1024);
#else
  MESSAGE("not glibc: nothing to check");
#endif
}
