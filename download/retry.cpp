#include "download/retry.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>
#include <random>
#include <thread>

#include <curl/curl.h>

namespace gaia {

std::chrono::milliseconds backoff_delay(int retry, int initial_ms,
                                        double jitter) {
  double d = std::max(initial_ms, 0);
  for (int i = 1; i < retry && d < max_backoff_ms; ++i)
    d *= 2;
  d = std::min<double>(d, max_backoff_ms);
  jitter = std::clamp(jitter, 0.0, 1.0);
  return std::chrono::milliseconds(static_cast<long long>(d / 2 + d / 2 * jitter));
}

double random_jitter() {
  thread_local std::mt19937_64 rng{std::random_device{}()};
  return std::uniform_real_distribution<double>(0.0, 1.0)(rng);
}

std::optional<int> parse_retry_after(const std::string& value,
                                     std::time_t now) {
  size_t b = 0, e = value.size();
  while (b < e && std::isspace(static_cast<unsigned char>(value[b]))) ++b;
  while (e > b && std::isspace(static_cast<unsigned char>(value[e - 1]))) --e;
  if (b == e)
    return std::nullopt;
  long long secs = 0;
  auto r = std::from_chars(value.data() + b, value.data() + e, secs);
  if (r.ec == std::errc() && r.ptr == value.data() + e) {
    if (secs < 0)
      return std::nullopt;
  } else {
    // Not a number: an HTTP date ("Wed, 21 Oct 2015 07:28:00 GMT").
    std::time_t at = curl_getdate(value.substr(b, e - b).c_str(), nullptr);
    if (at == -1)
      return std::nullopt;
    secs = std::max<long long>(0, static_cast<long long>(at - now));
  }
  return static_cast<int>(std::min<long long>(secs, max_retry_after_s));
}

bool sleep_unless_cancelled(std::chrono::milliseconds d,
                            const std::function<bool()>& cancelled) {
  using clock = std::chrono::steady_clock;
  const auto until = clock::now() + d;
  for (;;) {
    if (cancelled && cancelled())
      return false;
    auto now = clock::now();
    if (now >= until)
      return true;
    std::this_thread::sleep_for(
      std::min<clock::duration>(until - now, std::chrono::milliseconds(50)));
  }
}

std::optional<retry_cause> status_retry_cause(long status) {
  if (status == 408) return retry_cause::http_408;
  if (status == 429) return retry_cause::http_429;
  if (status >= 500 && status <= 599) return retry_cause::http_5xx;
  return std::nullopt;
}

const char* retry_cause_name(retry_cause c) {
  switch (c) {
  case retry_cause::http_5xx: return "http_5xx";
  case retry_cause::http_429: return "http_429";
  case retry_cause::http_408: return "http_408";
  case retry_cause::timeout: return "timeout";
  case retry_cause::connect: return "connect";
  case retry_cause::connection: return "connection";
  case retry_cause::stall: return "stall";
  case retry_cause::short_body: return "short_body";
  case retry_cause::not_gzip: return "not_gzip";
  case retry_cause::md5_mismatch: return "md5_mismatch";
  case retry_cause::range: return "range";
  case retry_cause::other: return "other";
  }
  return "other";
}

std::map<std::string, uint64_t> retry_counter::by_name() const {
  std::map<std::string, uint64_t> out;
  for (size_t i = 0; i < retry_cause_count; ++i) {
    const auto c = static_cast<retry_cause>(i);
    out[retry_cause_name(c)] = count(c);
  }
  return out;
}

} // namespace gaia
