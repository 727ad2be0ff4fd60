// The light-curve production's messages, each registered beside its struct
// (engine::message_type), with what the trace shows of them; its node ids,
// its steps (what lightcurves.err names) and its typed interfaces.
//
//   service --engine::run_request--> lightcurve process
//   process --prepare_request--> prepare (actors/: the archive's _MD5SUM.txt)
//   process --lc_select_request--> select pool (one job per holding file)
//   process --lc_assemble_request--> assemble (the zip and not_found.txt)
#pragma once

#include "actors/interfaces.hpp"
#include "actors/run_steps.hpp"
#include "engine/messages.hpp"
#include "lightcurve_output/spool_file.hpp"

#include <caf/all.hpp>

#include <cstdint>
#include <string>
#include <vector>

namespace gaia {

/// Pick the asked rows out of one archive file, fetched (or read where it
/// is kept), into a part appended to the select worker's spool in
/// `spool_dir` (spool_file.hpp): for --structure standard a fragment (their
/// tables in `format`, deflated: fragment_file.hpp), for raw the header
/// row and the rows' text (part_file.hpp); then the asked ids the file does
/// not hold.
struct lc_select_request {
  uint64_t run_id = 0;
  std::string label;        ///< the file's range, "000000-003111"
  std::string url;          ///< http(s):// or file://
  std::string path;         ///< where the kept archive file goes (downloads/)
  bool keep = true;         ///< keep_downloads: keep the fetched file there
  std::string expected_md5; ///< the published MD5; empty: unchecked
  uint64_t max_line_bytes = 0;
  std::string ids_path;     ///< the request's sorted id file
  uint64_t first = 0;       ///< this file's ids: [first, first + count)
  uint64_t count = 0;
  std::string spool_dir;    ///< the request's parts/: worker-<n>.spool, one per worker
  std::string format = "votable";     ///< lightcurve::table_format's name
  std::string structure = "standard"; ///< "standard" (a fragment) or "raw" (text)
  /// This machine holds the file (kept from an earlier request or run, or
  /// file://): only the pool's own workers take the job (engine pool), a
  /// remote worker would fetch again what is here.
  bool local_only = false;
};

/// What one file gave.
struct lc_select_reply {
  std::string label;
  uint64_t bytes = 0;      ///< the archive file's size
  bool fetched = false;    ///< false: read from disk (kept, or file://)
  int attempts = 0;        ///< transfers (0 when read from disk)
  uint64_t selected = 0;   ///< rows written to the part
  uint64_t missing = 0;    ///< asked ids the file does not hold
  /// Malformed rows of the file (skipped, counted), and for standard the
  /// asked rows whose arrays did not parse (not in the fragment).
  uint64_t skipped_rows = 0;
  uint64_t repeated = 0;   ///< an asked source's second row in the file
  double seconds = 0;
  spool_range part_range;    ///< the part in the worker's spool (flushed)
  spool_range missing_range; ///< the asked ids the file does not hold, one a line
};

/// Write the answer from the parts: the zip (temporary name, then
/// renamed) and not_found.txt.
struct lc_assemble_request {
  uint64_t run_id = 0;
  std::vector<spool_range> parts;   ///< in range order (fragments for standard)
  std::vector<spool_range> missing; ///< each part's missing ids, same order
  std::string no_file_path;         ///< the asked ids in no file's range
  std::string zip_path;             ///< the answer
  std::string not_found_path;       ///< beside it; "": in the zip only
  std::string format;               ///< lightcurve::table_format's name
  std::string structure;            ///< "standard" or "raw"
  /// standard: append these parts' entries to the zip and keep it open,
  /// more requests of the run follow (the process sends each range's
  /// fragment as soon as it and every lower range are in, so the copy
  /// overlaps the select pass); the last request (false) appends its parts,
  /// adds not_found.txt and closes the zip.
  bool more = false;
};

struct lc_assemble_reply {
  uint64_t sources = 0;      ///< light curves in the zip
  uint64_t not_found = 0;    ///< ids in not_found.txt
  /// raw: selected rows that could not be parsed (standard: the select
  /// replies count them, as the workers parse the rows).
  uint64_t skipped_rows = 0;
  std::vector<std::string> skip_examples; ///< the first reasons
  uint64_t zip_bytes = 0;
  double seconds = 0;
};

/// A piece of a spool, inside the messages below (not a message itself).
template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, spool_range& x) {
  return f(caf::meta::type_name("spool_range"), x.path, x.offset, x.size);
}

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, lc_select_request& x) {
  return f(caf::meta::type_name("lc_select_request"), x.run_id, x.label, x.url, x.path, x.keep,
           x.expected_md5, x.max_line_bytes, x.ids_path, x.first, x.count, x.spool_dir,
           x.format, x.structure, x.local_only);
}
inline const engine::message_type<lc_select_request> lc_select_request_type{
  "gaia::lc_select_request"};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, lc_select_reply& x) {
  return f(caf::meta::type_name("lc_select_reply"), x.label, x.bytes, x.fetched, x.attempts,
           x.selected, x.missing, x.skipped_rows, x.repeated, engine::exact(x.seconds),
           x.part_range, x.missing_range);
}
inline const engine::message_type<lc_select_reply> lc_select_reply_type{
  "gaia::lc_select_reply"};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, lc_assemble_request& x) {
  return f(caf::meta::type_name("lc_assemble_request"), x.run_id, x.parts, x.missing,
           x.no_file_path, x.zip_path, x.not_found_path, x.format, x.structure, x.more);
}
inline const engine::message_type<lc_assemble_request> lc_assemble_request_type{
  "gaia::lc_assemble_request"};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, lc_assemble_reply& x) {
  return f(caf::meta::type_name("lc_assemble_reply"), x.sources, x.not_found, x.skipped_rows,
           x.skip_examples, x.zip_bytes, engine::exact(x.seconds));
}
inline const engine::message_type<lc_assemble_reply> lc_assemble_reply_type{
  "gaia::lc_assemble_reply"};

/// The trace's view of them (engine/worker_pool.hpp's hooks).
inline std::string trace_summary(const lc_select_request& x) {
  return std::to_string(x.count) + " ids from " + x.url;
}
inline std::string trace_summary(const lc_select_reply& x) {
  return std::to_string(x.selected) + " rows, " + std::to_string(x.missing) + " not in the file"
         + (x.fetched ? ", fetched" : ", read from disk");
}
inline std::string trace_key(const lc_select_request& x) { return x.label; }
inline std::string trace_summary(const lc_assemble_request& x) { return x.zip_path; }
inline std::string trace_summary(const lc_assemble_reply& x) {
  return std::to_string(x.sources) + " light curves, " + std::to_string(x.not_found)
         + " not found";
}

/// The production's node ids (logs, traces, metrics, the graph). The
/// prepare operation is actors/'s, under its own id.
namespace lc_node_id {
inline constexpr char service[] = "lc_service";
inline constexpr char process[] = "lc_process";
inline constexpr char prepare[] = "lc_prepare";
inline constexpr char select[] = "lc_select";
inline constexpr char assemble[] = "lc_assemble";
} // namespace lc_node_id

/// The steps a request fails at (lightcurves.err's first line).
namespace lc_steps {
inline constexpr run_step ids{"ids"};             ///< the id list (a line that is no id)
inline constexpr run_step select{"select"};       ///< one file's transfer or selection
inline constexpr run_step assemble{"assemble"};   ///< the zip
} // namespace lc_steps

/// One select worker / the select pool.
using lc_select_worker_actor = engine::worker_actor<lc_select_request, lc_select_reply>;
using lc_select_actor = engine::pool_actor<lc_select_request, lc_select_reply>;
/// The assemble operation (a pool of one).
using lc_assemble_worker_actor = engine::worker_actor<lc_assemble_request, lc_assemble_reply>;
using lc_assemble_actor = engine::pool_actor<lc_assemble_request, lc_assemble_reply>;
/// actors/'s prepare operation behind a pool of one.
using lc_prepare_actor = engine::pool_actor<prepare_request, prepare_reply>;

} // namespace gaia
