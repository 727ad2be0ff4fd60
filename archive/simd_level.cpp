// The CPU's best simd_level, read once, and the test override.
#include "archive/simd_level.hpp"

#include <atomic>
#include <stdexcept>

namespace gaia::ecsv_detail {

namespace {

simd_level best_level() {
#if defined(__x86_64__) || defined(__i386__)
  // __builtin_cpu_init first: this may run as a static initialiser, before
  // the one that fills in the CPU model.
  __builtin_cpu_init();
  const bool avx2 = __builtin_cpu_supports("avx2") != 0 &&
                    __builtin_cpu_supports("pclmul") != 0 &&
                    __builtin_cpu_supports("popcnt") != 0 &&
                    __builtin_cpu_supports("bmi2") != 0;
  if (avx2 && __builtin_cpu_supports("avx512f") != 0 &&
      __builtin_cpu_supports("avx512bw") != 0)
    return simd_level::avx512;
  if (avx2) return simd_level::avx2;
#endif
#if defined(__SSE2__)
  return simd_level::sse2;
#else
  return simd_level::scalar;
#endif
}

const simd_level best = best_level();

/// Relaxed: it changes only in tests, between imports.
std::atomic<simd_level> active{best};

} // namespace

const char* to_string(simd_level l) {
  switch (l) {
    case simd_level::scalar: return "scalar";
    case simd_level::sse2: return "SSE2";
    case simd_level::avx2: return "AVX2";
    case simd_level::avx512: return "AVX-512";
  }
  return "?";
}

simd_level active_simd_level() { return active.load(std::memory_order_relaxed); }

std::vector<simd_level> runnable_simd_levels() {
  std::vector<simd_level> out{simd_level::scalar};
  if (best >= simd_level::sse2) out.push_back(simd_level::sse2);
  if (best >= simd_level::avx2) out.push_back(simd_level::avx2);
  if (best >= simd_level::avx512) out.push_back(simd_level::avx512);
  return out;
}

forced_simd_level::forced_simd_level(simd_level l) : before_(active_simd_level()) {
  if (l > best)
    throw std::invalid_argument(std::string("this CPU cannot run the ") + to_string(l) +
                                " scans");
  active.store(l, std::memory_order_relaxed);
}

forced_simd_level::~forced_simd_level() { active.store(before_, std::memory_order_relaxed); }

} // namespace gaia::ecsv_detail
