// The walk of sorted ids against sorted file ranges (file_selection.hpp).
#include "lightcurve_select/file_selection.hpp"

#include "core/errors.hpp"

#include <algorithm>

namespace gaia {

holding_files select_files(sorted_id_file& ids, const std::vector<file_range>& ranges,
                           const std::function<void(int64_t)>& on_not_found) {
  for (size_t i = 0; i < ranges.size(); ++i) {
    if (ranges[i].last < ranges[i].first)
      throw input_error("file ranges: " + ranges[i].archive_file_name() + " ends before it starts");
    if (i > 0 && ranges[i].first <= ranges[i - 1].last)
      throw input_error("file ranges: " + ranges[i].archive_file_name() + " overlaps or precedes " +
                        ranges[i - 1].archive_file_name() + ": they must ascend apart");
  }
  holding_files out;
  ids.seek(0);
  size_t r = 0;
  int64_t id;
  for (uint64_t index = 0; ids.next(id); ++index) {
    ++out.ids;
    const int64_t pixel = healpix8_of(id);
    while (r < ranges.size() && ranges[r].last < pixel) ++r;
    if (r == ranges.size() || pixel < ranges[r].first) {
      ++out.not_found;
      on_not_found(id);
      continue;
    }
    if (out.files.empty() || out.files.back().range.first != ranges[r].first)
      out.files.push_back({ranges[r], index, 0});
    ++out.files.back().count;
  }
  return out;
}

std::vector<file_range> archive_files_held(const std::vector<checksum_entry>& lines,
                                           const std::string& origin) {
  struct listed {
    file_range range;
    const checksum_entry* entry;
  };
  std::vector<listed> files;
  for (const auto& e : lines) {
    file_range range;
    if (!parse_archive_file_name(e.name, range)) continue; // not an archive file
    if (range.last < range.first)
      throw input_error(origin + ": line " + std::to_string(e.line) + ": " + e.name +
                        " ends before it starts");
    files.push_back({range, &e});
  }
  if (files.empty())
    throw input_error(origin + ": lists no EpochPhotometry_<first>-<last>.csv.gz file");
  std::sort(files.begin(), files.end(),
            [](const listed& a, const listed& b) { return a.range.first < b.range.first; });
  std::vector<file_range> out;
  for (size_t i = 0; i < files.size(); ++i) {
    if (i > 0 && files[i].range.first <= files[i - 1].range.last)
      throw input_error(origin + ": line " + std::to_string(files[i].entry->line) + ": " +
                        files[i].entry->name + " overlaps " + files[i - 1].entry->name +
                        " (line " + std::to_string(files[i - 1].entry->line) + ")");
    out.push_back(files[i].range);
  }
  return out;
}

} // namespace gaia
