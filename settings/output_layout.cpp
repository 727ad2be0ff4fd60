#include "settings/output_layout.hpp"

#include "engine/state/atomic_file.hpp"
#include "core/errors.hpp"

#include <filesystem>
#include <system_error>

namespace gaia {

namespace fs = std::filesystem;

output_layout::output_layout(const std::string& output_dir)
  : dir(output_dir),
    state(output_dir, "results"),
    results_csv((fs::path(dir) / "results.csv").string()),
    results_vot((fs::path(dir) / "results.vot").string()),
    results_fits((fs::path(dir) / "results.fits").string()),
    results_ecsv((fs::path(dir) / "results.ecsv").string()),
    lock_marker(state.lock_marker),
    done_marker(state.done_marker),
    err_marker(state.err_marker),
    downloads_dir((fs::path(dir) / "downloads").string()),
    aggregates_dir((fs::path(dir) / "aggregates").string()),
    work_dir((fs::path(dir) / "work").string()),
    trace_dir((fs::path(dir) / "trace").string()),
    lightcurves_dir((fs::path(dir) / "lightcurves").string()) {
}

std::vector<std::string> output_layout::answer_files() const {
  return {results_csv, results_vot, results_fits, results_ecsv};
}

std::string output_layout::download_path(const file_range& r) const {
  return (fs::path(downloads_dir) / r.archive_file_name()).string();
}

std::string output_layout::checkpoint_path(const file_range& r) const {
  return (fs::path(aggregates_dir) / ("EpochPhotometry_" + r.label() + ".agg"))
    .string();
}

std::string output_layout::qualifying_path() const {
  return (fs::path(work_dir) / "qualifying.bin").string();
}

std::string output_layout::in_range_path(const file_range& r) const {
  return (fs::path(work_dir) / (r.label() + ".in-range")).string();
}

std::string output_layout::lightcurve_request_dir(long pid, uint64_t run_id) const {
  return (fs::path(lightcurves_dir) / (std::to_string(pid) + "-" + std::to_string(run_id)))
    .string();
}

void output_layout::create_directories() const {
  for (const auto& d : {dir, downloads_dir, aggregates_dir, work_dir}) {
    std::error_code ec;
    fs::create_directories(d, ec);
    if (ec)
      throw output_error(d + ": cannot create directory: " + ec.message());
  }
}

} // namespace gaia
