// Compute: merge the per-file checkpoints by source_id as a stream (k-way
// merge), apply the rule, keep the qualifying sources in a work file.
// Memory is one buffer per input file, whatever the number of sources.
#pragma once

#include "core/source_aggregate.hpp"

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace gaia {

/// One qualifying source, as the export writes it.
struct result_row {
  source_aggregate source;
  double percentage_change = 0;
};

struct compute_stats {
  uint64_t sources = 0;     ///< distinct source_ids over all files
  uint64_t qualifying = 0;  ///< rows written
};

/// Calls `on_source` once per distinct source_id, ascending, with the
/// aggregates of all checkpoints merged (min of mins, max of maxes).
/// Throws input_error when a checkpoint is invalid or not sorted.
void merge_checkpoints(const std::vector<std::string>& checkpoint_paths,
                       const std::function<void(const source_aggregate&)>& on_source);

/// How many checkpoints one merge pass reads at once. More files are first
/// merged in groups into intermediate checkpoints (beside the work file),
/// so the whole archive stays within the open-file limit and flat memory.
inline constexpr size_t default_merge_fan_in = 256;

/// Merges, applies the rule, writes the qualifying rows (source_id order)
/// to `qualifying_path` atomically.
compute_stats compute_qualifying(const std::vector<std::string>& checkpoint_paths,
                                 const std::string& qualifying_path,
                                 size_t fan_in = default_merge_fan_in);

/// Streams the rows of a work file written by compute_qualifying.
void read_qualifying(const std::string& qualifying_path,
                     const std::function<void(const result_row&)>& on_row);

} // namespace gaia
