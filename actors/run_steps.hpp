// The steps of a Gaia run, named once: the benchmark process reports the
// step it is at in progress.json (`gaia-dr3 status` reads it back) and
// names the step that failed in results.err. The names are the files' text.
#pragma once

#include <cstddef>
#include <optional>
#include <string>

namespace gaia {

enum class run_step {
  prepare,         ///< the output directory and the checksum list
  download_import, ///< progress: the files, fetched and imported
  download,        ///< failed: one file's transfer
  import,          ///< failed: one file's import
  compute,         ///< the merge of the checkpoints
  export_results,  ///< results.csv
  done,            ///< progress: the run succeeded
  failed,          ///< progress: the run failed
  interrupted,     ///< progress: the run stopped without a verdict
  run,             ///< failed: the run as a whole (cancelled from outside)
};

namespace detail {
inline constexpr const char* run_step_names[] = {
  "prepare", "download+import", "download", "import",      "compute",
  "export",  "done",            "failed",   "interrupted", "run"};
} // namespace detail

/// The step's name in progress.json and results.err ("download+import").
inline const char* step_name(run_step s) {
  return detail::run_step_names[static_cast<size_t>(s)];
}

/// The step a name stands for; nothing for a name no step has.
inline std::optional<run_step> run_step_named(const std::string& name) {
  for (size_t i = 0; i < std::size(detail::run_step_names); ++i)
    if (name == detail::run_step_names[i]) return static_cast<run_step>(i);
  return std::nullopt;
}

} // namespace gaia
