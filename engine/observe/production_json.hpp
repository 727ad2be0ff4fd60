// A production's graph as JSON, for live views: its nodes (id, title,
// kind, role, pool and size) and its edges (from, to, message), as the one
// declaration says.
#pragma once

#include "engine/production.hpp"

#include <nlohmann/json.hpp>

namespace engine {

/// {"name", "nodes": [{id, title, kind: service|process|operation, does,
/// pooled, size}], "edges": [{from, to, message}]}. `sizes` gives the pool
/// sizes (none: their defaults). A single operation behind a pool of one
/// is not shown as a pool.
nlohmann::json production_json(const production& p, const pool_sizes& sizes = nullptr);

} // namespace engine
