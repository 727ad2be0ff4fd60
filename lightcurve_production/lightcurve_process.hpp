// The light-curve process (IoP's business process): answers one request,
// a list of source_ids, with their light curves.
//
//   engine::run_request
//     -> the id list sorted and deduplicated to a file (lightcurve_select/)
//     -> prepare_request (the archive's _MD5SUM.txt: its files and MD5s)
//     -> the files that hold the ids (the others are not fetched); the ids
//        in no file's range to no_file.ids
//     -> per holding file: lc_select_request (select pool: as the file
//        streams, the asked rows' tables deflated (standard) or their text
//        (raw), then the ids the file does not hold, appended to the
//        worker's spool parts/worker-<n>.spool; the reply says where)
//     -> as they come in (standard), all in: lc_assemble_request with those
//        ranges (the zip and not_found.txt)
//     -> reply engine::run_outcome (the service writes the verdict)
//   any failure -> cancel the request's other jobs, no zip
//
// Its working files are output_dir/lightcurves/<pid>-<run id>/ (ids.bin,
// no_file.ids, parts/), removed when the request ends.
#pragma once

#include "actors/benchmark_process.hpp"
#include "engine/interfaces.hpp"
#include "engine/run_control.hpp"
#include "lightcurve_production/messages.hpp"
#include "settings/settings.hpp"

#include <memory>
#include <string>

namespace gaia {

/// One request: the ids and where and how its answer goes.
struct lightcurve_job {
  std::string ids_path;           ///< one id a line, or a CSV/ECSV source_id column
  std::string out_dir;            ///< the answer's folder
  std::string format = "votable"; ///< lightcurve::table_format's name
  std::string structure = "standard"; ///< or "raw"
  /// The answer's name: <name>.zip, and the markers <name>.lock, .done, .err.
  std::string name = "lightcurves";
  /// not_found.txt beside the zip too (the command; not in the inbox, where
  /// a .txt is a request).
  bool not_found_beside = true;
};

/// The answer's files in the job's folder.
struct lightcurve_answer_paths {
  explicit lightcurve_answer_paths(const lightcurve_job& job);
  std::string zip;       ///< <name>.zip
  std::string not_found; ///< not_found.txt; "" when not written beside
};

/// The operations the process talks to, as its declared edges say.
struct lightcurve_peers {
  lc_prepare_actor prepare;
  lc_select_actor select;
  lc_assemble_actor assemble;
};

struct lc_run; // one request in flight (lightcurve_process.cpp)

struct lightcurve_process_state {
  process_settings cfg; ///< the variability process's part of the settings: the same reads
  lightcurve_job job;
  lightcurve_peers peers;
  std::shared_ptr<engine::run_control> runs;
  std::shared_ptr<lc_run> run; ///< the request in flight, if any
  static inline const char* name = "lightcurve_process";
};

engine::process_actor::behavior_type
lightcurve_process(engine::process_actor::stateful_pointer<lightcurve_process_state> self,
                   process_settings cfg, lightcurve_job job, lightcurve_peers peers,
                   std::shared_ptr<engine::run_control> runs);

} // namespace gaia
