// The import operation: one worker of the import pool. Reduces one archive
// file to its checkpoint, or reuses the checkpoint when the file is
// unchanged since it was written.
#include "actors/operations.hpp"

#include "core/cancellation.hpp"
#include "core/checkpoint.hpp"
#include "core/downloader.hpp"
#include "core/ecsv_reader.hpp"
#include "core/errors.hpp"
#include "core/log.hpp"
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
  if (existing && existing->input == input) {
    reply.reused = true;
    reply.rows = existing->rows;
    reply.skipped_rows = existing->skipped_rows;
    reply.sources = existing->sources;
  } else {
    auto result = import_archive_file(req.archive_path);
    checkpoint_info info;
    info.input = input;
    info.rows = result.stats.rows;
    info.skipped_rows = result.stats.skipped_rows;
    info.sources = result.sources.size();
    write_checkpoint(req.checkpoint_path, info, result.sources);
    // Every member's CRC and length just passed: a later run may trust the
    // file without decompressing it again.
    mark_verified_download(req.archive_path);
    reply.rows = info.rows;
    reply.skipped_rows = info.skipped_rows;
    reply.sources = info.sources;
    reply.uncompressed_bytes = result.stats.uncompressed_bytes;
    if (info.skipped_rows > 0) {
      std::string examples;
      for (const auto& ex : result.stats.skip_examples)
        examples += "; " + ex;
      log_line("import", req.archive_path + ": skipped "
                           + std::to_string(info.skipped_rows)
                           + " malformed rows" + examples);
    }
  }
  reply.seconds = seconds_since(started);
  return reply;
}

} // namespace

caf::behavior import_worker(caf::event_based_actor*) {
  return {
    [](import_request& req) -> caf::result<import_reply> {
      if (run_cancelled(req.run_id))
        return make_error(gaia_errc::cancelled,
                          req.archive_path + ": run cancelled");
      try {
        return import_file(req);
      } catch (const corrupt_gzip_error& e) {
        return make_error(gaia_errc::corrupt_archive, e.what());
      } catch (const output_error& e) {
        return make_error(gaia_errc::output_failed, e.what());
      } catch (const std::exception& e) {
        return make_error(gaia_errc::import_failed, e.what());
      }
    },
  };
}

} // namespace gaia
