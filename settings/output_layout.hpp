// Where everything lives under output_dir: results, markers, downloads,
// per-file aggregate checkpoints and the compute step's work file.
#pragma once

#include "archive/file_range.hpp"

#include <string>

namespace gaia {

/// How a run ended, as its marker says.
enum class verdict { done, failed };

struct output_layout {
  explicit output_layout(const std::string& output_dir);

  std::string dir;
  std::string results_csv;     ///< the answer
  std::string lock_marker;     ///< results.lock: who runs (engine/run_lock)
  std::string done_marker;     ///< results.done: last run succeeded
  std::string err_marker;      ///< results.err: last run failed, and why
  std::string downloads_dir;   ///< EpochPhotometry_<range>.csv.gz
  std::string aggregates_dir;  ///< per-file checkpoints
  std::string work_dir;        ///< compute's qualifying rows

  std::string download_path(const file_range& r) const;
  std::string checkpoint_path(const file_range& r) const;
  std::string qualifying_path() const;
  /// ".reserve": disk space a run sets aside for its verdict.
  std::string reserve_path() const;

  /// Creates dir, downloads/, aggregates/ and work/ when missing. Throws
  /// output_error naming the directory.
  void create_directories() const;
  /// True when results.done or results.err exists: nothing to do until a
  /// user deletes it.
  bool has_outcome_marker() const;
  /// Writes results.done or results.err (durably, atomically) after
  /// removing the other one, so the two never exist together: every writer
  /// holds the run lock, and nothing shows both even for a moment. Throws
  /// output_error naming the file.
  void write_verdict(verdict v, const std::string& text) const;
};

} // namespace gaia
