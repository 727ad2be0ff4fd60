// The one owner of an archive file's checkpoint, for every way a file
// comes (a download streamed from HTTP, a kept copy, a file:// file read
// in place, a remote worker's shipped checkpoint): whether an existing
// checkpoint still stands for the file, the import of the file's bytes,
// and storing the new checkpoint (under a name of its own, renamed when
// whole). Every path ends in one import_reply. The operations only call it.
#pragma once

#include "download/downloader.hpp"
#include "importer/import_reply.hpp"

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

namespace gaia {

struct file_aggregates;

/// What the transport must know of an archive file's body: it is gzip, and
/// a body that does not start with gzip's magic is no archive file.
body_check archive_body();

/// Without a published MD5, how a checkpoint's file is known to be the one
/// wanted.
enum class version_check {
  in_place,   ///< the local copy is the source itself (file://): it decides
  ask_server, ///< the server must still have the version imported (HEAD)
  none,       ///< it cannot be known: the checkpoint is not reused
};

class file_importer {
public:
  /// The file at `url`, named `label` in replies, its checkpoint at
  /// `checkpoint_path`; `expected_md5` is the published MD5 (empty: none);
  /// `max_line_bytes` limits a line (0: the default).
  file_importer(std::string label, std::string url, std::string checkpoint_path,
                std::string expected_md5, uint64_t max_line_bytes);

  /// The reply of the existing checkpoint when it still stands for the
  /// file: made from this URL; with a published MD5, of the bytes with that
  /// MD5; with a local copy (`local`), of that very copy; without an MD5,
  /// as `how` says (`server_now` gives the server's version for
  /// ask_server). Nothing: the file must be imported.
  std::optional<import_reply> reuse(const std::optional<input_fingerprint>& local,
                                    version_check how,
                                    const std::function<source_version()>& server_now = {}) const;

  /// Reads the local file `path` once (a file:// file, or a kept copy)
  /// through the import, its MD5 checked as opts say, and stores the
  /// checkpoint of that very copy. `name` names the file in errors and in
  /// the line about skipped rows. Throws read_local's and the import's
  /// errors.
  import_reply import_file(const std::string& path, const std::string& name,
                           const download_options& opts) const;

  /// Fetches the file with `dl`, importing its bytes as they arrive (kept
  /// at `dest`, "" when not kept), and stores the checkpoint; `fetched`
  /// says how the transfer went. Throws downloader::fetch's errors.
  import_reply fetch_file(downloader& dl, const std::string& dest, const download_options& opts,
                          download_result& fetched) const;

  /// Stores `bytes`, the checkpoint of this file another machine made
  /// (`sender` names it in errors): validated under a name of its own and
  /// renamed only when whole and of this file, so a reader never sees a
  /// partial or foreign one. Throws input_error / output_error.
  void store_shipped(const std::string& bytes, const std::string& sender) const;

private:
  import_reply store(file_aggregates& result, const source_version& source,
                     const std::optional<input_fingerprint>& local,
                     const std::string& name) const;

  std::string label_;
  std::string url_;
  std::string checkpoint_path_;
  std::string expected_md5_;
  uint64_t max_line_bytes_;
};

} // namespace gaia
