// The import operation: one worker of the import pool. Reduces one archive
// file to its checkpoint, or reuses the checkpoint when the file is
// unchanged since it was written.
#include "actors/operations.hpp"

#include "results/checkpoint.hpp"
#include "archive/ecsv_reader.hpp"
#include "settings/errors.hpp"
#include "engine/log.hpp"
#include "messages/messages.hpp"

#include <chrono>

namespace gaia {

namespace {

import_reply import_file(const import_request& req) {
  auto started = std::chrono::steady_clock::now();
  import_reply reply;
  reply.label = req.label;
  reply.checkpoint_path = req.checkpoint_path;
  auto input = fingerprint_of(req.archive_path);
  auto existing = read_checkpoint_info(req.checkpoint_path);
  // Reused only for this very file from this very source: a checkpoint of
  // another archive (another archive_url_template) is never an answer.
  if (existing && existing->input == input
      && same_source(existing->source, req.source)) {
    reply.reused = true;
    reply.rows = existing->rows;
    reply.skipped_rows = existing->skipped_rows;
    reply.skipped_values = existing->skipped_values;
    reply.sources = existing->sources;
  } else {
    read_options opts;
    if (req.max_line_bytes > 0)
      opts.max_line_bytes = req.max_line_bytes;
    auto result = import_archive_file(req.archive_path, inflate_backend::isal, opts);
    checkpoint_info info;
    info.input = input;
    info.source = req.source;
    info.rows = result.stats.rows;
    info.skipped_rows = result.stats.skipped_rows;
    info.skipped_values = result.stats.skipped_values;
    info.sources = result.sources.size();
    write_checkpoint(req.checkpoint_path, info, result.sources);
    reply.rows = info.rows;
    reply.skipped_rows = info.skipped_rows;
    reply.skipped_values = info.skipped_values;
    reply.sources = info.sources;
    reply.uncompressed_bytes = result.stats.uncompressed_bytes;
    if (info.skipped_rows > 0 || info.skipped_values > 0) {
      std::string examples;
      for (const auto& ex : result.stats.skip_examples)
        examples += "; " + ex;
      engine::log_line("import", req.archive_path + ": skipped "
                           + std::to_string(info.skipped_rows)
                           + " malformed rows and "
                           + std::to_string(info.skipped_values)
                           + " flux values" + examples);
    }
  }
  reply.seconds = engine::seconds_since(started);
  return reply;
}

} // namespace

import_worker_actor::behavior_type
import_operation(import_worker_actor::stateful_pointer<import_state> self,
                 std::shared_ptr<engine::run_control> runs) {
  self->state.runs = std::move(runs);
  return {
    [self](const import_request& req) -> caf::result<import_reply> {
      const auto& runs = self->state.runs;
      if (runs->cancelled(req.run_id))
        return engine::make_error(engine::errc::cancelled,
                                  req.archive_path + ": run cancelled");
      try {
        return import_file(req);
      } catch (const std::exception& e) {
        return error_from(e, gaia_errc::import_failed);
      }
    },
  };
}

} // namespace gaia
