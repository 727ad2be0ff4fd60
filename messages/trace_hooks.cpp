// What the engine's trace and the metrics learn from the production's
// messages: a short text of each (the trace's body summary), the file a
// request is about, the bytes a reply handled; and download retries
// counted by cause from the downloader's notices.
#include "messages/messages.hpp"

#include "engine/log.hpp"

#include <mutex>

namespace gaia {

namespace {

std::string files_of(size_t n) {
  return std::to_string(n) + (n == 1 ? " file" : " files");
}

std::mutex retries_mu;
/// By cause, this process; every cause from the start, so /metrics shows
/// zeros rather than nothing before the first retry.
std::map<std::string, uint64_t> retries = {
  {"http_5xx", 0}, {"http_429", 0}, {"http_408", 0}, {"timeout", 0},
  {"connect", 0},  {"connection", 0}, {"stall", 0}, {"short_body", 0},
  {"not_gzip", 0}, {"md5_mismatch", 0}, {"range", 0}, {"other", 0}};

bool starts_with(const std::string& s, const char* prefix) {
  return s.rfind(prefix, 0) == 0;
}
bool contains(const std::string& s, const char* part) {
  return s.find(part) != std::string::npos;
}

} // namespace

std::string trace_summary(const prepare_request& x) {
  return x.checksum_url.empty() ? "no checksum list" : x.checksum_url;
}
std::string trace_summary(const prepare_reply& x) {
  return x.listed ? files_of(x.checksums.size()) + " listed" : "no checksum list";
}
std::string trace_summary(const download_request& x) { return x.url; }
std::string trace_summary(const download_reply& x) {
  return engine::format_mb(static_cast<double>(x.bytes)) + ", " + trace_summary(x.import)
         + (x.reused ? " (reused)" : "");
}
std::string trace_summary(const import_request& x) { return x.url; }
std::string trace_summary(const import_reply& x) {
  return std::to_string(x.sources) + " sources, " + std::to_string(x.rows) + " rows"
         + (x.skipped_rows + x.skipped_values > 0
              ? ", skipped " + std::to_string(x.skipped_rows) + " rows and "
                  + std::to_string(x.skipped_values) + " values"
              : "")
         + (x.reused ? " (checkpoint reused)" : "");
}
std::string trace_summary(const compute_request& x) {
  return std::to_string(x.checkpoint_paths.size()) + " checkpoints";
}
std::string trace_summary(const compute_reply& x) {
  return std::to_string(x.qualifying) + " of " + std::to_string(x.sources)
         + " sources qualify";
}
std::string trace_summary(const export_request& x) { return x.csv_path; }
std::string trace_summary(const export_reply& x) {
  return std::to_string(x.rows) + " rows to " + x.csv_path;
}

std::string trace_key(const download_request& x) { return x.label; }
std::string trace_key(const import_request& x) { return x.label; }
uint64_t trace_bytes(const download_reply& x) { return x.bytes; }
uint64_t trace_bytes(const import_reply& x) { return x.uncompressed_bytes; }

std::string retry_cause(const std::string& why) {
  // The reasons download/downloader.cpp gives (README, "Downloads").
  if (starts_with(why, "HTTP 5")) return "http_5xx";
  if (starts_with(why, "HTTP 429")) return "http_429";
  if (starts_with(why, "HTTP 408")) return "http_408";
  if (starts_with(why, "HTTP 206") || starts_with(why, "HTTP 416")) return "range";
  if (starts_with(why, "stalled")) return "stall";
  if (starts_with(why, "short body")) return "short_body";
  if (starts_with(why, "the response is not gzip")) return "not_gzip";
  if (starts_with(why, "MD5 mismatch")) return "md5_mismatch";
  if (contains(why, "Timeout") || contains(why, "timed out")) return "timeout";
  if (contains(why, "resolve") || contains(why, "connect to server")) return "connect";
  // curl's other retried failures: a dropped connection, a partial file,
  // nothing received, a TLS handshake that broke.
  if (contains(why, "Failure") || contains(why, "failure") || contains(why, "Partial")
      || contains(why, "partial") || contains(why, "nothing") || contains(why, "SSL")
      || contains(why, "HTTP/2") || contains(why, "HTTP2") || contains(why, "HTTP3"))
    return "connection";
  return "other";
}

void note_download_notice(const std::string& text) {
  // "<why>; attempt N of M in S s" announces a retry.
  auto at = text.rfind("; attempt ");
  if (at == std::string::npos || text.find(" of ", at) == std::string::npos)
    return;
  const std::string cause = retry_cause(text.substr(0, at));
  std::lock_guard<std::mutex> lock(retries_mu);
  ++retries[cause];
}

std::map<std::string, uint64_t> download_retries_by_cause() {
  std::lock_guard<std::mutex> lock(retries_mu);
  return retries;
}

} // namespace gaia
