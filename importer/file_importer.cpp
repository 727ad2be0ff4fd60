#include "importer/file_importer.hpp"

#include "archive/gzip_stream.hpp"
#include "archive/stream_import.hpp"
#include "core/errors.hpp"
#include "archive/gzip_magic.hpp"
#include "engine/log.hpp"
#include "engine/state/atomic_file.hpp"
#include "results/checkpoint.hpp"

#include <atomic>
#include <filesystem>
#include <unistd.h>

namespace gaia {

namespace {

read_options read_options_of(uint64_t max_line_bytes) {
  read_options o;
  if (max_line_bytes > 0) o.max_line_bytes = max_line_bytes;
  return o;
}

/// The checkpoint at `path` when it is of the file `wanted` names: made
/// from the same URL; with a published MD5, of the bytes with that MD5;
/// when a local copy is there (`local`), of that very copy.
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

body_check archive_body() {
  return body_check{"gzip", [](const unsigned char* b) { return gzip_magic(b); }};
}

file_importer::file_importer(std::string label, std::string url, std::string checkpoint_path,
                             std::string expected_md5, uint64_t max_line_bytes)
  : label_(std::move(label)), url_(std::move(url)), checkpoint_path_(std::move(checkpoint_path)),
    expected_md5_(std::move(expected_md5)), max_line_bytes_(max_line_bytes) {}

std::optional<import_reply>
file_importer::reuse(const std::optional<input_fingerprint>& local, version_check how,
                     const std::function<source_version()>& server_now) const {
  // Without an MD5 and no way to tell the version: not even looked at.
  if (expected_md5_.empty() && how == version_check::none) return std::nullopt;
  const source_version wanted{url_, "", "", 0, expected_md5_};
  auto info = fitting_checkpoint(checkpoint_path_, wanted, local);
  if (!info) return std::nullopt;
  if (expected_md5_.empty() && how == version_check::ask_server) {
    // Without an MD5 the server must still have the version imported
    // (one HEAD request).
    if (!same_server_version(info->source, server_now())) {
      engine::log_line("download", url_ + " changed on the server (ETag, Last-Modified or "
                                          "size); fetching it again");
      return std::nullopt;
    }
  }
  import_reply r = reply_of(label_, checkpoint_path_, *info);
  r.reused = true;
  return r;
}

import_reply file_importer::import_file(const std::string& path, const std::string& name,
                                        const download_options& opts) const {
  const auto local = fingerprint_of(path);
  stream_import import(name, read_options_of(max_line_bytes_));
  auto source = read_local(path, url_, opts, import);
  return store(import.result(), source, local, name);
}

import_reply file_importer::fetch_file(downloader& dl, const std::string& dest,
                                       const download_options& opts,
                                       download_result& fetched) const {
  stream_import import(url_, read_options_of(max_line_bytes_));
  fetched = dl.fetch(url_, dest, opts, &import);
  std::optional<input_fingerprint> local;
  if (!dest.empty()) local = fingerprint_of(dest);
  return store(import.result(), fetched.source, local, url_);
}

import_reply file_importer::store(file_aggregates& result, const source_version& source,
                                  const std::optional<input_fingerprint>& local,
                                  const std::string& name) const {
  checkpoint_info info;
  // A file that is not kept has no local copy: its size stands in, and the
  // source's validators decide a reuse.
  info.input = local ? *local : input_fingerprint{source.size, 0};
  info.source = source;
  info.rows = result.stats.rows;
  info.skipped_rows = result.stats.skipped_rows;
  info.skipped_values = result.stats.skipped_values;
  info.sources = result.sources.size();
  write_checkpoint(checkpoint_path_, info, result.sources);
  if (info.skipped_rows > 0 || info.skipped_values > 0) {
    std::string examples;
    for (const auto& ex : result.stats.skip_examples) examples += "; " + ex;
    engine::log_line("import", name + ": skipped " + std::to_string(info.skipped_rows)
                                 + " malformed rows and " + std::to_string(info.skipped_values)
                                 + " flux values" + examples);
  }
  import_reply r = reply_of(label_, checkpoint_path_, info);
  r.uncompressed_bytes = result.stats.uncompressed_bytes;
  return r;
}

void file_importer::store_shipped(const std::string& bytes, const std::string& sender) const {
  // The name ends like atomic_file's temporaries (".tmp.<pid>"), which a
  // later run removes when this process died writing it.
  static std::atomic<uint64_t> serial{0};
  const std::string tmp = checkpoint_path_ + ".shipped" + std::to_string(++serial) + ".tmp."
                          + std::to_string(::getpid());
  {
    engine::atomic_file out(tmp, engine::durability::cache);
    out.write(bytes);
    out.commit();
  }
  auto info = read_checkpoint_info(tmp);
  if (!info || info->source.url != url_) {
    engine::remove_if_exists(tmp);
    throw engine::input_error(url_ + ": the checkpoint " + sender + " sent is "
                              + (info ? "of " + info->source.url : std::string("not valid")));
  }
  std::error_code ec;
  std::filesystem::rename(tmp, checkpoint_path_, ec);
  if (ec) {
    engine::remove_if_exists(tmp);
    throw engine::output_error(checkpoint_path_ + ": " + ec.message());
  }
}

} // namespace gaia
