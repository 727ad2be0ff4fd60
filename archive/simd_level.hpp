// Which vector instructions the import's scans use (csv_scan.cpp,
// flux_tokens.cpp): picked once from the CPU at start-up, so one binary
// built for plain x86-64 runs everywhere and uses AVX2 where it can. Tests
// force each level in turn, so that every path reads the same inputs.
#pragma once

#include <vector>

namespace gaia::ecsv_detail {

/// A set of instructions a scan is compiled for. Each level's code is in
/// the binary on x86-64; `scalar` is byte by byte, the reference; avx512
/// needs AVX-512BW (64-byte compares straight into bit masks).
enum class simd_level { scalar, sse2, avx2, avx512 };

const char* to_string(simd_level l);

/// The level the scans use now: the best this CPU has, unless forced.
simd_level active_simd_level();

/// The levels this CPU can run (scalar first, the best last).
std::vector<simd_level> runnable_simd_levels();

/// For tests: makes the scans use `l` while it lives (a level the CPU can
/// run), then restores the one before. Not for concurrent imports.
class forced_simd_level {
public:
  explicit forced_simd_level(simd_level l);
  ~forced_simd_level();
  forced_simd_level(const forced_simd_level&) = delete;
  forced_simd_level& operator=(const forced_simd_level&) = delete;

private:
  simd_level before_;
};

} // namespace gaia::ecsv_detail
