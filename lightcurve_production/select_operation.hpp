// The select operation: one worker of the select pool (one per download
// slot, download_pool_size). Turns an lc_select_request into a part file
// of the asked rows, touching each byte of the archive file once: the body
// streams through the MD5, the row selection (lightcurve_select/) and, with
// keep_downloads, into downloads/, with the download operation's retries,
// resume and checks (actors/transfer_options.hpp, download/downloader.hpp).
//
//   a file:// archive                          ─► read where it is, MD5 checked
//   a kept copy (downloads/), an MD5 published ─► read from disk, checked
//   otherwise                                  ─► fetched, selected as it streams
#pragma once

#include "download/downloader.hpp"
#include "download/retry.hpp"
#include "engine/run_control.hpp"
#include "lightcurve_production/messages.hpp"
#include "settings/settings.hpp"

#include <memory>

namespace gaia {

/// A select worker's state: its settings, its curl handle (kept: the
/// connection to the archive is reused), the runs it serves, where its
/// retries are counted (none: not counted).
struct lc_select_state {
  download_settings cfg;
  downloader dl;
  std::shared_ptr<engine::run_control> runs;
  std::shared_ptr<retry_counter> retries;
  static inline const char* name = "lc_select_operation";
};

/// The rows of one file, as the worker selects them (the operation's work,
/// outside the actor: tests call it directly).
lc_select_reply select_file(downloader& dl, const download_settings& cfg,
                            const lc_select_request& req,
                            const std::shared_ptr<engine::run_control>& runs,
                            const std::shared_ptr<retry_counter>& retries);

lc_select_worker_actor::behavior_type
lc_select_operation(lc_select_worker_actor::stateful_pointer<lc_select_state> self,
                    download_settings cfg, std::shared_ptr<engine::run_control> runs,
                    std::shared_ptr<retry_counter> retries);

} // namespace gaia
