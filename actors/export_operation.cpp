// The export operation: results.csv (results/results_csv), one actor.
#include "actors/operations.hpp"

#include "engine/log.hpp"
#include "results/results_csv.hpp"

#include <chrono>

namespace gaia {

export_actor::behavior_type export_operation(export_actor::pointer) {
  return {
    [](const export_request& req) -> caf::result<export_reply> {
      auto started = std::chrono::steady_clock::now();
      return answer(gaia_errc::export_failed, [&] {
        auto rows = export_results_csv(req.qualifying_path, req.csv_path);
        return export_reply{rows, req.csv_path, engine::seconds_since(started)};
      });
    },
  };
}

} // namespace gaia
