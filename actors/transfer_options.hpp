// The options of a transfer as the download and import operations build
// them from the settings: timeouts, retries, limits, cancellation by run,
// the log and retry metrics of its notices, and what an archive file's
// body must start with (importer/'s archive_body).
#pragma once

#include "download/downloader.hpp"
#include "engine/run_control.hpp"
#include "settings/settings.hpp"

#include <memory>
#include <string>

namespace gaia {

/// The timeouts and retries of any transfer (an archive file, the checksum
/// list), from the download settings: one place, so the two cannot drift
/// apart.
download_options timing_options(const download_settings& cfg);

/// A transfer's options from the settings; `run`'s cancellation stops it;
/// its notices are logged and its retries counted by cause in `retries`
/// (when given: serve's /metrics).
download_options transfer_options(const download_settings& cfg, uint64_t run,
                                  const std::string& label,
                                  const std::shared_ptr<engine::run_control>& runs,
                                  const std::shared_ptr<retry_counter>& retries);

} // namespace gaia
