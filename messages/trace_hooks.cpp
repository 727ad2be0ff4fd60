// What the engine's trace and the metrics learn from the production's
// messages: a short text of each (the trace's body summary), the file a
// request is about, the bytes a reply handled.
#include "messages/messages.hpp"

#include "engine/log.hpp"

namespace gaia {

namespace {

std::string files_of(size_t n) {
  return std::to_string(n) + (n == 1 ? " file" : " files");
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
  std::string text = std::to_string(x.rows) + " rows to " + x.csv_path;
  for (const auto& p : x.extra_paths) text += ", " + p;
  return text;
}

std::string trace_key(const download_request& x) { return x.label; }
std::string trace_key(const import_request& x) { return x.label; }
uint64_t trace_bytes(const download_reply& x) { return x.bytes; }
uint64_t trace_bytes(const import_reply& x) { return x.uncompressed_bytes; }

} // namespace gaia
