// The import operation: one worker of the import pool. Reduces a local
// archive file (a file:// source, read where it is, never copied) to its
// checkpoint, its MD5 checked in the same pass, or reuses the checkpoint
// when it is of this very file.
#include "actors/operations.hpp"

#include "actors/transfer_options.hpp"
#include "engine/log.hpp"
#include "core/errors.hpp"
#include "importer/file_importer.hpp"

#include <chrono>
#include <filesystem>

namespace gaia {

namespace {

import_reply import_file(const import_request& req, const download_options& opts) {
  auto started = std::chrono::steady_clock::now();
  auto path = file_url_path(req.url);
  if (!path) throw download_error(req.url + ": not a file:// URL");
  std::error_code ec;
  if (!std::filesystem::is_regular_file(*path, ec))
    throw download_error(req.url + ": no such file");
  const file_importer importer(req.label, req.url, req.checkpoint_path, req.expected_md5,
                               req.max_line_bytes);
  auto r = importer.reuse(fingerprint_of(*path), version_check::in_place);
  if (!r) r = importer.import_file(*path, *path, opts);
  r->seconds = engine::seconds_since(started);
  return *r;
}

} // namespace

import_worker_actor::behavior_type
import_operation(import_worker_actor::stateful_pointer<import_state> self, download_settings cfg,
                 std::shared_ptr<engine::run_control> runs) {
  self->state.cfg = std::move(cfg);
  self->state.runs = std::move(runs);
  return {
    [self](const import_request& req) -> caf::result<import_reply> {
      engine::log_scope scope(req.run_id); // its log lines are its run's
      const auto& runs = self->state.runs;
      if (runs->cancelled(req.run_id))
        return engine::make_error(engine::errc::cancelled, req.url + ": run cancelled");
      // A local file is read once: no retries to count.
      auto opts = transfer_options(self->state.cfg, req.run_id, req.label, runs, nullptr);
      opts.expected_md5 = req.expected_md5;
      // A cancelled run's read stops with the engine's `cancelled`.
      return answer(gaia_errc::import_failed, [&] { return import_file(req, opts); });
    },
  };
}

} // namespace gaia
