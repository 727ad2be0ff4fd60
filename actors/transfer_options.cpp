#include "actors/transfer_options.hpp"

#include "engine/log.hpp"
#include "importer/file_importer.hpp"

namespace gaia {

download_options timing_options(const download_settings& cfg) {
  download_options opts;
  opts.connect_timeout_s = cfg.connect_timeout_s;
  opts.total_timeout_s = cfg.http_timeout_s;
  opts.stall_timeout_s = cfg.stall_timeout_s;
  opts.stall_min_bytes_per_s = cfg.stall_min_bytes_per_s;
  opts.retries = cfg.download_retries;
  opts.retry_backoff_ms = cfg.retry_backoff_ms;
  return opts;
}

download_options transfer_options(const download_settings& cfg, uint64_t run,
                                  const std::string& label,
                                  const std::shared_ptr<engine::run_control>& runs,
                                  const std::shared_ptr<retry_counter>& retries) {
  download_options opts = timing_options(cfg);
  opts.max_file_bytes = static_cast<uint64_t>(cfg.max_file_bytes);
  opts.body = archive_body();
  opts.cancelled = [runs, run] { return runs->cancelled(run); };
  opts.on_notice = [label, retries](const download_notice& n) {
    if (n.retry && retries) retries->add(*n.retry);
    engine::log_line("download", label + ": " + n.text);
  };
  return opts;
}

} // namespace gaia
