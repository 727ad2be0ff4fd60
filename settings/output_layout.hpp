// Where everything lives under output_dir: the engine's state directory
// (markers, lock, heartbeat, progress), the answer, downloads, per-file
// aggregate checkpoints, the compute step's work file and the light-curve
// requests' working files.
#pragma once

#include "core/file_range.hpp"
#include "engine/state/state_dir.hpp"

#include <string>
#include <vector>

namespace gaia {

struct output_layout {
  explicit output_layout(const std::string& output_dir);

  std::string dir;
  engine::state_dir state;     ///< results.lock/.done/.err and the rest
  std::string results_csv;     ///< the answer
  std::string results_vot;     ///< the answer as VOTable (export_formats)
  std::string results_fits;    ///< as FITS
  std::string results_ecsv;    ///< as ECSV
  std::string lock_marker;     ///< results.lock: who runs (engine/run_lock)
  std::string done_marker;     ///< results.done: last run succeeded
  std::string err_marker;      ///< results.err: last run failed, and why
  std::string downloads_dir;   ///< EpochPhotometry_<range>.csv.gz
  std::string aggregates_dir;  ///< per-file checkpoints
  std::string work_dir;        ///< compute's qualifying rows, validate's in-range copies
  std::string trace_dir;       ///< one message trace per run (engine/observe)
  std::string lightcurves_dir; ///< the light-curve requests' working files

  /// results.csv and the other formats' files: what a run removes before
  /// it starts, and when it fails.
  std::vector<std::string> answer_files() const;

  std::string download_path(const file_range& r) const;
  std::string checkpoint_path(const file_range& r) const;
  std::string qualifying_path() const;
  /// A file's sources in its range only (validate's `skip`): in work/,
  /// made again each run; the file's checkpoint stays whole.
  std::string in_range_path(const file_range& r) const;
  /// A light-curve request's working files (its sorted ids, its parts):
  /// lightcurves/<pid>-<run id>/ (two commands may share output_dir, and
  /// each counts its runs from 1), removed when the request ends.
  std::string lightcurve_request_dir(long pid, uint64_t run_id) const;

  /// Creates dir, downloads/, aggregates/ and work/ when missing. Throws
  /// output_error naming the directory.
  void create_directories() const;
  /// True when results.done or results.err exists.
  bool has_outcome_marker() const { return state.has_outcome_marker(); }
};

} // namespace gaia
