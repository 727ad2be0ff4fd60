// A process's memory as /proc/PID/status reports it, in KiB: for the tests
// that watch a process's resident or peak memory.
#pragma once

#include <fstream>
#include <string>
#include <sys/types.h>
#include <unistd.h>

namespace gaia::test {

/// The value of `key` ("VmRSS:", "VmHWM:") in /proc/PID/status, in KiB;
/// -1 when it cannot be read.
inline long proc_status_kb(pid_t pid, const std::string& key) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string k;
  while (in >> k) {
    if (k == key) {
      long kb = -1;
      in >> kb;
      return kb;
    }
    in.ignore(4096, '\n');
  }
  return -1;
}

/// Resident memory of process `pid` now (VmRSS), in KiB; -1 when unknown.
inline long vm_rss_kb(pid_t pid = ::getpid()) { return proc_status_kb(pid, "VmRSS:"); }

/// Peak resident memory of process `pid` so far (VmHWM), in KiB; -1 when
/// unknown.
inline long vm_hwm_kb(pid_t pid) { return proc_status_kb(pid, "VmHWM:"); }

} // namespace gaia::test
