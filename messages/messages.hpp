// Every message of the Gaia production: plain structs with inspect() beside
// them, and the one error enum. Registered in one place
// (messages/register.cpp), so they could cross the network unchanged.
//
//   service --engine::run_request--> benchmark process
//   process --prepare_request--> prepare (the run's checksum list)
//   process --download_request--> download pool --> download workers
//   process --import_request--> import pool --> import workers
//   process --compute_request--> compute, --export_request--> export
//   download/import pool --request--> remote worker --shipped_*--> pool
#pragma once

#include "messages/errors.hpp"

#include "core/file_range.hpp"
#include "core/source_version.hpp"
#include "engine/messages.hpp"
#include "importer/import_reply.hpp"

#include <caf/all.hpp>

#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace gaia {

/// Read the run's checksum list (_MD5SUM.txt), once per run; with
/// `from_list`, the run's files are the ones it lists (first..last).
struct prepare_request {
  uint64_t run_id = 0;
  std::string checksum_url;  ///< empty: the run has no checksums
  bool explicit_url = false; ///< configured: a failure to fetch it is an error
  bool from_list = false;
  uint64_t first = 1;        ///< 1-based
  uint64_t last = 0;         ///< 0: to the end
};

struct prepare_reply {
  /// File name -> MD5; empty with `listed` false when the run has none.
  std::map<std::string, std::string> checksums;
  bool listed = false;
  /// With from_list: the run's files, as the list has them.
  std::vector<file_range> files;
};

/// Reduce a local archive file (a file:// source, read where it is) to its
/// per-source checkpoint, its MD5 checked in the same pass.
struct import_request {
  uint64_t run_id = 0;
  std::string label;
  std::string url;             ///< file://...
  std::string checkpoint_path;
  std::string expected_md5;    ///< the published MD5; empty: unchecked
  uint64_t max_line_bytes = 0;
  uint64_t priority = 0;       ///< larger first (file size when known)
};

/// Fetch one archive file and import it as its bytes arrive (inflate,
/// parse and MD5 in one pass), writing its checkpoint; keep the file at
/// `path` when `keep`. Reuse the checkpoint when it is of this very
/// version of the file.
struct download_request {
  uint64_t run_id = 0;
  std::string label;        ///< "000000-003111"
  std::string url;
  std::string path;         ///< where the kept archive file goes
  std::string checkpoint_path;
  bool keep = true;         ///< keep the archive file under downloads/
  bool force = false;       ///< discard any local copy and checkpoint first
  std::string expected_md5; ///< the published MD5; empty: unchecked
  uint64_t max_line_bytes = 0;
};

struct download_reply {
  std::string label;
  std::string path;      ///< the kept file ("" when not kept)
  uint64_t bytes = 0;    ///< of the archive file
  bool reused = false;   ///< nothing fetched: the checkpoint or the kept file served
  int attempts = 0;
  double seconds = 0;
  import_reply import;   ///< what the streamed import found
};

/// A remote worker's answer to a download_request (actors/cluster.hpp):
/// the reply as a local download gives it, and the checkpoint's bytes,
/// which the coordinator validates and stores under aggregates/.
struct shipped_download {
  download_reply reply;
  std::string checkpoint;
};

/// A remote worker's answer to an import_request, likewise.
struct shipped_import {
  import_reply reply;
  std::string checkpoint;
};

/// Merge all checkpoints, keep the qualifying sources.
struct compute_request {
  uint64_t run_id = 0;
  std::vector<std::string> checkpoint_paths;
  std::string qualifying_path;
};

struct compute_reply {
  uint64_t sources = 0;
  uint64_t qualifying = 0;
  double seconds = 0;
};

/// Write results.csv from compute's work file.
/// Write the answer: results.csv, and the formats export_formats adds
/// beside it, each carrying the run's provenance.
struct export_request {
  uint64_t run_id = 0;
  std::string qualifying_path;
  std::string csv_path;
  std::string votable_path; ///< results.vot (votable or votable_plain)
  std::string fits_path;    ///< results.fits
  std::string ecsv_path;    ///< results.ecsv
  std::string started;      ///< the run's start, ISO 8601 UTC
  std::string archive_url_template;
  std::string checksum_url;           ///< "" when the run had no checksum list
  std::vector<std::string> files;     ///< the run's file ranges ("000000-003111")
  std::vector<std::string> md5s;      ///< the MD5 of each file's bytes as imported
  std::string settings_json;          ///< the run's resolved settings
};

struct export_reply {
  uint64_t rows = 0;
  std::string csv_path;
  double seconds = 0;
  std::vector<std::string> extra_paths; ///< the other formats' files written
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, source_version& x) {
  return f(caf::meta::type_name("source_version"), x.url, x.etag,
           x.last_modified, x.size, x.md5);
}
inline const engine::message_type<source_version> source_version_type{"gaia::source_version"};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, file_range& x) {
  return f(caf::meta::type_name("file_range"), x.first, x.last);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, prepare_request& x) {
  return f(caf::meta::type_name("prepare_request"), x.run_id, x.checksum_url,
           x.explicit_url, x.from_list, x.first, x.last);
}
inline const engine::message_type<prepare_request> prepare_request_type{"gaia::prepare_request"};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, prepare_reply& x) {
  return f(caf::meta::type_name("prepare_reply"), x.checksums, x.listed, x.files);
}
inline const engine::message_type<prepare_reply> prepare_reply_type{"gaia::prepare_reply"};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, import_request& x) {
  return f(caf::meta::type_name("import_request"), x.run_id, x.label, x.url,
           x.checkpoint_path, x.expected_md5, x.max_line_bytes, x.priority);
}
inline const engine::message_type<import_request> import_request_type{"gaia::import_request"};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, import_reply& x) {
  return f(caf::meta::type_name("import_reply"), x.label, x.checkpoint_path,
           x.rows, x.skipped_rows, x.skipped_values, x.sources, x.bytes,
           x.uncompressed_bytes, x.reused, engine::exact(x.seconds), x.source);
}
inline const engine::message_type<import_reply> import_reply_type{"gaia::import_reply"};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, download_request& x) {
  return f(caf::meta::type_name("download_request"), x.run_id, x.label, x.url,
           x.path, x.checkpoint_path, x.keep, x.force, x.expected_md5,
           x.max_line_bytes);
}
inline const engine::message_type<download_request> download_request_type{"gaia::download_request"};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, download_reply& x) {
  return f(caf::meta::type_name("download_reply"), x.label, x.path, x.bytes,
           x.reused, x.attempts, engine::exact(x.seconds), x.import);
}
inline const engine::message_type<download_reply> download_reply_type{"gaia::download_reply"};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, shipped_download& x) {
  return f(caf::meta::type_name("shipped_download"), x.reply, x.checkpoint);
}
inline const engine::message_type<shipped_download> shipped_download_type{"gaia::shipped_download"};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, shipped_import& x) {
  return f(caf::meta::type_name("shipped_import"), x.reply, x.checkpoint);
}
inline const engine::message_type<shipped_import> shipped_import_type{"gaia::shipped_import"};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, compute_request& x) {
  return f(caf::meta::type_name("compute_request"), x.run_id,
           x.checkpoint_paths, x.qualifying_path);
}
inline const engine::message_type<compute_request> compute_request_type{"gaia::compute_request"};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, compute_reply& x) {
  return f(caf::meta::type_name("compute_reply"), x.sources, x.qualifying,
           engine::exact(x.seconds));
}
inline const engine::message_type<compute_reply> compute_reply_type{"gaia::compute_reply"};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, export_request& x) {
  return f(caf::meta::type_name("export_request"), x.run_id, x.qualifying_path, x.csv_path,
           x.votable_path, x.fits_path, x.ecsv_path, x.started, x.archive_url_template,
           x.checksum_url, x.files, x.md5s, x.settings_json);
}
inline const engine::message_type<export_request> export_request_type{"gaia::export_request"};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, export_reply& x) {
  return f(caf::meta::type_name("export_reply"), x.rows, x.csv_path,
           engine::exact(x.seconds), x.extra_paths);
}
inline const engine::message_type<export_reply> export_reply_type{"gaia::export_reply"};

/// What the trace says of each message (engine/trace.hpp; defined in
/// messages/trace_hooks.cpp): a short text of its body, the file a request
/// is about (the timeline's rows), the bytes a reply handled (metrics).
std::string trace_summary(const prepare_request& x);
std::string trace_summary(const prepare_reply& x);
std::string trace_summary(const download_request& x);
std::string trace_summary(const download_reply& x);
std::string trace_summary(const import_request& x);
std::string trace_summary(const import_reply& x);
std::string trace_summary(const compute_request& x);
std::string trace_summary(const compute_reply& x);
std::string trace_summary(const export_request& x);
std::string trace_summary(const export_reply& x);
std::string trace_key(const download_request& x);
std::string trace_key(const import_request& x);
uint64_t trace_bytes(const download_reply& x);  ///< the file's size
uint64_t trace_bytes(const import_reply& x);    ///< uncompressed bytes read

/// Registers every message type (the engine's too) and the error
/// categories, the only registration there is.
void register_messages(caf::actor_system_config& cfg);

} // namespace gaia
