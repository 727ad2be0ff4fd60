// The assemble operation: the answer of a light-curve request, written from
// the parts the select pool spooled. The parts are read in range order,
// each ordered by source_id, every row parsed whole (parse_epoch_row) and
// written as DataLink's tables into one zip:
//
//   --structure standard: one entry per source, sources ascending, named as
//     DataLink names them ("EPOCH_PHOTOMETRY-Gaia DR3 <source_id>.<ext>");
//   --structure raw: one table of every found source, one row each,
//     "EPOCH_PHOTOMETRY_RAW.<ext>";
//
// plus not_found.txt (the asked ids no file holds, ascending), which is
// also written beside the zip. The zip is written under a temporary name
// and renamed: a request that fails leaves none.
#pragma once

#include "lightcurve_production/messages.hpp"

#include <string>

namespace gaia {

/// The raw structure's entry name for a format's extension.
std::string raw_entry_name(const std::string& extension);

/// The answer's not-found list's name, in the zip and beside it.
inline constexpr const char* not_found_name = "not_found.txt";

/// Writes the answer (the operation's work, outside the actor). Throws
/// input_error for a part that cannot be read, output_error naming the
/// file for a zip that cannot be written; a selected row that does not
/// parse is skipped and counted (reply.skipped_rows, the first reasons).
lc_assemble_reply assemble_answer(const lc_assemble_request& req);

lc_assemble_worker_actor::behavior_type
lc_assemble_operation(lc_assemble_worker_actor::pointer self);

} // namespace gaia
