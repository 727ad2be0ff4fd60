// What the download and import operations share: the streamed import as a
// download's consumer, the options of a transfer, whether a checkpoint
// still stands for the file a run asks for, and storing a new one.
#pragma once

#include "archive/stream_import.hpp"
#include "download/downloader.hpp"
#include "engine/run_control.hpp"
#include "messages/messages.hpp"
#include "results/checkpoint.hpp"
#include "settings/settings.hpp"

#include <memory>
#include <optional>
#include <string>

namespace gaia {

/// The streamed import (archive/stream_import) fed by a download.
class import_consumer final : public stream_consumer {
public:
  import_consumer(std::string name, const read_options& opts) : import_(std::move(name), opts) {}
  void restart() override { import_.restart(); }
  void feed(const char* data, size_t n) override { import_.feed(data, n); }
  void finish() override { result_ = import_.finish(); }
  /// What finish() found.
  file_aggregates& result() { return result_; }

private:
  stream_import import_;
  file_aggregates result_;
};

/// The read options of a request (its max_line_bytes, else the default).
read_options read_options_of(uint64_t max_line_bytes);

/// A transfer's options from the settings; `run`'s cancellation stops it;
/// its notices are logged and its retries counted by cause in `retries`
/// (when given: serve's /metrics).
download_options transfer_options(const settings& cfg, uint64_t run, const std::string& label,
                                  const std::shared_ptr<engine::run_control>& runs,
                                  const std::shared_ptr<retry_counter>& retries);

/// Whether the checkpoint at `path` stands for the file a run wants now:
/// made from the same URL; with a published MD5, of the bytes with that
/// MD5; when a local copy is there (`local`), of that very copy. Without an
/// MD5 and without a local copy it is only a candidate: the caller asks the
/// server (same_server_version). Nothing when there is no valid checkpoint.
std::optional<checkpoint_info> fitting_checkpoint(const std::string& path,
                                                  const source_version& wanted,
                                                  const std::optional<input_fingerprint>& local);

/// The reply of a reused checkpoint.
import_reply reused_reply(const std::string& label, const std::string& path,
                          const checkpoint_info& info);

/// Writes the checkpoint of a finished import (input: `local`, the file
/// imported, when there is one) and makes its reply.
import_reply store_checkpoint(const std::string& label, const std::string& path,
                              file_aggregates& result, const source_version& source,
                              const std::optional<input_fingerprint>& local,
                              const std::string& name);

} // namespace gaia
