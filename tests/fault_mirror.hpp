// What the tests against the fault-injecting loopback mirror share: a fault
// that strikes a given number of times, and settings that run against the
// mirror with fast retries and small stall limits, so every fault scenario
// ends quickly.
#pragma once

#include "tools/mirror/mirror.hpp"

#include "tests/production_fixture.hpp"

#include <string>

namespace gaia::test {

/// Fault `k` on the next `times` requests.
inline mirror_fault fault(mirror_fault::kind k, int times) {
  mirror_fault f;
  f.what = k;
  f.times = times;
  return f;
}

/// Settings that fetch from `server` into `out_dir`: three retries 10 ms
/// apart, a transfer that stalls below 1000 bytes/s for a second aborted.
inline settings fast_retry_settings(const std::vector<int64_t>& boundaries,
                                    const mirror_server& server, const std::string& out_dir) {
  settings s = file_mirror_settings(boundaries, "", out_dir);
  s.archive_url_template = server.base_url() + "/EpochPhotometry_%s.csv.gz";
  s.download_retries = 3;
  s.retry_backoff_ms = 10;
  s.connect_timeout_s = 5;
  s.http_timeout_s = 20;
  s.stall_timeout_s = 1;
  s.stall_min_bytes_per_s = 1000;
  return s;
}

} // namespace gaia::test
