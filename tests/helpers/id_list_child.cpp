// The id list's reader alone in a process, for tests/test_id_list.cpp's
// memory test: its peak RSS is then the reader's, not the test binary's.
//   gaia_id_list_child IN OUT
//     -> prints "lines ids unique duplicates spilled_runs peak_rss_kb"
// The peak is this process's VmHWM, read at its end: wait4's ru_maxrss
// would not do, as Linux carries the forking test binary's peak over exec.
#include "lightcurve_select/id_list.hpp"

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <exception>

namespace {

/// VmHWM of this process in KiB; -1 when /proc does not say.
long peak_rss_kb() {
  std::FILE* f = std::fopen("/proc/self/status", "r");
  if (f == nullptr) return -1;
  char line[256];
  long kb = -1;
  while (std::fgets(line, sizeof line, f) != nullptr)
    if (std::strncmp(line, "VmHWM:", 6) == 0) kb = std::atol(line + 6);
  std::fclose(f);
  return kb;
}

} // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s IN OUT\n", argv[0]);
    return 2;
  }
  try {
    const auto s = gaia::sort_id_list(argv[1], argv[2]);
    std::printf("%llu %llu %llu %llu %llu %ld\n", static_cast<unsigned long long>(s.lines),
                static_cast<unsigned long long>(s.ids), static_cast<unsigned long long>(s.unique),
                static_cast<unsigned long long>(s.duplicates),
                static_cast<unsigned long long>(s.spilled_runs), peak_rss_kb());
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "%s\n", e.what());
    return 1;
  }
}
