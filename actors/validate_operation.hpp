// The validate step, whole: its messages, its interface, its setting and
// its operation. Between import and compute it checks every file's
// sources against the range the file's name gives: in DR3 `source_id >>
// 43` is the source's HEALPix level-8 index, and EpochPhotometry_A-B holds
// exactly the indices A..B. A source outside is a misnamed, mixed-up or
// corrupt file. `misplaced_sources` says what then: report (the answer is
// unchanged), skip (left out of the answer) or fail (the run fails naming
// the file and the first such source_id).
//
// The example of a step (README, "How it works"): this header, its .cpp,
// a declaration and an edge in actors/production.cpp, a peer and a send in
// the benchmark process.
#pragma once

#include "actors/run_steps.hpp"
#include "engine/messages.hpp"
#include "settings/declaration.hpp"
#include "engine/interfaces.hpp"

#include <cstdint>
#include <string>

namespace gaia {

/// Check one imported file's checkpoint against its range.
struct validate_request {
  uint64_t run_id = 0;
  std::string label;           ///< the file's range, "000000-003111"
  int64_t first = 0;           ///< its first HEALPix level-8 index
  int64_t last = 0;            ///< its last
  std::string url;             ///< the file, for messages
  std::string checkpoint_path; ///< its import's checkpoint
  std::string in_range_path;   ///< where `skip` writes the sources in range
};

/// What the check found.
struct validate_reply {
  std::string label;
  uint64_t sources = 0;         ///< sources checked
  uint64_t misplaced = 0;       ///< sources outside the file's range
  int64_t first_misplaced = 0;  ///< the first of them (when misplaced > 0)
  std::string checkpoint_path;  ///< what compute reads for this file
};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, validate_request& x) {
  return f(caf::meta::type_name("validate_request"), x.run_id, x.label, x.first, x.last, x.url,
           x.checkpoint_path, x.in_range_path);
}
inline const engine::message_type<validate_request> validate_request_type{
  "gaia::validate_request"};

template <class Inspector>
typename Inspector::result_type inspect(Inspector& f, validate_reply& x) {
  return f(caf::meta::type_name("validate_reply"), x.label, x.sources, x.misplaced,
           x.first_misplaced, x.checkpoint_path);
}
inline const engine::message_type<validate_reply> validate_reply_type{"gaia::validate_reply"};

/// The trace's view of them (engine/worker_pool.hpp's hooks).
inline std::string trace_summary(const validate_request& x) { return x.checkpoint_path; }
inline std::string trace_summary(const validate_reply& x) {
  return std::to_string(x.sources) + " sources, "
         + (x.misplaced == 0 ? "all in range" : std::to_string(x.misplaced) + " outside");
}
inline std::string trace_key(const validate_request& x) { return x.label; }

/// The operation's node id (logs, traces, metrics, the graph).
namespace node_id {
inline constexpr char validate[] = "validate";
} // namespace node_id

/// A failed check's step in results.err.
inline constexpr run_step validate_step{"validate"};

/// What a run does with sources outside their file's range.
enum class misplaced_policy { report, skip, fail };

/// The validate operation's settings, declared here once: the config
/// key, its environment variable, `check`, --help and the README table
/// come from this declaration (settings/declaration.hpp).
struct validate_settings {
  misplaced_policy misplaced_sources = misplaced_policy::report;
};
inline const settings_group_registration<validate_settings> validate_settings_group{
  {"validate",
   {choice({"misplaced_sources", "GAIA_MISPLACED_SOURCES",
            "what a run does with a source outside the HEALPix range its file's name gives "
            "(source_id >> 43): report (the answer is unchanged), skip (left out of the "
            "answer) or fail (the run fails naming the file and the source_id)"},
           &validate_settings::misplaced_sources, misplaced_policy::report,
           {{"report", misplaced_policy::report},
            {"skip", misplaced_policy::skip},
            {"fail", misplaced_policy::fail}})}},
  "import"}; // listed after the import's keys

/// The validate operation: validate_request -> validate_reply, pooled.
using validate_actor = engine::pool_actor<validate_request, validate_reply>;
using validate_worker_actor = engine::worker_actor<validate_request, validate_reply>;

/// Reads a checkpoint once; with `skip` writes the sources in range beside
/// (in_range_path), with `fail` answers an error naming the first source
/// outside.
validate_worker_actor::behavior_type validate_operation(validate_worker_actor::pointer self,
                                                        validate_settings cfg);

} // namespace gaia
