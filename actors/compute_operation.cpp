// The compute operation: the k-way merge of the checkpoints
// (results/compute), one actor.
#include "actors/operations.hpp"

#include "engine/log.hpp"
#include "results/compute.hpp"

#include <chrono>

namespace gaia {

compute_actor::behavior_type compute_operation(compute_actor::pointer) {
  return {
    [](const compute_request& req) -> caf::result<compute_reply> {
      engine::log_scope scope(req.run_id); // its log lines are its run's
      auto started = std::chrono::steady_clock::now();
      return answer(gaia_errc::compute_failed, [&] {
        auto stats = compute_qualifying(req.checkpoint_paths, req.qualifying_path);
        return compute_reply{stats.sources, stats.qualifying,
                             engine::seconds_since(started)};
      });
    },
  };
}

} // namespace gaia
