// The select operation: one worker of the select pool (one per download
// slot, download_pool_size). Turns an lc_select_request into a part of the
// asked rows appended to the worker's spool, touching each byte of the
// archive file once: the body
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
#include "lightcurve_output/spool_file.hpp"
#include "lightcurve_production/fragment_file.hpp"
#include "lightcurve_production/messages.hpp"
#include "lightcurve_production/part_file.hpp"
#include "settings/settings.hpp"

#include <memory>
#include <string>

namespace gaia {

/// What a select worker keeps from one archive file to the next: the name
/// of its spool in each request's spool_dir, the spool (its buffer) and the
/// writers of the parts (their buffers: nothing is allocated and
/// zero-filled again per archive file). Not movable: the writers point
/// into themselves.
struct lc_select_output {
  explicit lc_select_output(std::string name) : spool_name(std::move(name)) {}
  lc_select_output(const lc_select_output&) = delete;
  lc_select_output& operator=(const lc_select_output&) = delete;
  std::string spool_name; ///< "worker-<n>.spool"
  spool_file spool;
  fragment_writer fragment; ///< standard
  part_writer text;         ///< raw
};

/// A select worker's state: its settings, its curl handle (kept: the
/// connection to the archive is reused), its output, the runs it serves,
/// where its retries are counted (none: not counted).
struct lc_select_state {
  download_settings cfg;
  downloader dl;
  std::unique_ptr<lc_select_output> out;
  std::shared_ptr<engine::run_control> runs;
  std::shared_ptr<retry_counter> retries;
  static inline const char* name = "lc_select_operation";
};

/// The rows of one file, as the worker selects them, appended to `out`'s
/// spool in req.spool_dir (the operation's work, outside the actor: tests
/// call it directly). On an error the spool is cut back to where this
/// file's pieces began.
lc_select_reply select_file(downloader& dl, const download_settings& cfg,
                            const lc_select_request& req,
                            const std::shared_ptr<engine::run_control>& runs,
                            const std::shared_ptr<retry_counter>& retries,
                            lc_select_output& out);

lc_select_worker_actor::behavior_type
lc_select_operation(lc_select_worker_actor::stateful_pointer<lc_select_state> self,
                    download_settings cfg, std::shared_ptr<engine::run_control> runs,
                    std::shared_ptr<retry_counter> retries);

} // namespace gaia
