// The steps of a Gaia run, each a named value: the benchmark process
// reports the step it is at in progress.json (`gaia-dr3 status` reads it
// back) and names the step that failed in results.err. A step is declared
// where its code is (these, the process's own; an operation's beside it,
// as actors/validate_operation.hpp does), so a new step edits no list.
#pragma once

#include <cstring>
#include <string>

namespace gaia {

/// A step of a run. Its name is the files' text ("download+import").
struct run_step {
  const char* name;

  friend bool operator==(const run_step& a, const run_step& b) {
    return std::strcmp(a.name, b.name) == 0;
  }
  friend bool operator!=(const run_step& a, const run_step& b) { return !(a == b); }
  /// The step `text` names (progress.json's "step")?
  bool named(const std::string& text) const { return text == name; }
};

/// The process's own steps and the operations' it drives.
namespace run_steps {
inline constexpr run_step prepare{"prepare"};                 ///< the output and the checksum list
inline constexpr run_step download_import{"download+import"}; ///< progress: the files
inline constexpr run_step download{"download"};               ///< failed: one file's transfer
inline constexpr run_step import{"import"};                   ///< failed: one file's import
inline constexpr run_step compute{"compute"};                 ///< the merge of the checkpoints
inline constexpr run_step export_results{"export"};           ///< results.csv
inline constexpr run_step done{"done"};                       ///< progress: the run succeeded
inline constexpr run_step failed{"failed"};                   ///< progress: the run failed
inline constexpr run_step interrupted{"interrupted"}; ///< progress: stopped without a verdict
inline constexpr run_step run{"run"}; ///< failed: the run as a whole (cancelled from outside)
} // namespace run_steps

} // namespace gaia
