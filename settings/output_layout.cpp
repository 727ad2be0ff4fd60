#include "settings/output_layout.hpp"

#include "engine/atomic_file.hpp"
#include "settings/errors.hpp"

#include <filesystem>
#include <system_error>

namespace gaia {

namespace fs = std::filesystem;

output_layout::output_layout(const std::string& output_dir)
  : dir(output_dir),
    results_csv((fs::path(dir) / "results.csv").string()),
    lock_marker((fs::path(dir) / "results.lock").string()),
    done_marker((fs::path(dir) / "results.done").string()),
    err_marker((fs::path(dir) / "results.err").string()),
    downloads_dir((fs::path(dir) / "downloads").string()),
    aggregates_dir((fs::path(dir) / "aggregates").string()),
    work_dir((fs::path(dir) / "work").string()) {
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

std::string output_layout::reserve_path() const {
  return (fs::path(dir) / ".reserve").string();
}

void output_layout::create_directories() const {
  for (const auto& d : {dir, downloads_dir, aggregates_dir, work_dir}) {
    std::error_code ec;
    fs::create_directories(d, ec);
    if (ec)
      throw output_error(d + ": cannot create directory: " + ec.message());
  }
}

bool output_layout::has_outcome_marker() const {
  std::error_code ec;
  return fs::exists(done_marker, ec) || fs::exists(err_marker, ec);
}

void output_layout::write_verdict(verdict v, const std::string& text) const {
  const bool ok = v == verdict::done;
  engine::remove_if_exists(ok ? err_marker : done_marker);
  // The space a run set aside is for this: on a full disk the verdict
  // still fits.
  engine::release_space(reserve_path());
  engine::write_file_atomic(ok ? done_marker : err_marker, text);
}

} // namespace gaia
