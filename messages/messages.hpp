// Every message of the production: plain structs with inspect() beside
// them, plus the atoms and the one error enum. Registered in one place
// (messages/register.cpp) so they could cross the network unchanged.
//
//   polling service --benchmark_request--> benchmark process
//   process --download_request--> download pool --> download workers
//   process --import_request--> import pool --> import workers
//   process --compute_request--> compute, --export_request--> export
#pragma once

#include "download/source_version.hpp"

#include <caf/all.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace gaia {

/// Timer tick of the polling service.
using poll_atom = caf::atom_constant<caf::atom("poll")>;

/// The service found a changed, valid config: respawn the production.
using config_changed_atom = caf::atom_constant<caf::atom("cfgchanged")>;

/// Stop serving (SIGTERM/SIGINT).
using shutdown_atom = caf::atom_constant<caf::atom("shutdown")>;

/// Start one benchmark run now.
struct benchmark_request {
  uint64_t run_id = 0;
};

/// How a run ended (the process's reply to benchmark_request).
struct run_outcome {
  uint64_t run_id = 0;
  bool ok = false;
  std::string step;      ///< on failure: prepare/download/import/compute/export
  std::string file;      ///< on failure: the file concerned, or empty
  std::string error;     ///< on failure: what went wrong
  uint64_t files = 0;
  uint64_t sources = 0;
  uint64_t qualifying = 0;
  uint64_t rows = 0;           ///< data rows read in all files
  uint64_t skipped_rows = 0;   ///< of them skipped (malformed)
  uint64_t skipped_values = 0; ///< flux values skipped in the rows kept
  uint64_t unclean_files = 0;  ///< files with a skipped row or value
  double seconds = 0;
};

/// Fetch one archive file to `path` (reuse it when already there and intact).
struct download_request {
  uint64_t run_id = 0;
  std::string label;  ///< "000000-003111"
  std::string url;
  std::string path;
  bool force = false; ///< discard any local copy first (it was corrupt)
};

struct download_reply {
  std::string label;
  std::string path;      ///< the file to import (the source itself for file://)
  uint64_t bytes = 0;
  bool reused = false;
  bool in_place = false; ///< a file:// source read where it is, not copied
  double seconds = 0;
  source_version source; ///< where the file came from
};

/// Reduce one archive file to its per-source checkpoint.
struct import_request {
  uint64_t run_id = 0;
  std::string label;
  std::string archive_path;
  std::string checkpoint_path;
  source_version source;   ///< recorded in the checkpoint
  uint64_t max_line_bytes = 0;
};

struct import_reply {
  std::string label;
  std::string checkpoint_path;
  uint64_t rows = 0;
  uint64_t skipped_rows = 0;
  uint64_t skipped_values = 0;
  uint64_t sources = 0;
  uint64_t uncompressed_bytes = 0;
  bool reused = false; ///< an existing checkpoint matched the input file
  double seconds = 0;
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
struct export_request {
  uint64_t run_id = 0;
  std::string qualifying_path;
  std::string csv_path;
};

struct export_reply {
  uint64_t rows = 0;
  std::string csv_path;
  double seconds = 0;
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, source_version& x) {
  return f(caf::meta::type_name("source_version"), x.url, x.etag,
           x.last_modified, x.size, x.md5);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, benchmark_request& x) {
  return f(caf::meta::type_name("benchmark_request"), x.run_id);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, run_outcome& x) {
  return f(caf::meta::type_name("run_outcome"), x.run_id, x.ok, x.step, x.file,
           x.error, x.files, x.sources, x.qualifying, x.rows, x.skipped_rows,
           x.skipped_values, x.unclean_files, x.seconds);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, download_request& x) {
  return f(caf::meta::type_name("download_request"), x.run_id, x.label, x.url,
           x.path, x.force);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, download_reply& x) {
  return f(caf::meta::type_name("download_reply"), x.label, x.path, x.bytes,
           x.reused, x.in_place, x.seconds, x.source);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, import_request& x) {
  return f(caf::meta::type_name("import_request"), x.run_id, x.label,
           x.archive_path, x.checkpoint_path, x.source, x.max_line_bytes);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, import_reply& x) {
  return f(caf::meta::type_name("import_reply"), x.label, x.checkpoint_path,
           x.rows, x.skipped_rows, x.skipped_values, x.sources,
           x.uncompressed_bytes, x.reused, x.seconds);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, compute_request& x) {
  return f(caf::meta::type_name("compute_request"), x.run_id,
           x.checkpoint_paths, x.qualifying_path);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, compute_reply& x) {
  return f(caf::meta::type_name("compute_reply"), x.sources, x.qualifying,
           x.seconds);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, export_request& x) {
  return f(caf::meta::type_name("export_request"), x.run_id,
           x.qualifying_path, x.csv_path);
}
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, export_reply& x) {
  return f(caf::meta::type_name("export_reply"), x.rows, x.csv_path,
           x.seconds);
}

/// Why an operation failed. The error's context carries one string: the
/// message for results.err (it names the file or URL).
enum class gaia_errc : uint8_t {
  download_failed = 1,
  corrupt_archive,   ///< the downloaded file is not a valid gzip: fetch again
  import_failed,
  compute_failed,
  export_failed,
  output_failed,     ///< disk full, unwritable directory
  cancelled,         ///< the run was cancelled (another job failed, shutdown)
};

/// "gaia" errors' category atom.
using gaia_error_atom = caf::atom_constant<caf::atom("gaia")>;

/// Builds a caf::error of category "gaia" with `text` as context.
caf::error make_error(gaia_errc code, std::string text);

/// The text of an error: the context string of ours, CAF's rendering of
/// others (timeouts, dead actors).
std::string error_text(const caf::error& e);

/// True when `e` is a gaia error with this code.
bool is_error(const caf::error& e, gaia_errc code);

/// Registers every message type and the error category.
void register_messages(caf::actor_system_config& cfg);

} // namespace gaia
