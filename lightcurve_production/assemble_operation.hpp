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

#include <memory>
#include <string>

namespace gaia {

/// The raw structure's entry name for a format's extension.
std::string raw_entry_name(const std::string& extension);

/// The answer's not-found list's name, in the zip and beside it.
inline constexpr const char* not_found_name = "not_found.txt";

/// The answer as it is written (the operation's work, outside the actor),
/// from one request or, for `standard`, from several: a request with
/// `more` appends its parts and leaves the zip open for the next one of the
/// same run; the last one finishes it. A request of another run (or zip)
/// discards an unfinished zip first, as does a failure (no zip then).
/// Throws input_error for a part that cannot be read, output_error naming
/// the file for a zip that cannot be written; a selected row that does not
/// parse is skipped and counted (reply.skipped_rows, the first reasons).
class answer_assembly {
public:
  answer_assembly();
  ~answer_assembly(); ///< an unfinished zip's temporary is removed
  answer_assembly(const answer_assembly&) = delete;
  answer_assembly& operator=(const answer_assembly&) = delete;
  /// A piece's reply counts the sources so far; the last one's, the answer's.
  lc_assemble_reply take(const lc_assemble_request& req);

private:
  struct open_answer;
  std::unique_ptr<open_answer> open_;
};

/// The answer from one request (`more` false): answer_assembly().take(req).
lc_assemble_reply assemble_answer(const lc_assemble_request& req);

struct lc_assemble_state {
  answer_assembly assembly;
};

lc_assemble_worker_actor::behavior_type
lc_assemble_operation(lc_assemble_worker_actor::stateful_pointer<lc_assemble_state> self);

} // namespace gaia
