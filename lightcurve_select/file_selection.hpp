// Which archive files hold the asked ids: the sorted ids (id_list.hpp) and
// the archive's file ranges (HEALPix level-8 indices, healpix8_of(id) =
// id >> 43) walked together once. As both ascend, each file's ids are one
// contiguous slice of the sorted id file; an id in no file's range is not
// found (handed to a callback, counted). Only files that hold an asked id
// are selected. Memory: the ranges and the selected files' slices.
#pragma once

#include "core/file_range.hpp"
#include "download/checksums.hpp"
#include "lightcurve_select/id_list.hpp"

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace gaia {

/// One selected file and its asked ids: ids [first, first + count) of the
/// sorted id file (sorted_id_file::read(first, count)).
struct file_ids {
  file_range range;
  uint64_t first = 0;
  uint64_t count = 0;
};

/// The archive files that hold asked ids (named apart from settings' file_selection,
/// the variability run's choice of files).
struct holding_files {
  std::vector<file_ids> files; ///< in range order, each with count > 0
  uint64_t ids = 0;            ///< ids walked
  uint64_t not_found = 0;      ///< ids in no file's range
};

/// Groups the ids of `ids` (ascending) by the file whose range holds them.
/// `ranges` must ascend without overlapping (gaps are allowed: a mirror
/// that holds only some files); input_error otherwise. `on_not_found` is
/// called, ascending, for every id in no range.
holding_files select_files(sorted_id_file& ids, const std::vector<file_range>& ranges,
                           const std::function<void(int64_t)>& on_not_found);

/// The archive files a checksum list names (parse_checksum_lines), sorted
/// by range, gaps allowed (a partial mirror's _MD5SUM.txt); other names are
/// passed over. Throws input_error naming `origin`, the lines and the files
/// when two files overlap or a file ends before it starts, or none is
/// listed. (archive_files_listed, for the variability run, also refuses a
/// gap: that run reads every file of a range.)
std::vector<file_range> archive_files_held(const std::vector<checksum_entry>& lines,
                                           const std::string& origin);

} // namespace gaia
