#include "actors/import_steps.hpp"

#include "engine/log.hpp"

#include <unistd.h>

namespace gaia {

read_options read_options_of(uint64_t max_line_bytes) {
  read_options o;
  if (max_line_bytes > 0) o.max_line_bytes = max_line_bytes;
  return o;
}

download_options transfer_options(const settings& cfg, uint64_t run, const std::string& label,
                                  const std::shared_ptr<engine::run_control>& runs,
                                  const std::shared_ptr<retry_counter>& retries) {
  download_options opts;
  opts.connect_timeout_s = cfg.connect_timeout_s;
  opts.total_timeout_s = cfg.http_timeout_s;
  opts.stall_timeout_s = cfg.stall_timeout_s;
  opts.stall_min_bytes_per_s = cfg.stall_min_bytes_per_s;
  opts.retries = cfg.download_retries;
  opts.retry_backoff_ms = cfg.retry_backoff_ms;
  opts.max_file_bytes = static_cast<uint64_t>(cfg.max_file_bytes);
  opts.cancelled = [runs, run] { return runs->cancelled(run); };
  opts.on_notice = [label, retries](const download_notice& n) {
    if (n.retry && retries) retries->add(*n.retry);
    engine::log_line("download", label + ": " + n.text);
  };
  return opts;
}

std::optional<checkpoint_info> fitting_checkpoint(const std::string& path,
                                                  const source_version& wanted,
                                                  const std::optional<input_fingerprint>& local) {
  std::string why;
  auto info = read_checkpoint_info(path, &why);
  if (!info) {
    // A missing one is the usual case; a damaged one is worth a line.
    if (::access(path.c_str(), F_OK) == 0)
      engine::log_line("import", why + "; the file is imported again");
    return std::nullopt;
  }
  // Never another archive's answer: made from this URL, these bytes.
  if (info->source.url != wanted.url) return std::nullopt;
  if (!wanted.md5.empty() && info->source.md5 != wanted.md5) return std::nullopt;
  if (local && !(info->input == *local)) return std::nullopt;
  return info;
}

namespace {

/// The reply for the checkpoint at `path` that `info` describes.
import_reply reply_of(const std::string& label, const std::string& path,
                      const checkpoint_info& info) {
  import_reply r;
  r.label = label;
  r.checkpoint_path = path;
  r.rows = info.rows;
  r.skipped_rows = info.skipped_rows;
  r.skipped_values = info.skipped_values;
  r.sources = info.sources;
  r.bytes = info.source.size;
  r.source = info.source;
  return r;
}

} // namespace

import_reply reused_reply(const std::string& label, const std::string& path,
                          const checkpoint_info& info) {
  import_reply r = reply_of(label, path, info);
  r.reused = true;
  return r;
}

import_reply store_checkpoint(const std::string& label, const std::string& path,
                              file_aggregates& result, const source_version& source,
                              const std::optional<input_fingerprint>& local,
                              const std::string& name) {
  checkpoint_info info;
  // A file that is not kept has no local copy: its size stands in, and the
  // source's validators decide a reuse.
  info.input = local ? *local : input_fingerprint{source.size, 0};
  info.source = source;
  info.rows = result.stats.rows;
  info.skipped_rows = result.stats.skipped_rows;
  info.skipped_values = result.stats.skipped_values;
  info.sources = result.sources.size();
  write_checkpoint(path, info, result.sources);
  if (info.skipped_rows > 0 || info.skipped_values > 0) {
    std::string examples;
    for (const auto& ex : result.stats.skip_examples) examples += "; " + ex;
    engine::log_line("import", name + ": skipped " + std::to_string(info.skipped_rows)
                                 + " malformed rows and " + std::to_string(info.skipped_values)
                                 + " flux values" + examples);
  }
  import_reply r = reply_of(label, path, info);
  r.uncompressed_bytes = result.stats.uncompressed_bytes;
  return r;
}

} // namespace gaia
